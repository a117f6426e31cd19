"""`gridops status [TARGET] [--json] [--watch [SECONDS]]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from .errors import CliError
from .render import Style, style_for
from .sources import Snapshot, Source
from .status_view import render_status
from .targets import Target, parse_target

DEFAULT_WATCH = 2.0
CLEAR_SCREEN = "\x1b[H\x1b[2J"


def watch_interval(ns: argparse.Namespace) -> float | None:
    """Seconds between redraws, or None; `--watch NAME` is read as `NAME --watch`."""
    if ns.watch is None:
        return None
    try:
        seconds = float(ns.watch)
    except ValueError:
        if ns.target is None:  # argparse gave the TARGET to --watch's optional SECONDS
            ns.target, ns.watch = ns.watch, str(DEFAULT_WATCH)
            return DEFAULT_WATCH
        raise CliError(f"--watch {ns.watch!r}: SECONDS must be a number") from None
    if not 0.2 <= seconds <= 3600:
        raise CliError(f"--watch {ns.watch}: SECONDS must be from 0.2 to 3600")
    return seconds


def json_document(snapshot: Snapshot) -> dict[str, Any]:
    """--json: the engine's /status as it is; for a GridStrategy, both documents."""
    if snapshot.cluster is None:
        assert snapshot.document is not None
        return snapshot.document
    cluster = snapshot.cluster
    return {
        "name": cluster.name,
        "namespace": cluster.namespace,
        "gridStrategy": {"spec": cluster.spec, "status": cluster.status},
        "marketMaker": snapshot.document,
        "marketMakerError": cluster.engine_error,
    }


def screen(snapshot: Snapshot, style: Style) -> str:
    return render_status(
        snapshot.document,
        style=style,
        now=datetime.now(UTC),
        controls=snapshot.controls,
        cluster=snapshot.cluster,
    )


def run(ns: argparse.Namespace) -> None:
    interval = watch_interval(ns)
    target = parse_target(ns.target)
    if interval is None:
        asyncio.run(_once(target, ns))
    else:
        asyncio.run(_watch(target, ns, interval))


async def _once(target: Target, ns: argparse.Namespace) -> None:
    source = await Source.open(target, ns.namespace, ns.context)
    try:
        snapshot = await source.read()
    finally:
        await source.close()
    if ns.json:
        print(json.dumps(json_document(snapshot), indent=2))
    else:
        print(screen(snapshot, style_for(sys.stdout)))


async def _watch(target: Target, ns: argparse.Namespace, interval: float) -> None:
    """Redraw every `interval` s until Ctrl-C; after the first read, errors are shown."""
    style = style_for(sys.stdout)
    terminal = sys.stdout.isatty()
    source = await Source.open(target, ns.namespace, ns.context)
    try:
        first = True
        while True:
            snapshot: Snapshot | None = None
            try:
                snapshot = await source.read()
            except CliError as error:
                if first:
                    raise
                problem = f"gridops: {error}"
            first = False
            if ns.json:
                if snapshot is not None:
                    print(json.dumps(json_document(snapshot)), flush=True)
                else:
                    print(problem, file=sys.stderr, flush=True)
            else:
                text = screen(snapshot, style) if snapshot else f"{style.red(problem)}\n(retrying)"
                stamp = datetime.now(UTC).strftime("%H:%M:%S UTC")
                header = style.dim(f"every {interval:g} s, Ctrl-C to stop · {stamp}")
                frame = f"{CLEAR_SCREEN}{header}\n{text}\n" if terminal else f"{header}\n{text}\n\n"
                sys.stdout.write(frame)
                sys.stdout.flush()
            await asyncio.sleep(interval)
    finally:
        await source.close()
