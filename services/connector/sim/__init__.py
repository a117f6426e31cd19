"""The simulated exchange behind `gridops connector --exchange sim`.

`market` is the pure, deterministic exchange; `adapter` puts it behind the connector's
ExchangeAdapter interface; `settings` is its configuration.
"""
