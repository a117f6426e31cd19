"""The commands for humans: status, orders, fills, cancel, check-config (BRIEF §2).

They talk to the running parts over their public interfaces only: a market maker's HTTP
/status, the connector's gRPC API, the Kubernetes API. `register` adds them to the
`gridops` parser; each imports its module only when it runs, so other commands start
as fast as before.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from .arguments import add_connector_arguments, add_target_arguments
from .errors import CliError

Run = Callable[[argparse.Namespace], None]


def _guarded(run: Run) -> Run:
    """CliError -> `gridops: <message>` on stderr, exit 2; Ctrl-C -> exit 0, quietly."""

    def guarded(ns: argparse.Namespace) -> None:
        try:
            run(ns)
        except CliError as error:
            print(f"gridops: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            print(file=sys.stderr)
        except BrokenPipeError:  # `gridops orders | head`: the reader has what it wanted
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())

    return guarded


def _status(ns: argparse.Namespace) -> None:
    from .status import run

    run(ns)


def _orders(ns: argparse.Namespace) -> None:
    from .orders import run

    run(ns)


def _fills(ns: argparse.Namespace) -> None:
    from .fills import run

    run(ns)


def _cancel(ns: argparse.Namespace) -> None:
    from .cancel import run

    run(ns)


def _check_config(ns: argparse.Namespace) -> None:
    from .check_config import run

    run(ns)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add status, orders, fills, cancel and check-config to the `gridops` parser."""
    status = sub.add_parser(
        "status",
        help="a market maker's state for a human",
        description="Phase, price, position, PnL, risk, open orders and slots of one grid "
        "strategy. See docs/cli.md.",
    )
    add_target_arguments(status)
    status.add_argument(
        "--watch",
        nargs="?",
        const="2",
        metavar="SECONDS",
        help="redraw every SECONDS (default 2) until Ctrl-C",
    )
    status.set_defaults(run=_guarded(_status))

    orders = sub.add_parser(
        "orders",
        help="a strategy's open orders",
        description="The open orders a market maker holds (from its /status).",
    )
    add_target_arguments(orders)
    orders.set_defaults(run=_guarded(_orders))

    fills = sub.add_parser(
        "fills",
        help="a strategy's fills",
        description="A strategy's fills, from the connector (GetFills with the strategy's "
        "order-id prefix); TARGET tells which strategy and symbol.",
    )
    add_target_arguments(fills)
    add_connector_arguments(fills, required=False)
    fills.add_argument(
        "--limit", type=int, default=50, help="show the last N fills (default 50; 0: all)"
    )
    fills.set_defaults(run=_guarded(_fills))

    cancel = sub.add_parser(
        "cancel",
        help="cancel one strategy's open orders",
        description="Cancel the open orders whose client order ids carry exactly PREFIX "
        "(<prefix>-<level>-<B|S>-<n>); lists them and asks first unless --yes.",
    )
    add_connector_arguments(cancel, required=True)
    cancel.add_argument("--prefix", required=True, help="the strategy's client-order-id prefix")
    cancel.add_argument("--symbol", help="only this symbol's orders (default: every symbol)")
    cancel.add_argument(
        "--yes", "-y", action="store_true", help="do not ask; needed without a terminal"
    )
    cancel.add_argument(
        "--force",
        action="store_true",
        help="cancel even while a market maker holds the strategy (the connector logs "
        "who forced it); without it such a cancel is refused",
    )
    cancel.set_defaults(run=_guarded(_cancel))

    check = sub.add_parser(
        "check-config",
        help="every problem in a strategy file at once",
        description="Validate a market maker config or a GridStrategy manifest; with "
        "--connector, also against the exchange's tick, step, minimums and fees. Exit 2 "
        "when there is any error.",
    )
    check.add_argument("file", metavar="FILE", help="a strategy config (YAML) or GridStrategy")
    add_connector_arguments(check, required=False, default=None)
    check.set_defaults(run=_guarded(_check_config))
