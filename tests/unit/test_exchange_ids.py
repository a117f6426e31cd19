"""The operator's list of ccxt exchange ids is the installed ccxt's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gridops.operator.connector import SUPPORTED_EXCHANGES

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_list_is_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "tools/genexchanges.py", "--check"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_operator_accepts_sim_and_binance_and_refuses_a_typo() -> None:
    assert {"sim", "binance", "kraken"} <= SUPPORTED_EXCHANGES
    assert "binanse" not in SUPPORTED_EXCHANGES
