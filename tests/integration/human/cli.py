"""Run `gridops …` as a user does: a real process, on a pipe or on a terminal (a pty)."""

from __future__ import annotations

import asyncio
import errno
import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one line a failed command printed; fails when it printed more or a traceback."""
        lines = self.err.strip().splitlines()
        assert "Traceback" not in self.err, self.err
        assert len(lines) == 1, self.err
        return lines[0]


def clean_env(**changes: str | None) -> dict[str, str]:
    """The environment without GRIDOPS_* and NO_COLOR, plus `changes` (None removes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDOPS_") and k != "NO_COLOR"}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def gridops(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    """On pipes, stdin from /dev/null: no terminal anywhere."""
    done = subprocess.run(
        [sys.executable, "-m", "gridops", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or clean_env(),
    )
    return Result(done.returncode, done.stdout, done.stderr)


async def gridops_async(*args: str, env: dict[str, str] | None = None) -> Result:
    """The same, without blocking the event loop (for servers the test itself runs)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gridops", *args,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env or clean_env(),
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def on_terminal(
    *args: str, typed: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a pseudo-terminal; `typed` is what the user types.

    Returns the exit code and everything the terminal showed (echo included).
    """
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridops", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env or clean_env(TERM="xterm"),
        close_fds=True,
    )
    os.close(follower)
    if typed:
        os.write(leader, typed.encode())
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError as error:  # EIO: the process closed the terminal
                    if error.errno != errno.EIO:
                        raise
                    break
                if not chunk:
                    break
                shown += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, shown.decode(errors="replace").replace("\r\n", "\n")
