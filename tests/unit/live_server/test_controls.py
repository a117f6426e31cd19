"""The kubectl commands the dashboard shows for an operator-managed strategy."""

from __future__ import annotations

import shlex

from gridops.live_server.controls import ACTIONS, ControlSettings, operator_commands


def test_commands_are_the_documented_ones_and_shell_safe() -> None:
    commands = operator_commands("btc-grid", None)
    assert set(commands) == set(ACTIONS)
    assert commands["pause"] == (
        """kubectl patch gs btc-grid --type merge -p '{"spec":{"paused":true}}'"""
    )
    assert commands["resume"].endswith("""'{"spec":{"paused":false}}'""")
    assert commands["clear-halt"] == (
        "kubectl annotate gs btc-grid gridops.io/clear-halt=now --overwrite"
    )
    # a managed strategy's orders are cancelled by pausing it (its engine re-places them)
    assert commands["cancel-orders"] == commands["pause"]
    namespaced = operator_commands("btc-grid", "trading")
    assert shlex.split(namespaced["pause"])[:4] == ["kubectl", "-n", "trading", "patch"]


def test_the_page_learns_whether_a_token_is_set_never_the_token() -> None:
    document = ControlSettings(token="s3cret", operator_managed=False).document()
    assert document == {"operatorManaged": False, "namespace": None, "tokenConfigured": True}
    assert "s3cret" not in repr(document)
