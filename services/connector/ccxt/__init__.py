"""Real venues through ccxt: `gridops connector --exchange <ccxt id>`.

Pure parts (endpoint derivation, market rules, message conversion, error mapping) live
in their own modules and do no I/O; `adapter` holds the one ccxt instance.
"""
