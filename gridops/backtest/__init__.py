"""`gridops backtest`: the live grid engine replayed over historical prices."""
