"""Recent prices per symbol, bounded, kept in files so a live-server restart keeps the chart.

One append-only JSON-lines file per symbol in the state directory (`--state-dir`). The
event loop only queues lines; `take()` hands the queued work to a writer thread, which
appends (or, once a file holds twice the bound, rewrites it with the newest points
through a temporary file and a rename, so a crash leaves the old file or the new one).
A torn last line (killed mid-write) is skipped when loading. Losing the last second of
prices to a kill -9 is accepted: they are a chart's history, not a ledger.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

log = logging.getLogger(__name__)

#: points kept per symbol (the dashboard keeps as many)
LIMIT = 5_000
SUFFIX = ".prices.jsonl"
LOCK = "lock"


class StateDirError(Exception):
    """The state directory cannot be used (not writable, or held by another live server)."""


def default_state_dir(connector: str) -> Path:
    """A directory under the temp dir, one per connector address.

    Under Kubernetes /tmp is the pod's emptyDir, which outlives container restarts; on a
    workstation two live servers of two connectors do not mix their histories.
    """
    key = "".join(c if c.isalnum() or c in "-." else "_" for c in connector)
    return Path(tempfile.gettempdir()) / "gridops-live-server" / key


@dataclass
class Batch:
    """Work for the writer: lines to append per file, or whole files to rewrite."""

    appends: dict[Path, list[str]] = field(default_factory=dict)
    rewrites: dict[Path, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.appends or self.rewrites)


def _line(point: dict[str, Any]) -> str:
    return json.dumps({"time": point["time"], "price": point["price"]}, separators=(",", ":"))


def _point(line: str) -> dict[str, Any] | None:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            return None
        time, price = data.get("time"), data.get("price")
        if not isinstance(time, str) or not isinstance(price, str):
            return None
        if not Decimal(price).is_finite():
            return None
    except (ValueError, InvalidOperation):
        return None
    return {"time": time, "price": price}


class PriceHistory:
    def __init__(self, directory: Path | None = None, limit: int = LIMIT) -> None:
        self.directory = directory
        self.limit = limit
        self._points: dict[str, deque[dict[str, Any]]] = {}
        self._pending: dict[str, list[str]] = {}
        self._lines: dict[str, int] = {}  # lines in each symbol's file
        self._lock: IO[str] | None = None
        self._failed = False

    # -- setup ---------------------------------------------------------------------------

    def open(self) -> None:
        """Create and lock the directory, then load what it holds; StateDirError if not."""
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = (self.directory / LOCK).open("a")
        except OSError as error:
            raise StateDirError(f"{self.directory}: {error.strerror or error}") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise StateDirError(f"{self.directory}: in use by another live server") from None
        self._lock = lock
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            symbol = unquote(path.name.removesuffix(SUFFIX))
            try:
                lines = path.read_text().splitlines()
            except (OSError, UnicodeDecodeError) as error:
                log.warning("price history %s not loaded: %s", path, error)
                continue
            points = [p for p in map(_point, lines) if p is not None]
            self._points[symbol] = deque(points[-self.limit :], maxlen=self.limit)
            self._lines[symbol] = len(lines)
        if self._points:
            log.info(
                "price history loaded from %s: %s", self.directory,
                ", ".join(f"{s} {len(p)} points" for s, p in sorted(self._points.items())),
            )  # fmt: skip

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    # -- the event loop's side -------------------------------------------------------------

    def add(self, symbol: str, point: dict[str, Any]) -> None:
        entry = {"time": point["time"], "price": point["price"]}
        history = self._points.setdefault(symbol, deque(maxlen=self.limit))
        if history and history[-1] == entry:
            # A (re)subscription opens with the current tick, which a restarted server
            # already has from its file.
            return
        history.append(entry)
        if self.directory is not None and not self._failed:
            self._pending.setdefault(symbol, []).append(_line(entry))

    def get(self, symbol: str) -> list[dict[str, Any]]:
        return list(self._points.get(symbol, ()))

    def symbols(self) -> Iterable[str]:
        return self._points.keys()

    def take(self) -> Batch:
        """The queued lines as writer work; a file grown past twice the bound is rewritten."""
        batch = Batch()
        if self.directory is None:
            return batch
        pending, self._pending = self._pending, {}
        for symbol, lines in pending.items():
            path = self.directory / (quote(symbol, safe="") + SUFFIX)
            count = self._lines.get(symbol, 0) + len(lines)
            if count > 2 * self.limit:
                kept = [_line(p) for p in self._points[symbol]]
                batch.rewrites[path] = kept
                self._lines[symbol] = len(kept)
            else:
                batch.appends[path] = lines
                self._lines[symbol] = count
        return batch

    # -- the writer's side (a thread) ------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Do the file work of `batch`; an error stops persistence (logged once), not the server."""
        try:
            for path, lines in batch.appends.items():
                with path.open("a") as file:
                    file.write("".join(line + "\n" for line in lines))
            for path, lines in batch.rewrites.items():
                fd, name = tempfile.mkstemp(dir=path.parent, prefix=".prices-")
                try:
                    with os.fdopen(fd, "w") as file:
                        file.write("".join(line + "\n" for line in lines))
                    os.replace(name, path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(name)
                    raise
        except OSError as error:
            if not self._failed:
                log.warning(
                    "price history no longer saved to %s: %s (kept in memory only)",
                    self.directory, error,
                )  # fmt: skip
            self._failed = True
