"""Crash points: deterministic SIGKILLs at chosen spots of the engine loop, for tests.

`GRIDOPS_CRASH_AT=after_place:3` kills the process (SIGKILL, no cleanup) the third time
the engine passes `after_place`. Unset (always, in production) this is a dict lookup.
"""

from __future__ import annotations

import os
import signal


class CrashPoints:
    def __init__(self, spec: str | None = None) -> None:
        spec = os.environ.get("GRIDOPS_CRASH_AT", "") if spec is None else spec
        self._target = ""
        self._remaining = 0
        if spec:
            name, _, count = spec.partition(":")
            self._target = name
            self._remaining = int(count or 1)

    def hit(self, name: str) -> None:
        if name != self._target:
            return
        self._remaining -= 1
        if self._remaining <= 0:
            os.kill(os.getpid(), signal.SIGKILL)
