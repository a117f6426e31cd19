"""The arguments the human commands share: TARGET and its cluster flags, the connector."""

from __future__ import annotations

import argparse
import os

#: the demo's connector (gridops demo, gridops connector)
DEFAULT_CONNECTOR = "127.0.0.1:50051"
TOKEN_ENV = "GRIDOPS_CONNECTOR_TOKEN"

TARGET_HELP = (
    "a market maker's URL (default http://127.0.0.1:8080, the demo's), or the name of a "
    "GridStrategy in the cluster"
)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)
    parser.add_argument(
        "-n", "--namespace", help="a GridStrategy's namespace (default: the kubeconfig context's)"
    )
    parser.add_argument("--context", help="the kubeconfig context (default: the current one)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def add_connector_arguments(
    parser: argparse.ArgumentParser, *, required: bool, default: str | None = DEFAULT_CONNECTOR
) -> None:
    """--connector (required, or with a default: env GRIDOPS_CONNECTOR, else `default`)."""
    if required:
        parser.add_argument(
            "--connector", metavar="HOST:PORT", required=True, help="the connector's gRPC address"
        )
    else:
        fallback = os.environ.get("GRIDOPS_CONNECTOR", default) if default else None
        where = f" (default {default}, the demo's; env GRIDOPS_CONNECTOR)" if default else ""
        parser.add_argument(
            "--connector",
            metavar="HOST:PORT",
            default=fallback,
            help=f"the connector's gRPC address{where}",
        )
    parser.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"file holding the connector's bearer token (env {TOKEN_ENV})",
    )
