"""The commands' own small rules: --watch's optional SECONDS, --json, --prefix."""

from __future__ import annotations

import argparse

import pytest

from gridops.human.cancel import check_prefix, force_override, prefix_hint
from gridops.human.controls import Controls
from gridops.human.errors import CliError
from gridops.human.sources import Snapshot
from gridops.human.status import json_document, watch_interval
from gridops.human.status_view import ClusterView
from gridops.order_ids import strategy_prefix


def parsed(*args: str) -> argparse.Namespace:
    from gridops.cli import build_parser

    return build_parser().parse_args(["status", *args])


@pytest.mark.parametrize(
    ("args", "target", "seconds"),
    [
        ((), None, None),
        (("--watch",), None, 2.0),
        (("--watch", "5"), None, 5.0),
        (("btc-grid", "--watch"), "btc-grid", 2.0),
        (("--watch", "0.5", "btc-grid"), "btc-grid", 0.5),
        (("--watch", "btc-grid"), "btc-grid", 2.0),  # argparse hands the TARGET to --watch
    ],
)
def test_watch_takes_optional_seconds(
    args: tuple[str, ...], target: str | None, seconds: float | None
) -> None:
    ns = parsed(*args)
    assert watch_interval(ns) == seconds
    assert ns.target == target


@pytest.mark.parametrize("value", ["0", "0.1", "7200", "nan"])
def test_watch_seconds_out_of_range_are_refused(value: str) -> None:
    with pytest.raises(CliError, match="--watch"):
        watch_interval(parsed("--watch", value))


def test_json_of_a_url_target_is_the_engines_document_as_is() -> None:
    document = {"name": "g", "synced": True, "position": "0.1"}
    assert json_document(Snapshot(document, Controls(url="http://x:1"))) is document


def test_json_of_a_grid_strategy_holds_both_documents() -> None:
    view = ClusterView("g", "ns", {"symbol": "BTC/USDT"}, {"phase": "Running"}, "HTTP 503")
    document = json_document(Snapshot(None, Controls(name="g", namespace="ns"), view))
    assert document == {
        "name": "g",
        "namespace": "ns",
        "gridStrategy": {"spec": {"symbol": "BTC/USDT"}, "status": {"phase": "Running"}},
        "marketMaker": None,
        "marketMakerError": "HTTP 503",
    }


def test_a_snapshot_without_the_engine_says_why() -> None:
    view = ClusterView("g", "ns", engine_error="HTTP 503: no endpoints")
    with pytest.raises(CliError, match="cannot read g's market maker: HTTP 503: no endpoints"):
        Snapshot(None, Controls(name="g", namespace="ns"), view).require_document()


def test_cancel_prefixes() -> None:
    assert check_prefix("btc-grid") == "btc-grid"
    assert check_prefix("btc-grid-") == "btc-grid"  # older clients' trailing dash
    for bad in ("", " ", "-"):
        with pytest.raises(CliError, match="would match every order"):
            check_prefix(bad)
    with pytest.raises(CliError, match="not an id prefix"):
        check_prefix("btc grid")
    assert prefix_hint("btc-grid") == ""
    long_name = "a-very-long-strategy-name-for-btc"
    derived = strategy_prefix(long_name)
    assert derived != long_name
    assert prefix_hint(long_name).endswith(f"its order ids use the prefix {derived})")


def test_cancel_force_names_who_forced_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from gridops.cli import build_parser

    common = ["cancel", "--connector", "127.0.0.1:1", "--prefix", "btc"]
    assert build_parser().parse_args([*common, "--force"]).force is True
    assert build_parser().parse_args(common).force is False

    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    monkeypatch.setattr("socket.gethostname", lambda: "desk-7")
    assert force_override() == "gridops cancel --force by alice@desk-7"


def test_cancel_force_without_a_user_or_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found: 4242")  # what a uid without an entry gives

    def no_host() -> str:
        raise OSError("no host name")

    monkeypatch.setattr("getpass.getuser", no_user)
    monkeypatch.setattr("socket.gethostname", no_host)
    assert force_override() == "gridops cancel --force by unknown@unknown"
