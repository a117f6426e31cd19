"""`gridops cancel --connector HOST:PORT --prefix PREFIX [--symbol S] [--yes] [--force]`.

Cancels one strategy's open orders: the ids `<prefix>-<level>-<B|S>-<n>` of exactly that
prefix (the connector's filter, so `btc` never touches `btc-2`'s orders). It lists them
first and asks, unless --yes; without a terminal to ask on, --yes is required. Afterwards
it asks the connector again and says what is still open: a running market maker places
its grid again, so pause it (or stop it) first.

While a market maker trades the strategy it holds it at the connector (its writer claim),
and the connector refuses a cancel from anyone else; --force sends an override naming
who forced it, which the connector logs, and the cancel goes through.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sys
from collections.abc import Callable

from gridops import errors
from gridops.order_ids import is_valid_prefix, normalize_prefix, strategy_prefix

from .connector import connected, read_token, translated
from .errors import CliError
from .render import count, style_for
from .tables import exchange_orders_table

Ask = Callable[[str], bool]


def check_prefix(text: str) -> str:
    """The prefix to filter on; CliError for an empty or impossible one."""
    prefix = normalize_prefix(text.strip())
    if not prefix:
        raise CliError("--prefix: required and not empty (an empty prefix would match every order)")
    if not is_valid_prefix(prefix):
        raise CliError(
            f"--prefix {text!r}: not an id prefix (letters, digits and ._:/ in dash-separated "
            "fields, at most 64 characters)"
        )
    return prefix


def prefix_hint(prefix: str) -> str:
    """When `prefix` is a strategy name whose ids use another prefix, say which."""
    derived = strategy_prefix(prefix)
    if derived != prefix:
        return f" (if {prefix} is a strategy name: its order ids use the prefix {derived})"
    return ""


def force_override() -> str:
    """The override `--force` sends: who forced the cancel, for the connector's log."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name, no $USER: the override must still go out
        user = "unknown"
    try:
        host = socket.gethostname()
    except OSError:
        host = "unknown"
    return f"gridops cancel --force by {user}@{host}"


def ask_on_terminal(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except (EOFError, KeyboardInterrupt):
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


def run(ns: argparse.Namespace) -> None:
    prefix = check_prefix(ns.prefix)
    if not ns.yes and not sys.stdin.isatty():
        raise CliError(
            "stdin is not a terminal, so there is no one to confirm: pass --yes to cancel "
            "without asking"
        )
    token = read_token(ns.token_file)
    ask = None if ns.yes else ask_on_terminal
    override = force_override() if ns.force else ""
    code = asyncio.run(cancel(ns.connector, token, prefix, ns.symbol, ask, override))
    if code:
        raise SystemExit(code)


async def cancel(
    address: str,
    token: str | None,
    prefix: str,
    symbol: str | None,
    ask: Ask | None,
    override: str = "",
) -> int:
    """List, confirm (unless `ask` is None), cancel, list what is left.

    The exit code: 0 when none is left open, 1 when the user said no or some are still
    open (a market maker placed them again). `override` (who forces it) cancels past a
    market maker's claim on the strategy; without it such a cancel is a CliError.
    """
    style = style_for(sys.stdout)
    where = f"prefix {prefix}" + (f", symbol {symbol}" if symbol else "")
    async with connected(address, token) as client:
        with translated(address):
            orders = await client.get_open_orders(symbol, prefix)
        if not orders:
            print(f"no open orders with {where} on {address}{prefix_hint(prefix)}")
            return 0
        print(f"{count(len(orders), 'open order')} with {where} on {address}:")
        print("\n".join(exchange_orders_table(orders, style)))
        question = (
            "Cancel this order?" if len(orders) == 1 else f"Cancel these {len(orders)} orders?"
        )
        if ask is not None and not ask(question):
            print("nothing cancelled")
            return 1
        with translated(address):
            try:
                cancelled = await client.cancel_all_orders(symbol, prefix, override=override)
            except errors.Fenced as error:
                raise CliError(
                    f"nothing cancelled: a market maker holds strategy {prefix}; stop it "
                    f"first, or pass --force to cancel anyway (the connector at {address}: "
                    f"{error})"
                ) from None
            left = await client.get_open_orders(symbol, prefix)
    print(f"cancelled {count(len(cancelled), 'order')}")
    if cancelled:
        print("\n".join(exchange_orders_table(cancelled, style)))
    if not left:
        print(f"left open: none with {where}")
        print(
            style.dim(
                "(a market maker still running on these ids places its grid again: "
                "pause or stop it first)"
            )
        )
        return 0
    print(style.yellow(f"left open: {count(len(left), 'order')} with {where}"))
    print("\n".join(exchange_orders_table(left, style)))
    print(
        "a running market maker places its grid again: pause it first (POST /pause on a "
        "market maker run by hand; spec.paused: true under the operator, which also cancels)"
    )
    return 1
