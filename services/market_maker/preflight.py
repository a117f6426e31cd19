"""What the engine checks with the connector before it starts trading.

A market maker for a symbol the connector does not list, or with a grid that does not
fit the symbol's rules, would otherwise wait forever in `starting` (and, 30 s later, halt
for "no price"): those are configuration mistakes, so they stop the process at once with
one line naming the symbol or the field (a StartupError: exit code 2). A connector that
cannot be reached yet is not a mistake (under Kubernetes it may start after us): that is
retried with backoff, as the streams would.

Once the connector answered, a grid whose round trip does not beat the exchange's fees
earns a warning: it trades, but every buy-then-sell loses money.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from gridops import errors
from gridops.models import SymbolInfo
from gridops.retry import Backoff
from gridops.spec import StrategyConfig
from gridops.spec.economics import fee_warning
from gridops.startup import StartupError

from .domain.grid import GridSpec
from .port import ExchangePort

log = logging.getLogger(__name__)

#: errors that mean "not now" rather than "never"
TEMPORARY = (
    errors.Unavailable,
    errors.RateLimited,
    errors.ResourceExhausted,
    errors.Internal,
)


@dataclass(frozen=True, slots=True)
class Checked:
    info: SymbolInfo
    price: Decimal
    warnings: list[str] = field(default_factory=list)


async def preflight(
    port: ExchangePort,
    config: StrategyConfig,
    *,
    backoff: Backoff | None = None,
    report_every: float = 30.0,
) -> Checked:
    """Ask the connector until it answers; StartupError for what retrying cannot fix."""
    backoff = backoff or Backoff(initial=0.2, maximum=5.0)
    reported_at: float | None = None
    while True:
        try:
            return await _check(port, config)
        except TEMPORARY as error:
            now = time.monotonic()
            # One line when it starts, then one every `report_every`: not one a retry.
            if reported_at is None or now - reported_at >= report_every:
                reported_at = now
                log.warning(
                    "connector %s not reachable yet (%s); retrying until it is",
                    config.connector,
                    error,
                )
            await asyncio.sleep(backoff.next_delay())


async def _check(port: ExchangePort, config: StrategyConfig) -> Checked:
    try:
        info = await port.get_info(timeout=5.0)
    except errors.Unauthenticated as error:
        raise StartupError(
            f"the connector at {config.connector} refused this market maker ({error}): give "
            "it the connector's token with --token-file (env GRIDOPS_CONNECTOR_TOKEN)"
        ) from None
    symbols = list(info.symbols)
    if config.symbol not in symbols:
        listed = ", ".join(symbols) if symbols else "no symbols at all"
        raise StartupError(
            f"symbol {config.symbol} is not traded on the connector at {config.connector} "
            f"(exchange {info.exchange}, account {info.account}), which lists {listed}: "
            "set `symbol` in the strategy config (env GRIDOPS_SYMBOL)"
        )
    symbol_info = await port.get_symbol_info(config.symbol)
    try:
        GridSpec.create(config.grid, symbol_info)
    except errors.InvalidArgument as error:
        raise StartupError(f"{error} (exchange {info.exchange})") from None
    price = (await port.get_ticker(config.symbol)).price
    warning = fee_warning(
        config.grid.price_interval, config.grid.order_quantity, price, symbol_info
    )
    return Checked(symbol_info, price, [warning] if warning else [])
