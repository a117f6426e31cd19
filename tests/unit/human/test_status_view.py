"""The status screen: every figure with its unit, risk and how to clear it, the orders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from gridops.human.controls import Controls
from gridops.human.render import Style
from gridops.human.status_view import ClusterView, render_status

from .documents import halted, running

NOW = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)
BY_HAND = Controls(url="http://127.0.0.1:8080")
IN_CLUSTER = Controls(name="btc-grid", namespace="trading")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def screen(document: dict[str, object] | None, **kwargs: object) -> str:
    options: dict[str, object] = {"style": Style(False), "now": NOW, "controls": BY_HAND}
    options.update(kwargs)
    return render_status(document, **options)  # type: ignore[arg-type]


def row(text: str, label: str) -> str:
    """The value of the row whose label is `label`."""
    for line in text.splitlines():
        if line.startswith(label + " "):
            return line[len(label) :].strip()
    raise AssertionError(f"no row {label!r} in:\n{text}")


def test_a_running_grid_shows_every_figure_with_its_unit() -> None:
    text = screen(running())
    assert text.splitlines()[0] == "btc-grid  BTC/USDT  durable engine"
    assert row(text, "phase") == "running, synced"
    assert row(text, "price") == "50010 USDT  (5 s ago)"
    assert row(text, "position") == "0.001 BTC"
    # money exactly as the engine wrote it: no float, no rounding on the way
    assert row(text, "realized") == "-0.0500000000000000000001 USDT  net of fees"
    assert row(text, "unrealized").startswith("0.01 USDT")
    assert row(text, "fees").startswith("0.05 USDT")
    assert row(text, "risk") == "ok  (not halted)"
    assert row(text, "orders") == "4 open: 3 buy, 1 sell (1 pending: placed, not yet confirmed)"
    assert row(text, "slots") == (
        "4 in use: 2 entry open, 1 entry pending, 1 exit open; holding 0.001 BTC"
    )


def test_the_orders_are_a_ladder_around_the_last_price() -> None:
    lines = screen(running()).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SIDE"))
    ladder = [line.split() for line in lines[start + 1 :]]
    assert [cells[1] for cells in ladder] == ["50050", "50010", "49950", "49900", "49850"]
    assert ladder[0] == ["SELL", "50050", "0.001", "0", "btc-grid-1000-B-2"]
    assert ladder[1] == ["-", "50010", "last", "price"]
    assert ladder[3] == ["BUY", "49900", "0.001", "0.0004", "btc-grid-998-B-1"]
    assert ladder[4][-2:] == ["btc-grid-997-B-1", "(pending)"]


def test_far_orders_are_counted_not_listed() -> None:
    text = screen(running(), each_side=1)
    assert "49900" not in text
    assert "49850" not in text
    assert "... and 2 more further from the price (gridops orders)" in text


def test_a_halt_says_why_since_when_until_when_and_how_to_clear_it() -> None:
    text = screen(halted())
    assert row(text, "phase") == "halted, synced"
    assert row(text, "risk") == "HALTED: price moved 8.0% in 1s (50000 -> 46000)"
    assert "since 2025-01-02 11:59:00 UTC (60 s ago)" in text
    assert "clears by itself (cooldownSeconds) at 2025-01-02 12:05:00 UTC (in 5 min)" in text
    assert "clear now: curl -X POST http://127.0.0.1:8080/risk/clear" in text


def test_a_halt_without_cooldown_and_under_the_operator() -> None:
    text = screen(halted(until=None), controls=IN_CLUSTER)
    assert "does not clear by itself" in text
    assert "clear now: kubectl -n trading annotate gs btc-grid gridops.io/clear-halt=now" in text


def test_paused_says_how_to_resume() -> None:
    text = screen(running(phase="paused", paused=True, openOrders=[]))
    assert "resume: curl -X POST http://127.0.0.1:8080/resume" in text
    text = screen(running(phase="paused", paused=True), controls=IN_CLUSTER)
    assert (
        """kubectl -n trading patch gs btc-grid --type merge -p '{"spec":{"paused":false}}'"""
        in text
    )


def test_an_engine_that_is_starting() -> None:
    text = screen(
        running(phase="syncing", synced=False, lastPrice=None, lastPriceAt=None, openOrders=[])
    )
    assert row(text, "phase") == "syncing, not synced: reconciling with the connector"
    assert row(text, "price") == "no price yet"
    assert row(text, "orders") == "0 open: 0 buy, 0 sell"
    assert "SIDE" not in text


def test_a_fenced_engine_says_so() -> None:
    assert "fenced: another writer holds this strategy" in screen(running(fenced=True))


def test_colors_mark_phase_side_and_sign() -> None:
    text = screen(halted(), style=Style(True))
    assert "\x1b[31mhalted\x1b[0m" in text
    assert "\x1b[31mHALTED\x1b[0m" in text
    assert "\x1b[31m-0.0500000000000000000001\x1b[0m USDT" in text
    assert "\x1b[32m0.01\x1b[0m USDT" in text
    assert "\x1b[32mBUY \x1b[0m" in text
    assert ANSI.sub("", text) == screen(halted())


def test_a_grid_strategy_adds_its_phase_and_unhealthy_conditions() -> None:
    cluster = ClusterView(
        name="btc-grid",
        namespace="trading",
        spec={"symbol": "BTC/USDT"},
        status={
            "phase": "Degraded",
            "conditions": [
                {"type": "ConnectorReady", "status": "True", "reason": "Ready"},
                {"type": "LiveServerReady", "status": "False", "reason": "CrashLoop",
                 "message": "live server restarted 5 times"},
                {"type": "RiskHalted", "status": "False", "reason": "NotHalted"},
                {"type": "Paused", "status": "False", "reason": "Running"},
            ],
        },
    )  # fmt: skip
    text = screen(running(), controls=IN_CLUSTER, cluster=cluster)
    assert text.splitlines()[0].endswith("GridStrategy trading/btc-grid")
    assert row(text, "cluster") == "phase Degraded"
    assert "LiveServerReady=False CrashLoop: live server restarted 5 times" in text
    assert "ConnectorReady" not in text
    assert "RiskHalted" not in text
    assert "Paused=" not in text


def test_without_the_engine_the_operators_figures_stand_in() -> None:
    cluster = ClusterView(
        name="btc-grid",
        namespace="trading",
        spec={"symbol": "BTC/USDT", "paused": True},
        status={
            "phase": "Syncing",
            "price": "50010",
            "position": "0.002",
            "realizedPnl": "1.5",
            "unrealizedPnl": "-0.3",
            "openOrders": 4,
        },
        engine_error="HTTP 503: no endpoints available for service",
    )
    text = screen(None, controls=IN_CLUSTER, cluster=cluster)
    assert text.splitlines()[0] == "btc-grid  BTC/USDT  GridStrategy trading/btc-grid"
    assert row(text, "price") == "50010 USDT"
    assert row(text, "position") == "0.002 BTC"
    assert row(text, "realized") == "1.5 USDT  net of fees"
    assert row(text, "unrealized") == "-0.3 USDT"
    assert row(text, "orders") == "4 open"
    assert row(text, "cluster") == "phase Syncing"
    assert "spec.paused is true" in text
    assert row(text, "engine") == "/status not read: HTTP 503: no endpoints available for service"


def test_the_engines_warnings_are_shown() -> None:
    warned = running(warnings=["grid.priceInterval 25 is 0.05 % of the price", "second"])
    text = screen(warned)
    assert row(text, "warning") == "grid.priceInterval 25 is 0.05 % of the price"
    assert "\n            second" in text
    assert "warning" not in screen(running(warnings=[]))
