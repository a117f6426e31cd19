"""`gridops status`: one screen about one strategy (pure: documents in, text out).

The engine's `/status` document is the source of every figure when there is one; for a
GridStrategy whose market maker cannot be reached, the operator's status stands in.
Amounts are shown as the engine wrote them, with their unit: position in the base asset,
price, PnL and fees in the quote asset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from gridops.decimals import ZERO, fmt

from .controls import Controls
from .render import Style, ago, amount, parse_time, units, when
from .tables import orders_summary, orders_table

#: open orders shown on each side of the price (`gridops orders` lists them all)
ORDERS_EACH_SIDE = 8
LABEL_WIDTH = 12

_PHASE_COLORS = {
    "running": "green",
    "paused": "yellow",
    "syncing": "yellow",
    "starting": "yellow",
    "halted": "red",
    "disconnected": "red",
}
_CR_PHASE_COLORS = {
    "Running": "green",
    "Paused": "yellow",
    "Pending": "yellow",
    "Syncing": "yellow",
    "Deleting": "yellow",
    "Halted": "red",
    "Degraded": "red",
}
#: conditions whose healthy status is "False"
_HEALTHY_FALSE = {"RiskHalted", "Paused"}
_SLOT_STATES = {
    "entry_pending": "entry pending",
    "entry_open": "entry open",
    "holding": "holding",
    "exit_pending": "exit pending",
    "exit_open": "exit open",
    "free": "free",
}


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A GridStrategy as the API server has it, and why its engine was not reached, if not."""

    name: str
    namespace: str
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    engine_error: str | None = None


def render_status(
    document: dict[str, Any] | None,
    *,
    style: Style,
    now: datetime,
    controls: Controls,
    cluster: ClusterView | None = None,
    each_side: int | None = ORDERS_EACH_SIDE,
) -> str:
    """The status screen; `document` is the engine's /status (None: only `cluster`)."""
    doc = document or {}
    symbol = str(doc.get("symbol") or (cluster.spec.get("symbol") if cluster else "") or "")
    base, quote = units(symbol)
    name = str(doc.get("name") or (cluster.name if cluster else "?"))
    header = [style.bold(name), symbol]
    if doc.get("engine"):
        header.append(f"{doc['engine']} engine")
    if cluster is not None:
        header.append(style.dim(f"GridStrategy {cluster.namespace}/{cluster.name}"))
    rows: list[tuple[str, str]] = []
    if document is not None:
        rows += _engine_rows(doc, style, now, controls, base, quote)
    elif cluster is not None:
        rows += _figures_of_cluster(cluster, style, base, quote)
    if cluster is not None:
        rows += _cluster_rows(cluster, style)
    lines = ["  ".join(part for part in header if part)]
    lines += [f"{label.ljust(LABEL_WIDTH)}{value}".rstrip() for label, value in rows]
    if document is not None:
        orders = list(doc.get("openOrders") or [])
        if orders:
            lines.append("")
            lines += orders_table(orders, doc.get("lastPrice"), style, each_side=each_side)
    return "\n".join(lines)


def _engine_rows(
    doc: dict[str, Any], style: Style, now: datetime, controls: Controls, base: str, quote: str
) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    phase = str(doc.get("phase", "?"))
    paint = style.paint(_PHASE_COLORS.get(phase, "bold"))
    synced = "synced" if doc.get("synced") else "not synced: reconciling with the connector"
    rows.append(("phase", f"{paint(phase)}, {synced}"))
    if doc.get("fenced"):
        rows.append(("", style.red("fenced: another writer holds this strategy; this one waits")))
    if doc.get("paused") or phase == "paused":
        rows.append(
            ("", f"paused: open orders cancelled, none placed; resume: {controls.resume()}")
        )

    price = doc.get("lastPrice")
    if price:
        seen = parse_time(doc.get("lastPriceAt"))
        rows.append(("price", amount(price, quote) + (f"  ({ago(seen, now)})" if seen else "")))
    else:
        rows.append(("price", style.yellow("no price yet")))
    rows.append(("position", amount(doc.get("position"), base)))
    pnl = doc.get("pnl") or {}
    realized, unrealized = pnl.get("realized"), pnl.get("unrealized")
    rows.append(("realized", _money(realized, quote, style) + style.dim("  net of fees")))
    rows.append(
        ("unrealized", _money(unrealized, quote, style) + style.dim("  open position at the price"))
    )
    if "fees" in pnl:
        rows.append(("fees", amount(pnl["fees"], quote) + style.dim("  paid so far")))
    rows += _risk_rows(doc.get("risk") or {}, style, now, controls)
    for n, text in enumerate(doc.get("warnings") or []):  # e.g. a step below the fees
        rows.append(("warning" if n == 0 else "", style.yellow(str(text))))
    orders = list(doc.get("openOrders") or [])
    rows.append(("orders", orders_summary(orders)))
    rows.append(("slots", _slots_summary(doc.get("slots") or [], base)))
    return rows


