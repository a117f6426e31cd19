"""Historical prices for `gridops backtest`: Binance public-data files and plain CSVs.

`read_prices` turns data files into one `PriceSeries`: the price path the simulated
exchange replays, in time order, with the gaps found in the data and the format of each
file. It reads files only (no network, no event loop); a bad row is a `DataError` whose
message starts with "FILE:LINE:".

Formats, recognised by content, not by name (the column count of the first data row; a
first row whose first two columns are neither a timestamp nor a number is a header):

- Binance klines (12 columns: open_time, open, high, low, close, volume, close_time, ...),
  the archive at https://data.binance.vision; the interval is close_time - open_time plus
  one unit, labelled like Binance's file names ("binance-klines 1m").
- Binance aggTrades (8 columns: agg_trade_id, price, quantity, first_trade_id,
  last_trade_id, transact_time, is_buyer_maker, is_best_match).
- `timestamp,price` (2 columns): the timestamp in epoch milliseconds or ISO 8601 (a
  naive time is UTC). Rows sharing a timestamp: the last one counts, the others are
  counted in `PriceSeries.skipped`.

Epoch integers are milliseconds, except above 1e14, which as milliseconds would be after
the year 5138: those are microseconds, which Binance's spot files use from 2025 on. Values
below 1e11 (before 1973 in milliseconds) are refused: they are almost surely seconds.

A file may be a zip archive holding one CSV (Binance's format), read in place. When
`FILE.CHECKSUM` sits beside `FILE` (Binance's `<sha256 hex>  <file name>`), the file's
sha256 must match it.

Candles. A candle gives the open, high, low and close but not whether the high or the low
came first, and a grid's fills depend on that order. Each candle becomes the path
open -> first extreme -> second extreme -> close, at the candle's open time, one third and
two thirds into its interval, and its end (the next candle's open time). `CandlePath`
chooses the first extreme, and each choice is an assumption:

- nearest (default): the extreme nearer the open comes first (a tie: the high). Assumes
  the price took the shortest way through the candle, the usual reading of a candle.
- ohlc / olhc: always the high first / always the low first.
- pessimistic: the order in which no grid round trip completes inside the candle. A long
  grid buys below and sells above the price, so it sees the high first: its sells fill
  on the rise and its buys at the dip are left holding inventory at the close. A short
  grid (sells first, buys back lower) sees the low first. A neutral grid: the high first.

All of them assume the price touched each extreme once. A candle that swung between grid
levels several times completed more round trips than any path here shows; aggTrades data
does not have that problem.

Points. Consecutive equal prices are kept once (the first time: the grid acts only on a
change), so no two neighbouring points share a price. Times never decrease; points may
share a time (trades in the same millisecond, a candle opening away from the previous
close).

Gaps. A step between consecutive source rows longer than 1.5 times the expected step is a
`Gap`: for a candle the expected step is its interval; for trades and prices it is the
median of the series' positive steps between them. Gaps are reported, not refused.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import itertools
import statistics
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Final, NamedTuple, Protocol

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# As milliseconds these would be after the year 5138: Binance's microseconds instead.
_MICROS_ABOVE: Final = 10**14
# As milliseconds these are before March 1973: far likelier epoch seconds, refused.
_MILLIS_FROM: Final = 10**11
# datetime's last representable moment (9999-12-31T23:59:59.999999Z) in epoch µs.
_MICROS_MAX: Final = 253_402_300_799_999_999
_MODES: Final = ("long", "short", "neutral")
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members / an empty zip
_KLINE_NAMES: Final = {
    1: "1s", 60: "1m", 180: "3m", 300: "5m", 900: "15m", 1800: "30m", 3600: "1h",
    7200: "2h", 14400: "4h", 21600: "6h", 28800: "8h", 43200: "12h", 86400: "1d",
    259200: "3d", 604800: "1w",
}  # fmt: skip
_DAY_US: Final = 86_400_000_000


class DataError(Exception):
    """A data file can't be used. The message reads "FILE:LINE: what is wrong"."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.file = file
        self.line = line


class CandlePath(enum.StrEnum):
    """Which of a candle's extremes the replayed price reaches first (module docstring)."""

    NEAREST = "nearest"
    OPEN_HIGH_LOW_CLOSE = "ohlc"
    OPEN_LOW_HIGH_CLOSE = "olhc"
    PESSIMISTIC = "pessimistic"


