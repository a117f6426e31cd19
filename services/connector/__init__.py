"""The exchange connector: one upstream exchange connection, served to many over gRPC."""