def _money(value: object, unit: str, style: Style) -> str:
    if value is None or value == "":
        return "-"
    return f"{style.signed(str(value))} {unit}".rstrip()


def _risk_rows(
    risk: dict[str, Any], style: Style, now: datetime, controls: Controls
) -> list[tuple[str, str]]:
    if not risk.get("halted"):
        return [("risk", style.green("ok") + style.dim("  (not halted)"))]
    reason = risk.get("reason") or "no reason given"
    rows = [("risk", f"{style.red('HALTED')}: {reason}")]
    rows.append(("", f"since {when(risk.get('since'), now)}; no new entries, exits still go out"))
    until = risk.get("until")
    if until:
        rows.append(("", f"clears by itself (cooldownSeconds) at {when(until, now)}"))
    else:
        rows.append(("", "does not clear by itself (cooldownSeconds 0)"))
    rows.append(("", f"clear now: {controls.clear_halt()}"))
    return rows


def _slots_summary(slots: list[dict[str, Any]], base: str) -> str:
    if not slots:
        return "none in use"
    states = Counter(str(s.get("state", "?")) for s in slots)
    parts = [f"{n} {_SLOT_STATES.get(state, state)}" for state, n in sorted(states.items())]
    holding = ZERO
    for slot in slots:
        try:
            holding += Decimal(str(slot.get("holding", "0")))
        except InvalidOperation:
            continue
    text = f"{len(slots)} in use: {', '.join(parts)}"
    return text + (f"; holding {fmt(holding)} {base}".rstrip() if holding else "")


def _figures_of_cluster(
    cluster: ClusterView, style: Style, base: str, quote: str
) -> list[tuple[str, str]]:
    """The operator's copy of the figures (every figuresInterval), when /status is out of reach."""
    status = cluster.status
    rows = [
        ("price", amount(status.get("price"), quote)),
        ("position", amount(status.get("position"), base)),
        ("realized", _money(status.get("realizedPnl"), quote, style) + style.dim("  net of fees")),
        ("unrealized", _money(status.get("unrealizedPnl"), quote, style)),
    ]
    if status.get("openOrders") is not None:
        rows.append(("orders", f"{status['openOrders']} open"))
    return rows


def _cluster_rows(cluster: ClusterView, style: Style) -> list[tuple[str, str]]:
    status = cluster.status
    phase = str(status.get("phase") or "Pending")
    paint = style.paint(_CR_PHASE_COLORS.get(phase, "bold"))
    rows = [("cluster", f"phase {paint(phase)}")]
    for condition in status.get("conditions") or []:
        kind, value = condition.get("type"), condition.get("status")
        healthy = "False" if kind in _HEALTHY_FALSE else "True"
        if value == healthy:
            continue
        text = f"{kind}={value} {condition.get('reason', '')}".rstrip()
        if condition.get("message"):
            text += f": {condition['message']}"
        rows.append(("", style.yellow(text)))
    if status.get("message"):
        rows.append(("", str(status["message"])))
    if cluster.spec.get("paused"):
        rows.append(("", "spec.paused is true (the operator keeps the market maker paused)"))
    if cluster.engine_error:
        rows.append(("engine", style.yellow(f"/status not read: {cluster.engine_error}")))
    return rows