@dataclass(frozen=True, slots=True)
class PricePoint:
    time: datetime  # UTC, aware
    price: Decimal


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing data: nothing between `after` (the end of a row) and `before` (the next)."""

    after: datetime
    before: datetime
    source: str  # "FILE:LINE" of the row after the gap

    @property
    def seconds(self) -> float:
        return (self.before - self.after).total_seconds()


@dataclass(frozen=True, slots=True)
class PriceSeries:
    points: tuple[PricePoint, ...]
    gaps: tuple[Gap, ...]
    formats: tuple[str, ...]  # one per file, in the order the paths were given
    skipped: int  # rows left out: timestamp-price rows whose timestamp a later row repeats


class _Row(NamedTuple):
    """One source row: a trade or price (span 0, one price) or a candle (o, h, l, c)."""

    time: int  # epoch µs
    span: int  # µs the row covers: a candle's interval; 0 for a trade or a price
    prices: tuple[Decimal, ...]
    line: int


@dataclass(slots=True)
class _File:
    name: str
    label: str
    rows: list[_Row]
    skipped: int
    dedupe: bool  # a repeated timestamp replaces the row before (timestamp-price data)


def read_prices(
    paths: Sequence[Path],
    *,
    candle_path: CandlePath = CandlePath.NEAREST,
    mode: str = "long",
    verify_checksums: bool = True,
) -> PriceSeries:
    """The price path in `paths` (any order, one series), or DataError naming FILE:LINE.

    `mode` is the grid's ("long", "short", "neutral"): the pessimistic candle path
    depends on it.
    """
    order = CandlePath(candle_path)  # a plain string from a command line works too
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if not paths:
        raise DataError("no data files given")
    files = [_read_file(Path(path), verify_checksums) for path in paths]
    ordered = _in_time_order(files)
    shared = _drop_shared_timestamps(ordered)
    return PriceSeries(
        points=_points(ordered, _extreme_order(order, mode)),
        gaps=_gaps(ordered),
        formats=tuple(file.label for file in files),
        skipped=sum(file.skipped for file in files) + shared,
    )


# --- one file -------------------------------------------------------------------------


def _read_file(path: Path, verify_checksum: bool) -> _File:
    name = str(path)
    try:
        if verify_checksum:
            _verify_checksum(path, name)
        with _text(path, name) as text:
            return _parse(csv.reader(text), name)
    except FileNotFoundError:
        raise _error(name, None, "no such file") from None
    except IsADirectoryError:
        raise _error(name, None, "is a directory, not a data file") from None
    except OSError as e:
        raise _error(name, None, f"cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise _error(name, None, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except (zipfile.BadZipFile, csv.Error) as e:
        raise _error(name, None, f"cannot read it ({e})") from None


def _verify_checksum(path: Path, name: str) -> None:
    """Binance ships FILE.CHECKSUM (`<sha256 hex>  <name>`) beside FILE: check it if there."""
    checksum = path.with_name(path.name + ".CHECKSUM")
    if not checksum.is_file():
        return
    checksum_name = f"{name}.CHECKSUM"
    fields = checksum.read_text(encoding="utf-8", errors="replace").split()
    expected = fields[0].lower() if fields else ""
    if len(expected) != 64 or not all(c in "0123456789abcdef" for c in expected):
        raise _error(checksum_name, 1, "not '<sha256 hex>  <file name>' (Binance's format)")
    with path.open("rb") as data:
        actual = hashlib.file_digest(data, "sha256").hexdigest()
    if actual != expected:
        raise _error(
            name,
            None,
            f"sha256 {actual} does not match {checksum_name} ({expected}):"
            " the file is damaged or is not the one the checksum is for",
        )


@contextmanager
def _text(path: Path, name: str) -> Iterator[IO[str]]:
    """The file's text. A zip (Binance's archive format) is read in place, not extracted."""
    with path.open("rb") as raw:
        is_zip = raw.read(4) in _ZIP_MAGIC
    if not is_zip:
        # utf-8-sig: a CSV saved by a spreadsheet may start with a byte-order mark
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield text
        return
    with zipfile.ZipFile(path) as archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        if len(members) != 1:
            raise _error(name, None, f"a zip should hold one CSV file; it holds {len(members)}")
        with archive.open(members[0]) as member:
            yield io.TextIOWrapper(member, encoding="utf-8-sig", newline="")


class _Reader(Protocol):
    """What a csv.reader offers: rows, and the line the last one ended on."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


class _Format(NamedTuple):
    label: str
    what: str  # for a wrong column count
    parse: Callable[[list[str], str, int], _Row]
    dedupe: bool  # a repeated timestamp replaces the row before (timestamp-price data)


