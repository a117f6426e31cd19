"""Colors only on a terminal and without NO_COLOR; tables; times."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from gridops.human.render import Cell, Style, ago, amount, style_for, table, units, when


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colors_only_on_a_terminal_and_never_with_no_color() -> None:
    assert style_for(Terminal(), {}).color
    assert not style_for(io.StringIO(), {}).color
    assert not style_for(Terminal(), {"NO_COLOR": "1"}).color
    assert not style_for(Terminal(), {"TERM": "dumb"}).color
    assert style_for(Terminal(), {"NO_COLOR": ""}).color  # set but empty: no-color.org


def test_plain_style_adds_nothing() -> None:
    plain = Style(False)
    assert plain.red("x") == plain.bold("x") == plain.dim("x") == "x"
    assert plain.signed("-1.5") == "-1.5"
    assert plain.green("ok") == "ok"


def test_signed_amounts_are_green_above_zero_red_below() -> None:
    color = Style(True)
    assert color.signed("-0.15") == "\x1b[31m-0.15\x1b[0m"
    assert color.signed("2.5") == "\x1b[32m2.5\x1b[0m"
    assert color.signed("0") == "0"
    assert color.signed("0.000") == "0.000"


def test_tables_align_on_the_text_not_on_the_color_codes() -> None:
    color = Style(True)
    rows: list[list[str | Cell]] = [
        [Cell("BUY", color.green), "49950", "t-1"],
        [Cell("SELL", color.red), "50050.5", "t-2"],
    ]
    lines = table(["SIDE", "PRICE", "ID"], rows, right=(1,), style=color)
    plain = [line.replace("\x1b[32m", "").replace("\x1b[31m", "") for line in lines]
    plain = [line.replace("\x1b[2m", "").replace("\x1b[0m", "") for line in plain]
    assert plain == [
        "SIDE    PRICE  ID",
        "BUY     49950  t-1",
        "SELL  50050.5  t-2",
    ]
    assert "\x1b[32mBUY \x1b[0m" in lines[1]  # padded, then painted


def test_units_and_amounts() -> None:
    assert units("BTC/USDT") == ("BTC", "USDT")
    assert units("nonsense") == ("", "")
    assert amount("0.001", "BTC") == "0.001 BTC"
    assert amount(None, "BTC") == "-"
    # the engine's text as it is: no float on the way
    assert amount("50291.46453333333333333333333", "USDT") == "50291.46453333333333333333333 USDT"


def test_times_are_told_in_utc_with_their_age() -> None:
    now = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=5), now) == "5 s ago"
    assert ago(now - timedelta(minutes=3), now) == "3 min ago"
    assert ago(now - timedelta(hours=5), now) == "5 h ago"
    assert ago(now - timedelta(days=3), now) == "3 d ago"
    assert ago(now + timedelta(minutes=4), now) == "in 4 min"
    assert when("2025-01-02T11:59:30+00:00", now) == "2025-01-02 11:59:30 UTC (30 s ago)"
    assert when("2025-01-02T13:59:30+02:00", now) == "2025-01-02 11:59:30 UTC (30 s ago)"
    assert when(None, now) == "-"
    assert when("yesterday", now) == "yesterday"
