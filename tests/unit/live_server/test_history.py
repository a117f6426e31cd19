"""The price history file: bounded, compacted, torn lines skipped, one server per directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridops.live_server.history import SUFFIX, PriceHistory, StateDirError


def _point(i: int) -> dict[str, str]:
    return {"time": f"2030-01-01T00:00:{i:02d}+00:00", "price": str(50000 + i)}


def _save(history: PriceHistory) -> None:
    history.write(history.take())


def test_points_written_are_loaded_by_the_next_server(tmp_path: Path) -> None:
    first = PriceHistory(tmp_path, limit=10)
    first.open()
    for i in range(4):
        first.add("BTC/USDT", _point(i))
    _save(first)
    first.close()
    second = PriceHistory(tmp_path, limit=10)
    second.open()
    assert second.get("BTC/USDT") == [_point(i) for i in range(4)]
    assert (tmp_path / ("BTC%2FUSDT" + SUFFIX)).is_file()  # "/" cannot be in a file name


def test_the_file_is_rewritten_past_twice_the_bound(tmp_path: Path) -> None:
    history = PriceHistory(tmp_path, limit=5)
    history.open()
    path = tmp_path / ("BTC%2FUSDT" + SUFFIX)
    for i in range(10):
        history.add("BTC/USDT", _point(i))
    _save(history)
    assert len(path.read_text().splitlines()) == 10  # appended up to 2 x limit
    history.add("BTC/USDT", _point(10))
    _save(history)
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [_point(i) for i in range(6, 11)]
    assert history.get("BTC/USDT") == [_point(i) for i in range(6, 11)]


def test_a_torn_or_bad_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / ("BTC%2FUSDT" + SUFFIX)
    good = json.dumps(_point(1))
    path.write_text(f'{good}\n{{"time": "x", "price": "NaN"}}\n[1]\n{good[:-5]}')
    history = PriceHistory(tmp_path)
    history.open()
    assert history.get("BTC/USDT") == [_point(1)]


def test_the_resubscription_tick_is_not_kept_twice() -> None:
    history = PriceHistory()
    history.add("BTC/USDT", _point(1))
    history.add("BTC/USDT", _point(1))
    assert history.get("BTC/USDT") == [_point(1)]
    assert not history.take()  # without a directory nothing is queued


def test_one_live_server_per_directory(tmp_path: Path) -> None:
    first = PriceHistory(tmp_path)
    first.open()
    with pytest.raises(StateDirError, match="in use by another live server"):
        PriceHistory(tmp_path).open()
    first.close()
    PriceHistory(tmp_path).open()


def test_a_write_error_stops_saving_not_serving(tmp_path: Path) -> None:
    history = PriceHistory(tmp_path / "dir")
    history.open()
    history.add("BTC/USDT", _point(1))
    batch = history.take()
    (tmp_path / "dir" / ("BTC%2FUSDT" + SUFFIX)).mkdir()  # appending to it fails
    history.write(batch)
    history.add("BTC/USDT", _point(2))
    assert not history.take()  # given up: nothing more queued
    assert history.get("BTC/USDT") == [_point(1), _point(2)]  # still served from memory