def _parse(reader: _Reader, name: str) -> _File:
    line, first = _first_row(reader, name)
    form = _FORMATS.get(len(first))
    if form is None:
        raise _error(
            name,
            line,
            f"{len(first)} columns: expected 12 (Binance klines), 8 (Binance aggTrades)"
            " or 2 (timestamp,price)",
        )
    rows, replaced = _rows(reader, (line, first), form, name)
    label = form.label
    if rows[0].span:
        label = f"{label} {_interval_name(rows[0].span)}"
    return _File(name, label, rows, replaced, form.dedupe)


def _first_row(reader: _Reader, name: str) -> tuple[int, list[str]]:
    """The first data row and its line, past blank lines and a header."""
    rows = (fields for fields in reader if not _blank(fields))
    first = next(rows, None)
    if first is not None and _is_header(first):
        header, header_line = first, reader.line_num
        first = next(rows, None)
        if first is not None and len(header) != len(first):
            raise _error(
                name, header_line, f"the header has {len(header)} columns, the data {len(first)}"
            )
    if first is None:
        raise _error(name, None, "no data rows (the file is empty)")
    return reader.line_num, first


def _rows(
    reader: _Reader, first: tuple[int, list[str]], form: _Format, name: str
) -> tuple[list[_Row], int]:
    """The file's rows, refusing time that goes back or candles that overlap. With
    `form.dedupe` a repeated timestamp replaces the row before: (rows, how many replaced).

    One loop with the checks inline: it runs once per row of month-long files.
    """
    width = len(first[1])
    before = form.parse(first[1], name, first[0])
    rows = [before]
    replaced = 0
    for fields in reader:
        if len(fields) != width:
            if _blank(fields):
                continue
            raise _error(
                name, reader.line_num, f"{len(fields)} columns, expected {width} ({form.what})"
            )
        row = form.parse(fields, name, reader.line_num)
        if row.time < before.time + before.span:
            raise _disorder(name, row, before)
        if form.dedupe and row.time == before.time:
            rows[-1] = row
            replaced += 1
        else:
            rows.append(row)
        before = row
    return rows, replaced


def _blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _disorder(name: str, row: _Row, before: _Row) -> DataError:
    if row.time < before.time:
        what = f"time goes backwards: {_iso(row.time)} is before {_iso(before.time)}"
        return _error(name, row.line, f"{what} on line {before.line}")
    end = _iso(before.time + before.span)
    what = f"the candle at {_iso(row.time)} overlaps the one on line {before.line}"
    return _error(name, row.line, f"{what}, which ends at {end}")


def _is_header(fields: list[str]) -> bool:
    """Column names: neither of the first two fields is a timestamp or a number.

    Both must fail, so a first data row with one bad field is reported, not skipped.
    """
    if len(fields) < 2:
        return False
    for text in fields[:2]:
        try:
            Decimal(text)
            return False
        except InvalidOperation:
            pass
        try:
            datetime.fromisoformat(text.strip())
            return False
        except ValueError:
            pass
    return True


# --- rows of each format --------------------------------------------------------------
# Each has a fast path (parse, one combined check) and, only when that fails, a slow one
# that finds and names the problem: a month of 1-minute candles is 43,200 rows.


def _kline_row(fields: list[str], name: str, line: int) -> _Row:
    try:
        opened, closed = int(fields[0]), int(fields[6])
        prices = Decimal(fields[1]), Decimal(fields[2]), Decimal(fields[3]), Decimal(fields[4])
        open_, high, low, close = prices
        fine = (
            _MILLIS_FROM <= opened <= closed <= _MICROS_MAX
            and (opened > _MICROS_ABOVE) == (closed > _MICROS_ABOVE)
            and 0 < low <= open_ <= high
            and low <= close <= high
            and high.is_finite()  # low > 0 and high >= the rest: only high can be infinite
        )
    except (ValueError, InvalidOperation):  # InvalidOperation: not a number, or a NaN compared
        fine = False
    if not fine:
        raise _kline_problem(fields, name, line)
    # close_time is the candle's last instant (unit: ms or µs): its end is one unit later
    if opened > _MICROS_ABOVE:
        return _Row(opened, closed + 1 - opened, prices, line)
    return _Row(opened * 1000, (closed + 1 - opened) * 1000, prices, line)


