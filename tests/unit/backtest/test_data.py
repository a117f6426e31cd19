"""gridops.backtest.data: each format, candle paths, errors with FILE:LINE, gaps, the sample."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gridops.backtest.data import (
    CandlePath,
    DataError,
    Gap,
    PricePoint,
    PriceSeries,
    read_prices,
)
from tools.make_backtest_sample import write_sample

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "backtest" / "BTCUSDT-1m-sample.csv"
T0_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
T0 = datetime(2024, 1, 1, tzinfo=UTC)
KLINE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore"
)
AGG_HEADER = (
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,"
    "is_buyer_maker,is_best_match"
)


def kline(
    minute: int,
    o: str,
    h: str,
    lo: str,
    c: str,
    *,
    micros: bool = False,
    interval_ms: int = 60_000,
    start_ms: int = T0_MS,
) -> str:
    opened = start_ms + minute * interval_ms
    closed = opened + interval_ms - 1
    if micros:
        opened, closed = opened * 1000, opened * 1000 + interval_ms * 1000 - 1
    return f"{opened},{o},{h},{lo},{c},1.5,{closed},75000.0,10,0.7,35000.0,0"


def agg(trade: int, price: str, ms: int, *, micros: bool = False) -> str:
    stamp = ms * 1000 if micros else ms
    return f"{trade},{price},0.01,{trade},{trade},{stamp},True,True"


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def pairs(series: PriceSeries) -> list[tuple[float, str]]:
    """(seconds after T0, price text): points compactly, for exact comparisons."""
    return [((p.time - T0).total_seconds(), str(p.price)) for p in series.points]


# --- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("micros", [False, True])
def test_klines_with_or_without_header_in_ms_or_us(
    tmp_path: Path, header: bool, micros: bool
) -> None:
    rows = [kline(0, "100", "110", "95", "105", micros=micros)]
    rows.append(kline(1, "105", "106", "104", "104.5", micros=micros))
    path = write(tmp_path / "k.csv", *([KLINE_HEADER] if header else []), *rows)

    series = read_prices([path])

    assert series.formats == ("binance-klines 1m",)
    assert pairs(series) == [
        (0, "100"), (20, "95"), (40, "110"), (60, "105"),  # the low is nearer the open
        (80, "106"), (100, "104"), (120, "104.5"),  # a tie: the high first
    ]  # fmt: skip
    assert series.gaps == ()
    assert series.skipped == 0
    assert all(p.time.tzinfo is UTC for p in series.points)


@pytest.mark.parametrize(
    ("interval_ms", "label"),
    [(1000, "1s"), (3_600_000, "1h"), (86_400_000, "1d"), (31 * 86_400_000, "1mo"),
     (90_000, "90s")],
)  # fmt: skip
def test_kline_interval_is_named_like_binance(tmp_path: Path, interval_ms: int, label: str) -> None:
    path = write(tmp_path / "k.csv", kline(0, "1", "3", "1", "2", interval_ms=interval_ms))
    series = read_prices([path])
    assert series.formats == (f"binance-klines {label}",)
    assert series.points[-1].time == T0 + timedelta(milliseconds=interval_ms)


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("micros", [False, True])
def test_agg_trades_collapse_repeated_prices_and_keep_shared_milliseconds(
    tmp_path: Path, header: bool, micros: bool
) -> None:
    trades = [
        agg(1, "100.5", T0_MS, micros=micros),
        agg(2, "100.5", T0_MS + 5, micros=micros),  # same price: one point
        agg(3, "100.4", T0_MS + 5, micros=micros),  # same millisecond, new price: kept
        agg(4, "100.6", T0_MS + 9, micros=micros),
    ]
    path = write(tmp_path / "a.csv", *([AGG_HEADER] if header else []), *trades)

    series = read_prices([path])

    assert series.formats == ("binance-aggtrades",)
    assert pairs(series) == [(0, "100.5"), (0.005, "100.4"), (0.009, "100.6")]
    assert series.skipped == 0  # collapsing equal prices is not skipping rows


def test_agg_trades_with_microsecond_precision(tmp_path: Path) -> None:
    us = T0_MS * 1000
    path = write(tmp_path / "a.csv", f"1,10,1,1,1,{us + 7},True,True", f"2,11,1,2,2,{us + 9},1,1")
    assert pairs(read_prices([path])) == [(0.000007, "10"), (0.000009, "11")]


@pytest.mark.parametrize("header", [None, "timestamp,price", "time,close"])
def test_timestamp_price_epoch_ms_and_iso(tmp_path: Path, header: str | None) -> None:
    rows = [
        f"{T0_MS},50000.10",
        "2024-01-01T00:01:00,50001",  # naive: UTC
        "2024-01-01T00:02:00Z,50002",
        "2024-01-01T02:03:00+02:00,50003",  # = 00:03Z
        "2024-01-01 00:04:00.250,50004",
    ]
    path = write(tmp_path / "p.csv", *([header] if header else []), *rows)

    series = read_prices([path])

    assert series.formats == ("timestamp-price",)
    assert pairs(series) == [
        (0, "50000.10"), (60, "50001"), (120, "50002"), (180, "50003"), (240.25, "50004")
    ]  # fmt: skip


def test_timestamp_price_duplicates_keep_the_last_and_are_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        f"{T0_MS},10",
        f"{T0_MS + 1000},11",
        f"{T0_MS + 1000},12",
        f"{T0_MS + 1000},13",
        f"{T0_MS + 2000},14",
    )
    series = read_prices([path])
    assert pairs(series) == [(0, "10"), (1, "13"), (2, "14")]
    assert series.skipped == 2


def test_byte_order_mark_blank_lines_and_crlf_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(f"\ufefftimestamp,price\r\n{T0_MS},1\r\n\r\n{T0_MS + 1000},2\r\n".encode())
    assert pairs(read_prices([path])) == [(0, "1"), (1, "2")]


def test_prices_are_decimals_from_the_text(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", f"{T0_MS},0.1", f"{T0_MS + 1},0.30000000")
    prices = [p.price for p in read_prices([path]).points]
    assert prices == [Decimal("0.1"), Decimal("0.3")]
    assert str(prices[1]) == "0.30000000"
    assert all(type(price) is Decimal for price in prices)


def test_zip_is_read_in_place_like_the_csv_inside(tmp_path: Path) -> None:
    rows = [kline(0, "100", "110", "95", "105"), kline(1, "105", "106", "104", "104.5")]
    plain = write(tmp_path / "BTCUSDT-1m-2024-01.csv", *rows)
    archive = tmp_path / "BTCUSDT-1m-2024-01.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(plain, plain.name)
    plain.unlink()

    series = read_prices([archive])

    assert series.formats == ("binance-klines 1m",)
    assert pairs(series)[:4] == [(0, "100"), (20, "95"), (40, "110"), (60, "105")]
    assert list(tmp_path.iterdir()) == [archive]  # nothing extracted beside it


def test_format_is_found_by_content_not_by_name(tmp_path: Path) -> None:
    archive = tmp_path / "prices.csv"  # a zip, whatever its name says
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("inside.csv", agg(1, "7", T0_MS) + "\n")
    assert read_prices([archive]).formats == ("binance-aggtrades",)


def test_zip_holding_two_files_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("a.csv", f"{T0_MS},1\n")
        out.writestr("b.csv", f"{T0_MS},1\n")
    with pytest.raises(DataError, match=r"two\.zip: a zip should hold one CSV file; it holds 2"):
        read_prices([archive])


def checksum_for(path: Path, digest: str | None = None) -> Path:
    digest = digest or hashlib.sha256(path.read_bytes()).hexdigest()
    target = path.with_name(path.name + ".CHECKSUM")
    target.write_text(f"{digest}  {path.name}\n")
    return target


def test_a_matching_checksum_passes(tmp_path: Path) -> None:
    archive = tmp_path / "k.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("k.csv", kline(0, "1", "3", "1", "2") + "\n")
    checksum_for(archive)
    assert len(read_prices([archive]).points) == 3


def test_a_wrong_checksum_names_both_files(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", kline(0, "1", "3", "1", "2"))
    checksum_for(path, "0" * 64)
    with pytest.raises(DataError) as caught:
        read_prices([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: sha256 ")
    assert f"does not match {path}.CHECKSUM ({'0' * 64})" in message
    # and the check can be turned off
    assert len(read_prices([path], verify_checksums=False).points) == 3


def test_a_file_changed_after_its_checksum_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", kline(0, "1", "2", "1", "2"))
    checksum_for(path)
    path.write_text(kline(0, "1", "3", "1", "2") + "\n")
    with pytest.raises(DataError, match="does not match"):
        read_prices([path])


def test_a_malformed_checksum_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", kline(0, "1", "2", "1", "2"))
    (tmp_path / "k.csv.CHECKSUM").write_text("not-a-hash  k.csv\n")
    with pytest.raises(DataError, match=rf"^{path}\.CHECKSUM:1: not '<sha256 hex>"):
        read_prices([path])


# --- candle paths -----------------------------------------------------------------------

# open 100, high 110, low 95, close 105: the low (5 away) is nearer the open than the high
HIGH_FIRST = [(0, "100"), (20, "110"), (40, "95"), (60, "105")]
LOW_FIRST = [(0, "100"), (20, "95"), (40, "110"), (60, "105")]


@pytest.mark.parametrize(
    ("path", "mode", "expected"),
    [
        (CandlePath.NEAREST, "long", LOW_FIRST),
        (CandlePath.NEAREST, "short", LOW_FIRST),
        (CandlePath.OPEN_HIGH_LOW_CLOSE, "long", HIGH_FIRST),
        (CandlePath.OPEN_HIGH_LOW_CLOSE, "short", HIGH_FIRST),
        (CandlePath.OPEN_LOW_HIGH_CLOSE, "long", LOW_FIRST),
        (CandlePath.OPEN_LOW_HIGH_CLOSE, "short", LOW_FIRST),
        (CandlePath.PESSIMISTIC, "long", HIGH_FIRST),
        (CandlePath.PESSIMISTIC, "short", LOW_FIRST),
        (CandlePath.PESSIMISTIC, "neutral", HIGH_FIRST),
    ],
)
def test_candle_paths(
    tmp_path: Path, path: CandlePath, mode: str, expected: list[tuple[float, str]]
) -> None:
    data = write(tmp_path / "k.csv", kline(0, "100", "110", "95", "105"))
    assert pairs(read_prices([data], candle_path=path, mode=mode)) == expected


def test_nearest_takes_the_high_first_when_it_is_nearer_or_as_near(tmp_path: Path) -> None:
    nearer = write(tmp_path / "a.csv", kline(0, "100", "102", "90", "95"))
    tie = write(tmp_path / "b.csv", kline(0, "100", "105", "95", "101"))
    assert pairs(read_prices([nearer])) == [(0, "100"), (20, "102"), (40, "90"), (60, "95")]
    assert pairs(read_prices([tie])) == [(0, "100"), (20, "105"), (40, "95"), (60, "101")]


def test_candle_path_may_be_given_as_its_text(tmp_path: Path) -> None:
    data = write(tmp_path / "k.csv", kline(0, "100", "110", "95", "105"))
    assert pairs(read_prices([data], candle_path="ohlc")) == HIGH_FIRST  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'sideways' is not a valid CandlePath"):
        read_prices([data], candle_path="sideways")  # type: ignore[arg-type]


def test_an_unknown_grid_mode_is_refused(tmp_path: Path) -> None:
    data = write(tmp_path / "k.csv", kline(0, "100", "110", "95", "105"))
    with pytest.raises(ValueError, match="mode must be one of long, short, neutral"):
        read_prices([data], mode="both")


def test_repeated_prices_are_dropped_within_and_across_candles(tmp_path: Path) -> None:
    data = write(
        tmp_path / "k.csv",
        kline(0, "100", "100", "99", "99"),  # open = high, close = low
        kline(1, "99", "99", "99", "99"),  # flat: nothing new
        kline(2, "99.5", "101", "99.5", "100"),  # opens away from the last close
    )
    assert pairs(read_prices([data], candle_path=CandlePath.OPEN_HIGH_LOW_CLOSE)) == [
        (0, "100"), (40, "99"), (120, "99.5"), (140, "101"), (160, "99.5"), (180, "100")
    ]  # fmt: skip


# --- bad data ---------------------------------------------------------------------------

GOOD = kline(0, "100", "110", "95", "105")


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("1,2,3", "3 columns, expected 12 (Binance klines)"),
        (kline(1, "100", "110", "95", "abc"), "close 'abc' is not a number"),
        (kline(1, "100", "110", "0", "105"), "low '0' is not a positive price"),
        (kline(1, "100", "-110", "95", "105"), "high '-110' is not a positive price"),
        (kline(1, "100", "NaN", "95", "105"), "high 'NaN' is not a positive price"),
        (kline(1, "100", "Infinity", "95", "105"), "high 'Infinity' is not a positive price"),
        (
            kline(1, "100", "110", "95", "105").replace(",1704067319999,", ",1704067319999999,"),
            "open_time and close_time are in different units",
        ),
        (
            kline(1, "100", "110", "95", "105").replace(",1704067319999,", ",1704067199999,"),
            "close_time 1704067199999 is before open_time 1704067260000",
        ),
        (kline(1, "100", "94", "95", "94.5"), "high 94 is below low 95"),
        (kline(1, "111", "110", "95", "105"), "open 111 is outside the candle's low..high"),
        (kline(1, "100", "110", "95", "94"), "close 94 is outside the candle's low..high"),
        (
            kline(1, "100", "110", "95", "105").replace(str(T0_MS + 60_000), "2024-01-01", 1),
            "timestamp '2024-01-01' is not an epoch integer",
        ),
        (kline(0, "100", "110", "95", "105"), "overlaps the one on line 1"),
        (kline(-1, "100", "110", "95", "105"), "time goes backwards: 2023-12-31T23:59:00Z"),
        (
            kline(1, "1", "1", "1", "1", start_ms=1_704_067_200),
            "timestamp 1704127200 is before 1973 in epoch milliseconds (seconds?)",
        ),
    ],
)
def test_bad_kline_rows_are_named_by_file_and_line(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    path = write(tmp_path / "k.csv", GOOD, "", bad_row)  # a blank line: the bad row is line 3
    with pytest.raises(DataError) as caught:
        read_prices([path])
    assert str(caught.value).startswith(f"{path}:3: ")
    assert message in str(caught.value)
    assert (caught.value.file, caught.value.line) == (str(path), 3)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (f"{T0_MS + 1},1,2", "3 columns, expected 2 (timestamp,price)"),
        (f"{T0_MS + 1},", "price '' is not a number"),
        (f"{T0_MS + 1},-3", "price '-3' is not a positive price"),
        ("yesterday,3", "timestamp 'yesterday' is neither epoch milliseconds nor ISO 8601"),
        (f"{T0_MS - 1},3", "time goes backwards: 2023-12-31T23:59:59.999000Z is before"),
    ],
)
def test_bad_price_rows_are_named_by_file_and_line(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    path = write(tmp_path / "p.csv", "timestamp,price", f"{T0_MS},1", bad_row)
    with pytest.raises(DataError, match=f"^{re.escape(str(path))}:3: .*{re.escape(message)}"):
        read_prices([path])


def test_bad_agg_trade_rows_are_named_by_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", agg(1, "10", T0_MS), agg(2, "10", T0_MS - 1))
    with pytest.raises(DataError, match=rf"^{path}:2: time goes backwards"):
        read_prices([path])
    path = write(tmp_path / "a.csv", agg(1, "10", T0_MS), "2,10,1,2,2,x,True,True")
    with pytest.raises(DataError, match=rf"^{path}:2: timestamp 'x' is not an epoch integer"):
        read_prices([path])
    path = write(tmp_path / "a.csv", agg(1, "10", T0_MS), agg(2, "10", T0_MS // 1000))
    with pytest.raises(DataError, match=rf"^{path}:2: timestamp 1704067200 is before 1973"):
        read_prices([path])
    path = write(tmp_path / "a.csv", agg(1, "10", T0_MS), agg(2, "Infinity", T0_MS))
    with pytest.raises(DataError, match=rf"^{path}:2: price 'Infinity' is not a positive price"):
        read_prices([path])


def test_a_bad_first_row_is_reported_not_taken_for_a_header(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", f"{T0_MS},abc", f"{T0_MS + 1},1")
    with pytest.raises(DataError, match=rf"^{path}:1: price 'abc' is not a number"):
        read_prices([path])


def test_an_unknown_column_count_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "1,2,3,4,5")
    with pytest.raises(DataError, match=rf"^{path}:1: 5 columns: expected 12 .*, 8 .* or 2"):
        read_prices([path])


def test_a_header_that_does_not_fit_the_data_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "timestamp,price,volume", f"{T0_MS},1")
    with pytest.raises(DataError, match=rf"^{path}:1: the header has 3 columns, the data 2"):
        read_prices([path])


@pytest.mark.parametrize("content", ["", "\n\n", "timestamp,price\n"])
def test_an_empty_file_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=rf"^{path}: no data rows"):
        read_prices([path])


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=rf"^{tmp_path / 'nope.csv'}: no such file$"):
        read_prices([tmp_path / "nope.csv"])


def test_a_directory_is_not_a_data_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=rf"^{tmp_path}: is a directory"):
        read_prices([tmp_path])


def test_no_files_is_an_error() -> None:
    with pytest.raises(DataError, match="no data files given"):
        read_prices([])


# --- several files, gaps ----------------------------------------------------------------


def test_files_in_any_order_are_read_in_time_order(tmp_path: Path) -> None:
    january = write(
        tmp_path / "jan.csv", kline(0, "1", "2", "1", "2"), kline(1, "2", "3", "2", "3")
    )
    february = write(
        tmp_path / "feb.csv", agg(1, "4", T0_MS + 120_000), agg(2, "5", T0_MS + 180_000)
    )

    series = read_prices([february, january])

    assert series.formats == ("binance-aggtrades", "binance-klines 1m")  # as given
    assert [str(p.price) for p in series.points] == ["1", "2", "3", "4", "5"]
    times = [p.time for p in series.points]
    assert times == sorted(times)


def test_overlapping_files_are_refused_naming_both(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", kline(0, "1", "2", "1", "2"), kline(1, "2", "3", "2", "3"))
    second = write(tmp_path / "b.csv", kline(1, "2", "3", "2", "3"), kline(2, "3", "4", "3", "4"))
    with pytest.raises(DataError) as caught:
        read_prices([second, first])
    message = str(caught.value)
    assert message.startswith(f"{second}:1: overlaps {first}")
    assert "(its line 2)" in message


def test_a_file_given_twice_overlaps_itself(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", f"{T0_MS},1", f"{T0_MS + 1000},2")
    with pytest.raises(DataError, match=f"overlaps {path}"):
        read_prices([path, path])


def test_a_timestamp_shared_by_two_price_files_counts_once(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", f"{T0_MS},1", f"{T0_MS + 1000},2")
    second = write(tmp_path / "b.csv", f"{T0_MS + 1000},3", f"{T0_MS + 2000},4")
    series = read_prices([first, second])
    assert pairs(series) == [(0, "1"), (1, "3"), (2, "4")]
    assert series.skipped == 1


def test_missing_candles_are_gaps_with_their_source(tmp_path: Path) -> None:
    path = write(
        tmp_path / "k.csv",
        kline(0, "1", "2", "1", "2"),
        kline(1, "2", "3", "2", "3"),
        kline(5, "3", "4", "3", "4"),  # minutes 2, 3, 4 missing
        kline(6, "4", "5", "4", "5"),
    )
    series = read_prices([path])
    assert series.gaps == (
        Gap(after=T0 + timedelta(minutes=2), before=T0 + timedelta(minutes=5), source=f"{path}:3"),
    )
    assert series.gaps[0].seconds == 180.0


def test_one_missing_candle_is_a_gap_and_a_late_half_step_is_not(tmp_path: Path) -> None:
    one_missing = write(
        tmp_path / "a.csv", kline(0, "1", "2", "1", "2"), kline(2, "2", "3", "2", "3")
    )
    assert [g.source for g in read_prices([one_missing]).gaps] == [f"{one_missing}:2"]
    prices = write(
        tmp_path / "p.csv",
        *(f"{T0_MS + s * 1000},{s + 1}" for s in (0, 10, 20, 35, 50, 66, 76)),
    )
    # median step 10 s: a 15 s step is not above 1.5x, a 16 s one is
    series = read_prices([prices])
    assert [(g.source, g.seconds) for g in series.gaps] == [(f"{prices}:6", 16.0)]


def test_a_gap_between_files_names_the_later_file(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", kline(0, "1", "2", "1", "2"), kline(1, "2", "3", "2", "3"))
    second = write(tmp_path / "b.csv", kline(10, "2", "3", "2", "3"))
    gaps = read_prices([second, first]).gaps
    assert [(g.source, g.seconds) for g in gaps] == [(f"{second}:1", 480.0)]


def test_trades_in_the_same_millisecond_do_not_hide_gaps(tmp_path: Path) -> None:
    # most steps are 0 ms: the typical step is the median of the positive ones (10 ms)
    stamps = [0, 0, 0, 10, 10, 10, 20, 20, 30, 30, 500]
    path = write(
        tmp_path / "a.csv", *(agg(i, str(100 + i), T0_MS + s) for i, s in enumerate(stamps))
    )
    assert [g.source for g in read_prices([path]).gaps] == [f"{path}:11"]


# --- the shipped sample, speed ----------------------------------------------------------


def test_the_shipped_sample_reads_whole_with_its_checksum(tmp_path: Path) -> None:
    assert SAMPLE.with_name(SAMPLE.name + ".CHECKSUM").is_file()
    series = read_prices([SAMPLE])
    assert series.formats == ("binance-klines 1m",)
    assert series.gaps == ()
    assert series.skipped == 0
    assert series.points[0] == PricePoint(T0, Decimal("50000.00"))
    assert series.points[-1].time == T0 + timedelta(days=7)
    assert 10_080 < len(series.points) <= 4 * 10_080
    assert all(Decimal(40_000) < p.price < Decimal(60_000) for p in series.points)
    # the checksum is really checked: a copy with one byte changed is refused
    copy = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE.with_name(SAMPLE.name + ".CHECKSUM"), tmp_path)
    data = bytearray(SAMPLE.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
    copy.write_bytes(bytes(data))
    with pytest.raises(DataError, match="does not match"):
        read_prices([copy])


def test_the_sample_generator_reproduces_the_shipped_bytes(tmp_path: Path) -> None:
    csv_path, checksum_path = write_sample(tmp_path)
    assert csv_path.read_bytes() == SAMPLE.read_bytes()
    assert checksum_path.read_bytes() == SAMPLE.with_name(SAMPLE.name + ".CHECKSUM").read_bytes()
    assert len(csv_path.read_text().splitlines()) == 10_080
    assert csv_path.stat().st_size < 1_048_576
