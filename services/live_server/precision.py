"""How finely each amount the live server sends is quantized: the symbols' trading rules.

Prices and quote amounts (PnL, fees in the quote, notional) go to the symbol's tick size,
quantities to its step size, as the exchange itself counts them. A balance belongs to an
asset, not a symbol: it gets the finest precision any known symbol gives that asset (the
tick where it is the quote, the step where it is the base). An amount for a symbol whose
rules are not known yet is sent as it is: rounding to a guess would be worse.

Pure: no I/O; the live server fills the table from the connector's GetSymbolInfo.
"""

from __future__ import annotations

from decimal import Decimal

from gridops.decimals import fmt, round_to_step
from gridops.models import SymbolInfo


class Precision:
    def __init__(self, infos: list[SymbolInfo] | None = None) -> None:
        self._rules: dict[str, SymbolInfo] = {}
        self._assets: dict[str, Decimal] = {}
        for info in infos or ():
            self.learn(info)

    def learn(self, info: SymbolInfo) -> None:
        self._rules[info.symbol] = info
        for asset, step in ((info.quote_asset, info.tick_size), (info.base_asset, info.step_size)):
            if step > 0 and (asset not in self._assets or step < self._assets[asset]):
                self._assets[asset] = step

    def knows(self, symbol: str) -> bool:
        return symbol in self._rules

    def info(self, symbol: str) -> SymbolInfo | None:
        return self._rules.get(symbol)

    def price(self, symbol: str, value: Decimal) -> str:
        """A price or a quote amount (PnL, a fee in the quote): to the tick."""
        info = self._rules.get(symbol)
        return fmt(round_to_step(value, info.tick_size) if info else value)

    quote = price

    def quantity(self, symbol: str, value: Decimal) -> str:
        """A quantity of the base asset: to the step."""
        info = self._rules.get(symbol)
        return fmt(round_to_step(value, info.step_size) if info else value)

    def asset(self, asset: str, value: Decimal) -> str:
        """An amount of `asset` (a balance, equity, a fee): its finest known precision."""
        step = self._assets.get(asset)
        return fmt(round_to_step(value, step) if step else value)

    def fee(self, symbol: str, asset: str, value: Decimal) -> str:
        """A fee: quantized like the asset it is charged in."""
        info = self._rules.get(symbol)
        if info is not None and asset == info.quote_asset:
            return self.quote(symbol, value)
        if info is not None and asset == info.base_asset:
            return self.quantity(symbol, value)
        return self.asset(asset, value)
