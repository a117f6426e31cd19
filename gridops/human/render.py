"""Terminal output: colors (only on a terminal, never with NO_COLOR) and tables (pure).

Amounts are printed as the engine or the connector gave them, decimal strings; nothing
here turns one into a float.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

Paint = Callable[[str], str]

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


@dataclass(frozen=True, slots=True)
class Style:
    """ANSI colors when `color`, plain text otherwise."""

    color: bool = False

    def paint(self, name: str) -> Paint:
        if not self.color:
            return _plain
        code = _CODES[name]
        return lambda text: f"\x1b[{code}m{text}\x1b[0m" if text else text

    def bold(self, text: str) -> str:
        return self.paint("bold")(text)

    def dim(self, text: str) -> str:
        return self.paint("dim")(text)

    def red(self, text: str) -> str:
        return self.paint("red")(text)

    def green(self, text: str) -> str:
        return self.paint("green")(text)

    def yellow(self, text: str) -> str:
        return self.paint("yellow")(text)

    def signed(self, amount: str) -> str:
        """A decimal string, green when above zero, red below (read from its text)."""
        if amount.startswith("-"):
            return self.red(amount)
        if amount.strip("0.") and amount[0].isdigit():
            return self.green(amount)
        return amount


def _plain(text: str) -> str:
    return text


def style_for(stream: TextIO, environ: dict[str, str] | None = None) -> Style:
    """Colors only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return Style(False)
    isatty = getattr(stream, "isatty", None)
    return Style(bool(isatty and isatty()))


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its text (which sets the width) and how to paint it once padded."""

    text: str
    paint: Paint = field(default=_plain)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | Cell]],
    *,
    right: Sequence[int] = (),
    style: Style | None = None,
    indent: str = "",
) -> list[str]:
    """Lines of a table with two spaces between columns; `right`: right-aligned columns."""
    cells = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell.text))

    def line(row: Sequence[Cell]) -> str:
        parts = []
        for i, cell in enumerate(row):
            padded = cell.text.rjust(widths[i]) if i in right else cell.text.ljust(widths[i])
            parts.append(cell.paint(padded))
        return (indent + "  ".join(parts)).rstrip()

    head = line([Cell(h) for h in headers])
    lines = [(style or Style()).dim(head) if style else head]
    lines += [line(row) for row in cells]
    return lines


def count(n: int, noun: str) -> str:
    """'1 order', '3 orders'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def units(symbol: str) -> tuple[str, str]:
    """('BTC', 'USDT') for 'BTC/USDT'; ('', '') when the symbol is not BASE/QUOTE."""
    base, sep, quote = symbol.partition("/")
    return (base, quote) if sep and base and quote else ("", "")


def amount(value: object, unit: str) -> str:
    """A decimal string with its unit: '0.001 BTC'; '-' when the engine gave none."""
    if value is None or value == "":
        return "-"
    return f"{value} {unit}".rstrip()


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from a document; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ago(then: datetime, now: datetime) -> str:
    """'5 s ago', '3 min ago', '2 h ago', '4 d ago' ('in 3 min' for a future time)."""
    seconds = int((now - then).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 120:
        text = f"{seconds} s"
    elif seconds < 7200:
        text = f"{seconds // 60} min"
    elif seconds < 172800:
        text = f"{seconds // 3600} h"
    else:
        text = f"{seconds // 86400} d"
    return f"in {text}" if future else f"{text} ago"


def when(value: object, now: datetime) -> str:
    """'2024-05-01 12:00:03 UTC (5 s ago)' for an ISO time; the raw text if unreadable."""
    parsed = parse_time(value)
    if parsed is None:
        return str(value) if value else "-"
    stamp = parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({ago(parsed, now)})"
