"""The committed gridops/v1 code is what tools/genproto.py generates from protos/ today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "gridops" / "v1"
STALE = "gridops/v1 is stale or hand-edited: run `make protos` and commit the result"


def generated_files(directory: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(directory.iterdir()) if p.is_file()}


def test_committed_code_matches_a_fresh_generation(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "genproto.py"), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"tools/genproto.py failed:\n{result.stdout}{result.stderr}"

    fresh = generated_files(tmp_path / "gridops" / "v1")
    assert any(name.endswith("_pb2.py") for name in fresh), f"nothing generated: {sorted(fresh)}"

    differ = sorted(
        name
        for name, path in fresh.items()
        if not (COMMITTED / name).is_file() or (COMMITTED / name).read_bytes() != path.read_bytes()
    )
    assert not differ, f"{STALE}; differing or missing in gridops/v1: {differ}"

    committed = sorted(p.name for p in COMMITTED.glob("*_pb2*") if p.is_file())
    assert committed, "no generated code is committed under gridops/v1"
    orphans = sorted(name for name in committed if name not in fresh)
    assert not orphans, f"{STALE}; no .proto generates these any more: {orphans}"
