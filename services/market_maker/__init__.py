"""The market maker: a grid engine that trades through the connector and survives crashes."""
