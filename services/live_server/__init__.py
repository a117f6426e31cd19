"""The live server: REST + WebSocket API and the dashboard, fed by the connector."""