def _kline_problem(fields: list[str], name: str, line: int) -> DataError:
    opened, open_unit = _epoch_us(fields[0], name, line)
    closed, close_unit = _epoch_us(fields[6], name, line)
    if open_unit != close_unit:
        return _error(name, line, "open_time and close_time are in different units")
    if closed < opened:
        return _error(name, line, f"close_time {fields[6]} is before open_time {fields[0]}")
    high = _price(fields[2], "high", name, line)
    low = _price(fields[3], "low", name, line)
    if high < low:
        return _error(name, line, f"high {fields[2]} is below low {fields[3]}")
    for text, what in ((fields[1], "open"), (fields[4], "close")):
        if not low <= _price(text, what, name, line) <= high:
            return _error(
                name, line, f"{what} {text} is outside the candle's low..high {low}..{high}"
            )
    return _error(name, line, "not a valid candle")  # not reached: the fast path said no


def _agg_trade_row(fields: list[str], name: str, line: int) -> _Row:
    try:
        time, price = int(fields[5]), Decimal(fields[1])
        fine = _MILLIS_FROM <= time <= _MICROS_MAX and price > 0 and price.is_finite()
    except (ValueError, InvalidOperation):
        fine = False
    if not fine:  # the slow path names the problem
        _epoch_us(fields[5], name, line)
        _price(fields[1], "price", name, line)
        raise _error(name, line, "not a valid trade")  # not reached: one of them raised
    return _Row(time if time > _MICROS_ABOVE else time * 1000, 0, (price,), line)


def _timestamp_price_row(fields: list[str], name: str, line: int) -> _Row:
    price = _price(fields[1], "price", name, line)
    return _Row(_timestamp_us(fields[0], name, line), 0, (price,), line)


_FORMATS: Final = {
    12: _Format("binance-klines", "Binance klines", _kline_row, dedupe=False),
    8: _Format("binance-aggtrades", "Binance aggTrades", _agg_trade_row, dedupe=False),
    2: _Format("timestamp-price", "timestamp,price", _timestamp_price_row, dedupe=True),
}


def _epoch_us(text: str, name: str, line: int) -> tuple[int, int]:
    """An epoch integer as (µs, its unit in µs): milliseconds, or µs above 1e14."""
    try:
        value = int(text)
    except ValueError:
        raise _error(name, line, f"timestamp {text!r} is not an epoch integer") from None
    if value > _MICROS_MAX:
        raise _error(name, line, f"timestamp {value} is after the year 9999")
    if value > _MICROS_ABOVE:
        return value, 1
    if value < _MILLIS_FROM:
        raise _error(
            name, line, f"timestamp {value} is before 1973 in epoch milliseconds (seconds?)"
        )
    return value * 1000, 1000


