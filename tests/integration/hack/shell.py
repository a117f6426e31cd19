"""Run functions of hack/lib.sh the way the hack/ scripts do (bash, `set -euo pipefail`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[3]
LIB = REPO_ROOT / "hack" / "lib.sh"
BASH = shutil.which("bash") or "/bin/bash"


def script(body: str) -> list[str]:
    """argv running `body` in bash after sourcing hack/lib.sh, as every hack script does."""
    return [BASH, "-c", f'set -euo pipefail\n. "{LIB}"\n{body}']


def run(body: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        script(body), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Background:
    """A lib.sh snippet running in its own bash; stderr goes to a file that can be polled."""

    body: str
    env: dict[str, str]
    workdir: Path
    name: str
    proc: subprocess.Popen[str] = field(init=False)
    _stdout: IO[str] = field(init=False)
    _stderr: IO[str] = field(init=False)

    def __post_init__(self) -> None:
        self._stdout = (self.workdir / f"{self.name}.out").open("w+")
        self._stderr = (self.workdir / f"{self.name}.err").open("w+")
        self.proc = subprocess.Popen(
            script(self.body), env=self.env, stdout=self._stdout, stderr=self._stderr, text=True
        )

    def stderr(self) -> str:
        return (self.workdir / f"{self.name}.err").read_text()

    def stdout(self) -> str:
        return (self.workdir / f"{self.name}.out").read_text()

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._stdout.close()
            self._stderr.close()

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._stdout.close()
        self._stderr.close()


def lib_value(body: str, env: dict[str, str]) -> str:
    """stdout of a lib.sh snippet that must succeed (e.g. `go_host_platform`)."""
    res = run(body, env)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def path_without(tmp: Path, *commands: str) -> str:
    """A PATH offering every command of the current PATH except `commands`.

    One directory of symlinks: dropping whole directories would also drop bash, curl...
    when the command to hide lives next to them (a Debian golang-go in /usr/bin).
    """
    farm = tmp / "path-farm"
    farm.mkdir(exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not Path(directory).is_dir():
            continue
        for entry in Path(directory).iterdir():
            target = farm / entry.name
            if entry.name in commands or target.exists() or target.is_symlink():
                continue
            if entry.is_file() and os.access(entry, os.X_OK):
                target.symlink_to(entry)
    return str(farm)
