"""The image's entry point: tini as PID 1, so signals (kill -9 included) reach gridops.

Checked for real by building the image (hack/image.sh) and in tests/e2e; this keeps the
Dockerfile and the base image's package list from drifting apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_entrypoint_runs_gridops_under_tini() -> None:
    text = (ROOT / "Dockerfile").read_text()
    entrypoints = re.findall(r"(?m)^ENTRYPOINT (.*)$", text)
    assert len(entrypoints) == 1, entrypoints
    assert json.loads(entrypoints[0]) == ["/usr/bin/tini", "--", "gridops"]


def test_the_base_image_installs_tini() -> None:
    script = (ROOT / "hack" / "base-image.sh").read_text()
    packages = re.search(r'rootfs\.sh" python ([^)]*)\)', script)
    assert packages is not None
    assert "tini" in packages.group(1).split()
