"""An engine whose state directory cannot be written stops at once: exit 2, one line.

Real `gridops market-maker` processes. No connector is needed: the check comes first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.market_maker import MarketMakerProcess, write_config


def run_market_maker(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridops", "market-maker", "--config", str(config),
         "--connector", "127.0.0.1:1", "--http-host", "127.0.0.1", "--http-port", "0"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )  # fmt: skip


def writable(path: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody can write in: mode 0555, and for root also immutable."""
    path = tmp_path / "read-only"
    path.mkdir()
    path.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:  # root ignores the mode bits; not the immutable attribute
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        assert not writable(path), "the test needs a directory this user cannot write"
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
        path.chmod(0o755)


def assert_refused(result: subprocess.CompletedProcess[str], directory: Path, setting: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(directory) in lines[0]
    assert setting in lines[0]
    assert "market maker" not in result.stderr  # it never started serving


@pytest.mark.parametrize("engine_type", ["durable", "simple"])
def test_a_data_dir_that_cannot_be_created(
    tmp_path: Path, read_only_dir: Path, engine_type: str
) -> None:
    data_dir = read_only_dir / "data"
    config = write_config(
        tmp_path / "mm.yaml", engine={"type": engine_type, "dataDir": str(data_dir)}
    )
    result = run_market_maker(config)
    assert_refused(result, data_dir, "engine.dataDir")
    assert "GRIDOPS_ENGINE__DATA_DIR" in result.stderr
    assert "cannot be created" in result.stderr


@pytest.mark.parametrize("engine_type", ["durable", "simple"])
def test_a_data_dir_that_exists_but_is_read_only(
    tmp_path: Path, read_only_dir: Path, engine_type: str
) -> None:
    config = write_config(tmp_path / "mm.yaml", engine={"type": engine_type})
    # The environment overrides the config file's dataDir, as on a pod.
    result = run_market_maker(config, GRIDOPS_ENGINE__DATA_DIR=str(read_only_dir))
    assert_refused(result, read_only_dir, "engine.dataDir")
    assert "is not writable" in result.stderr


@pytest.mark.parametrize("engine_type", ["durable", "simple"])
def test_a_data_dir_below_a_regular_file(tmp_path: Path, engine_type: str) -> None:
    # Fails for root too: nobody makes a directory inside a file.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    data_dir = blocker / "data"
    config = write_config(
        tmp_path / "mm.yaml", engine={"type": engine_type, "dataDir": str(data_dir)}
    )
    result = run_market_maker(config)
    assert_refused(result, data_dir, "engine.dataDir")
    assert blocker.read_text() == "not a directory\n"


def test_the_default_data_dir_in_a_read_only_working_directory(read_only_dir: Path) -> None:
    """The pod case: the default dataDir ("data") relative to a read-only working dir."""
    config: dict[str, Any] = {
        "GRIDOPS_NAME": "t-grid", "GRIDOPS_SYMBOL": "BTC/USDT",
        "GRIDOPS_GRID__PRICE_INTERVAL": "50", "GRIDOPS_GRID__ORDER_QUANTITY": "0.001",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "gridops", "market-maker", "--connector", "127.0.0.1:1",
         "--http-host", "127.0.0.1", "--http-port", "0"],
        capture_output=True, text=True, timeout=60, cwd=read_only_dir,
        env={**os.environ, **config},
    )  # fmt: skip
    assert_refused(result, read_only_dir / "data", "engine.dataDir")


def test_an_sqlite_url_in_an_unwritable_place_names_the_url_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = write_config(tmp_path / "mm.yaml", engine={"databaseUrl": f"sqlite:///{blocker}/x.db"})
    result = run_market_maker(config)
    assert_refused(result, blocker, "engine.databaseUrl")
    assert "is not a directory" in result.stderr


def test_a_writable_data_dir_is_created_and_used(
    tmp_path: Path, processes: list[MarketMakerProcess]
) -> None:
    """The check is no false alarm: a fresh directory is made and the engine starts."""
    data_dir = tmp_path / "new" / "state"
    config = write_config(tmp_path / "mm.yaml", engine={"dataDir": str(data_dir)})
    mm = MarketMakerProcess(config, "127.0.0.1:1")
    processes.append(mm)
    mm.start()  # fails unless it serves HTTP
    assert mm.get("/healthz")[0] == 200
    assert (data_dir / "t-grid.db").exists()
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".gridops-write-check")]
