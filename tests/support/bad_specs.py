"""Bad GridStrategy specs, each with the field its rejection must name.

Shared by the unit tests (the Python model refuses each) and the E2E tier (the API
server refuses each, through the CRD's schema and CEL rules), so both judges are held to
the same cases.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]


def good_spec() -> Spec:
    return {
        "symbol": "BTC/USDT",
        "grid": {"priceInterval": "50", "orderQuantity": "0.001", "buyWindow": 3},
    }


@dataclass(frozen=True)
class BadSpec:
    id: str
    change: Callable[[Spec], None]
    #: the field the API server's message names (dotted path from the object root)
    field: str
    #: what the rule is, for the test's output
    why: str

    def spec(self) -> Spec:
        spec = copy.deepcopy(good_spec())
        self.change(spec)
        return spec


def _set(path: str, value: Any) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        node = spec
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return change


def _drop(key: str) -> Callable[[Spec], None]:
    return lambda spec: spec.pop(key)


BAD_SPECS = [
    BadSpec("symbol-shape", _set("symbol", "BTCUSDT"), "spec.symbol", "pattern BASE/QUOTE"),
    BadSpec("interval-zero", _set("grid.priceInterval", "0"), "spec.grid.priceInterval", "> 0"),
    BadSpec(
        "interval-negative", _set("grid.priceInterval", "-5"), "spec.grid.priceInterval", "sign"
    ),
    BadSpec(
        "quantity-float", _set("grid.orderQuantity", 0.001), "spec.grid.orderQuantity", "float"
    ),
    BadSpec(
        "quantity-exponent", _set("grid.orderQuantity", "1e-3"), "spec.grid.orderQuantity", "exp"
    ),
    BadSpec("mode-enum", _set("grid.mode", "short"), "spec.grid.mode", "enum long|neutral"),
    BadSpec("window-range", _set("grid.buyWindow", 500), "spec.grid.buyWindow", "<= 200"),
    BadSpec(
        "long-without-buys", _set("grid.buyWindow", 0), "spec.grid.buyWindow", "CEL: buys needed"
    ),
    BadSpec("grid-missing", _drop("grid"), "spec.grid", "required"),
    BadSpec("engine-enum", _set("engine.type", "fast"), "spec.engine.type", "enum"),
    BadSpec(
        "two-databases",
        _set(
            "engine",
            {"databaseUrl": "sqlite:///x.db", "databaseUrlSecret": {"name": "s", "key": "k"}},
        ),
        "spec.engine.databaseUrlSecret",
        "CEL: one of",
    ),
    BadSpec(
        "simple-with-database",
        _set("engine", {"type": "simple", "databaseUrl": "sqlite:///x.db"}),
        "spec.engine.type",
        "CEL: simple keeps no database",
    ),
    BadSpec(
        "sim-settings-on-ccxt",
        _set("exchange", {"name": "binance", "credentialsSecret": "keys", "sim": {"seed": 1}}),
        "spec.exchange.sim",
        "CEL: sim only",
    ),
    BadSpec(
        "endpoint-on-sim",
        _set("exchange", {"apiUrl": "http://venue:8090"}),
        "spec.exchange.name",
        "CEL: ccxt only",
    ),
    BadSpec(
        "ccxt-without-credentials",
        _set("exchange", {"name": "binance", "apiUrl": "http://venue:8090"}),
        "spec.exchange.credentialsSecret",
        "CEL: credentials",
    ),
    BadSpec("account-label", _set("exchange.account", "Main_Acct"), "spec.exchange.account", "DNS"),
    BadSpec(
        "window-seconds-zero",
        _set("risk.moveWindowSeconds", 0),
        "spec.risk.moveWindowSeconds",
        "exclusive minimum",
    ),
    BadSpec(
        "fee-rate",
        _set("exchange.sim", {"makerFee": "1.5"}),
        "spec.exchange.sim.makerFee",
        "fee < 1",
    ),
    BadSpec("unknown-field", _set("grdi", {}), "spec.grdi", "unknown field"),
]
