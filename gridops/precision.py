"""How finely each amount gridops shows or sends is quantized: the symbols' trading rules.

Prices and quote amounts (PnL, fees in the quote, notional) go to the symbol's tick size,
quantities to its step size, as the exchange itself counts them. A balance belongs to an
asset, not a symbol: it gets the finest precision any known symbol gives that asset (the
tick where it is the quote, the step where it is the base). An amount for a symbol whose
rules are not known yet is sent as it is: rounding to a guess would be worse.

Pure: no I/O; the live server and the market maker fill the table from the connector's
GetSymbolInfo.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

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


# A market maker's /status document: which of its fields are prices or quote amounts
# (to the tick) and which are quantities (to the step).
_STATUS_PRICES = ("lastPrice", "tradedPrice")
_STATUS_QUANTITIES = ("position",)
_PNL = ("realized", "unrealized", "fees")
_ORDER_PRICES = ("price",)
_ORDER_QUANTITIES = ("quantity", "filled")
_SLOT_PRICES = ("averageEntry", "realizedPnl")
_SLOT_QUANTITIES = ("holding",)


def _requantize(
    document: dict[str, Any], keys: tuple[str, ...], how: Callable[[Decimal], str]
) -> None:
    for key in keys:
        text = document.get(key)
        if not isinstance(text, str):
            continue
        try:
            document[key] = how(Decimal(text))
        except InvalidOperation:
            continue  # not a number: passed on as the market maker wrote it


def market_maker_status(document: dict[str, Any], p: Precision) -> dict[str, Any]:
    """A copy of a market maker's /status with its amounts quantized to its symbol's rules."""
    symbol = document.get("symbol")
    if not isinstance(symbol, str) or not p.knows(symbol):
        return document

    def to_price(value: Decimal) -> str:
        return p.price(symbol, value)

    def to_quantity(value: Decimal) -> str:
        return p.quantity(symbol, value)

    out = dict(document)
    _requantize(out, _STATUS_PRICES, to_price)
    _requantize(out, _STATUS_QUANTITIES, to_quantity)
    if isinstance(out.get("pnl"), dict):
        out["pnl"] = dict(out["pnl"])
        _requantize(out["pnl"], _PNL, to_price)
    for key, prices, quantities in (
        ("openOrders", _ORDER_PRICES, _ORDER_QUANTITIES),
        ("slots", _SLOT_PRICES, _SLOT_QUANTITIES),
    ):
        items = out.get(key)
        if not isinstance(items, list):
            continue
        copies = []
        for item in items:
            if isinstance(item, dict):
                item = dict(item)
                _requantize(item, prices, to_price)
                _requantize(item, quantities, to_quantity)
            copies.append(item)
        out[key] = copies
    return out
