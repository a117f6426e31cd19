"""`make setup` says what it is doing before its silent minute of pip."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_announces_itself(tmp_path: Path) -> None:
    # -n: print the recipe without running it, for a venv that does not exist yet
    command = ["make", "-n", "--no-print-directory", "-C", str(ROOT)]
    result = subprocess.run(
        [*command, f"VENV={tmp_path / 'venv'}", "setup"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    first = result.stdout.strip().splitlines()[0]
    assert first.startswith('echo "setup: creating')
    assert "about a minute" in first
