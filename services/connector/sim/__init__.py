"""`gridops connector --exchange sim`: the simulated exchange in the connector's process.

The market itself lives in gridops.simexchange (shared with `gridops venue`); `adapter`
puts it behind the connector's ExchangeAdapter interface.
"""
