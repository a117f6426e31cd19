"""`gridops venue`: the simulated exchange as its own process, in Binance spot's dialect.

REST under /api/v3, market streams under /ws, the WebSocket API under /ws-api/v3 (what
ccxt's `binance` class uses for spot limit-order trading), and the Simulator gRPC service.
"""