def _timestamp_us(text: str, name: str, line: int) -> int:
    """Epoch milliseconds (or µs) or ISO 8601, as epoch µs; a naive time is UTC."""
    if text.strip().isdigit():
        return _epoch_us(text, name, line)[0]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _error(
            name, line, f"timestamp {text!r} is neither epoch milliseconds nor ISO 8601"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _price(text: str, what: str, name: str, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _error(name, line, f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise _error(name, line, f"{what} {text!r} is not a positive price")
    return value


def _interval_name(span_us: int) -> str:
    """Binance's name for a kline interval ("1m", "4h", "1mo"), else seconds ("90s")."""
    seconds, rest = divmod(span_us, 1_000_000)
    if not rest and seconds in _KLINE_NAMES:
        return _KLINE_NAMES[seconds]
    if 28 * _DAY_US <= span_us <= 31 * _DAY_US:
        return "1mo"  # Binance's name: months differ in length
    return f"{span_us / 1_000_000:g}s"


# --- the series -----------------------------------------------------------------------


def _in_time_order(files: list[_File]) -> list[_File]:
    """Files sorted by their first time; one that starts before the previous ends overlaps."""
    ordered = sorted(files, key=lambda file: file.rows[0].time)
    for earlier, later in itertools.pairwise(ordered):
        last, first = earlier.rows[-1], later.rows[0]
        if first.time < last.time + last.span:
            raise _error(
                later.name,
                first.line,
                f"overlaps {earlier.name}: this file starts at {_iso(first.time)},"
                f" before that one ends at {_iso(last.time + last.span)} (its line {last.line})",
            )
    return ordered


def _drop_shared_timestamps(ordered: list[_File]) -> int:
    """A timestamp-price file starting at its predecessor's last timestamp: keep the later
    row, as within a file. Returns how many rows were dropped."""
    dropped = 0
    for earlier, later in itertools.pairwise(ordered):
        both = earlier.dedupe and later.dedupe
        if both and earlier.rows[-1].time == later.rows[0].time:
            earlier.rows.pop()
            dropped += 1
    return dropped


def _pairs(files: Sequence[_File]) -> Iterator[tuple[_Row, _Row, str]]:
    """Consecutive rows of the series (across files), with the later row's file name."""
    before: _Row | None = None
    for file in files:
        for row in file.rows:
            if before is not None:
                yield before, row, file.name
            before = row


def _gaps(files: Sequence[_File]) -> tuple[Gap, ...]:
    steps = [row.time - before.time for before, row, _ in _pairs(files) if not before.span]
    positive = [step for step in steps if step > 0]  # trades often share a millisecond
    tick_step = statistics.median_low(positive) if positive else 0
    gaps = []
    for before, row, name in _pairs(files):
        expected = before.span or tick_step
        if expected and 2 * (row.time - before.time) > 3 * expected:
            end = before.time + before.span
            gaps.append(Gap(_datetime(end), _datetime(row.time), f"{name}:{row.line}"))
    return tuple(gaps)


def _extreme_order(order: CandlePath, mode: str) -> Callable[[Decimal, Decimal, Decimal], bool]:
    """Whether a candle (open, high, low) reaches its high first, under `order`."""
    if order is CandlePath.NEAREST:
        return _nearer_is_high
    # pessimistic: a short grid sees the low first; long and neutral the high (docstring)
    high_first = order is CandlePath.OPEN_HIGH_LOW_CLOSE or (
        order is CandlePath.PESSIMISTIC and mode != "short"
    )
    return lambda _open, _high, _low: high_first


def _nearer_is_high(open_: Decimal, high: Decimal, low: Decimal) -> bool:
    return high - open_ <= open_ - low  # a tie: the high


def _points(
    files: Sequence[_File], high_first: Callable[[Decimal, Decimal, Decimal], bool]
) -> tuple[PricePoint, ...]:
    points: list[PricePoint] = []
    at = _Times()
    last: Decimal | None = None
    for file in files:
        for row in file.rows:
            for offset, price in _path(row, high_first):
                if price != last:  # the grid acts on a change of price only
                    # = PricePoint(time, price), at half the cost (_SET_TIME's comment)
                    point = _NEW(PricePoint)
                    _SET_TIME(point, at(row.time + offset))
                    _SET_PRICE(point, price)
                    points.append(point)
                    last = price
    return tuple(points)


# A frozen dataclass's __init__ sets each field through object.__setattr__; setting the
# slots directly builds the same object in about half the time, and a month of 1-minute
# candles makes some 130,000 points (test_data checks the result equals PricePoint(...)).
_NEW: Final = object.__new__
_SET_TIME: Final[Callable[[PricePoint, datetime], None]] = vars(PricePoint)["time"].__set__
_SET_PRICE: Final[Callable[[PricePoint, Decimal], None]] = vars(PricePoint)["price"].__set__


def _path(
    row: _Row, high_first: Callable[[Decimal, Decimal, Decimal], bool]
) -> tuple[tuple[int, Decimal], ...]:
    """(µs after the row's time, price): one price, or a candle's four (module docstring)."""
    if not row.span:
        return ((0, row.prices[0]),)
    open_, high, low, close = row.prices
    first, second = (high, low) if high_first(open_, high, low) else (low, high)
    return ((0, open_), (row.span // 3, first), (2 * row.span // 3, second), (row.span, close))


class _Times:
    """Epoch µs to datetimes along a series, fast: each is the previous one plus the step,
    and steps repeat (a candle's thirds, a minute), so their timedeltas are kept. Building
    a datetime from scratch costs several times more, once per point of a long series."""

    def __init__(self) -> None:
        self._micros = 0
        self._moment = _EPOCH
        self._steps: dict[int, timedelta] = {}

    def __call__(self, micros: int) -> datetime:
        step = micros - self._micros
        delta = self._steps.get(step)
        if delta is None:
            delta = timedelta(microseconds=step)
            if len(self._steps) < 10_000:  # trades' steps vary: keep the memory bounded
                self._steps[step] = delta
        self._micros, self._moment = micros, self._moment + delta
        return self._moment


def _datetime(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _iso(micros: int) -> str:
    return _datetime(micros).isoformat().replace("+00:00", "Z")


def _error(file: str, line: int | None, what: str) -> DataError:
    where = file if line is None else f"{file}:{line}"
    return DataError(f"{where}: {what}", file=file, line=line)
