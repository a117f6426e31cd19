"""The simulated exchange: matching, partial fills, fees, balances and trading rules.

Pure (no I/O): the connector runs one in-process (`--exchange sim`) and `gridops venue`
runs one behind a Binance-compatible API; both drive the same market.
"""
