"""The directory an engine writes its state to, checked before the engine starts.

On a read-only root filesystem (a pod without its state volume), the default `dataDir`
("data", relative to the working directory) cannot be created; the engine would only
find out at its first write, with a traceback. `check_state_dir` finds out first and
says which setting moves the directory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gridops.spec import StrategyConfig


class StateDirError(Exception):
    """The state directory cannot be used; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class StateDir:
    path: Path
    what: str  # what the engine keeps there
    setting: str  # the config field that moves it
    env: str  # ... and its environment variable
    hint: str = "a writable directory, e.g. a mounted volume"


def state_dir(config: StrategyConfig) -> StateDir | None:
    """Where `config`'s engine writes files; None when it writes none (PostgreSQL)."""
    data_dir = config.engine.data_dir
    if config.engine.type == "simple":
        return StateDir(data_dir, "risk journal", "engine.dataDir", "GRIDOPS_ENGINE__DATA_DIR")
    if config.engine.database_url is None:  # the default: sqlite:///<dataDir>/<name>.db
        return StateDir(data_dir, "SQLite database", "engine.dataDir", "GRIDOPS_ENGINE__DATA_DIR")
    # Imported here so the simple engine never loads SQLAlchemy.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(config.engine.database_url)
    except ArgumentError:
        return None  # the store says what is wrong with the URL
    database = url.database or ""
    if not url.get_backend_name().startswith("sqlite") or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None  # an SQLite URI: in memory or whatever its options say
    return StateDir(
        Path(database).expanduser().parent,
        "SQLite database",
        "engine.databaseUrl",
        "GRIDOPS_ENGINE__DATABASE_URL",
        "a file in a writable directory, e.g. on a mounted volume",
    )


def _problem(path: Path) -> str | None:
    """Why files cannot be written in `path` (created if missing), or None."""
    if path.exists() and not path.is_dir():
        return "is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot be created ({error.strerror or error})"
    # Really write: permission bits say nothing about a read-only mount, or about root.
    try:
        handle, probe = tempfile.mkstemp(prefix=".gridops-write-check-", dir=path)
    except OSError as error:
        return f"is not writable ({error.strerror or error})"
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def check_state_dir(config: StrategyConfig) -> StateDir | None:
    """Create the state directory if needed and prove it writable; StateDirError if not."""
    where = state_dir(config)
    if where is None:
        return None
    problem = _problem(where.path)
    if problem is not None:
        shown = (
            where.path if where.path.is_absolute() else f"{where.path} ({where.path.absolute()})"
        )
        raise StateDirError(
            f"state directory {shown} {problem}: the {config.engine.type} engine keeps its "
            f"{where.what} there; set {where.setting} (env {where.env}) to {where.hint}"
        )
    return where
