"""The dashboard's controls: pause, resume, clear a halt, cancel a strategy's open orders.

The browser asks the live server; the live server asks the market maker (with the control
token, which never leaves this process) or, for a cancel, the connector's CancelAllOrders
with the strategy's exact prefix. Under the operator `spec.paused` is the one source of
truth (BRIEF §6): there every control answers with the kubectl command instead of acting.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

import aiohttp

#: dashboard action -> the market maker's control endpoint
ENDPOINTS = {"pause": "/pause", "resume": "/resume", "clear-halt": "/risk/clear"}
CANCEL = "cancel-orders"
ACTIONS = (*ENDPOINTS, CANCEL)


@dataclass(frozen=True)
class ControlSettings:
    #: sent as `authorization: Bearer <token>` to the market makers; never to a browser
    token: str | None = None
    #: the strategies are GridStrategy objects: show kubectl commands, never act
    operator_managed: bool = False
    #: the strategies' namespace, for the commands (None: the kubectl context's)
    namespace: str | None = None

    def document(self) -> dict[str, Any]:
        """What the page may know: the mode, and whether a token is set (not the token)."""
        return {
            "operatorManaged": self.operator_managed,
            "namespace": self.namespace,
            "tokenConfigured": self.token is not None,
        }


def operator_commands(name: str, namespace: str | None) -> dict[str, str]:
    """The kubectl command for each control of GridStrategy `name` (shell-quoted)."""
    kubectl = ["kubectl", *(["-n", namespace] if namespace else [])]

    def patch(paused: bool) -> str:
        body = json.dumps({"spec": {"paused": paused}}, separators=(",", ":"))
        return shlex.join([*kubectl, "patch", "gs", name, "--type", "merge", "-p", body])

    # --overwrite: a value left behind (the operator was down) must not make it fail.
    clear = shlex.join([*kubectl, "annotate", "gs", name, "gridops.io/clear-halt=now",
                        "--overwrite"])  # fmt: skip
    # Pausing is how a managed strategy's orders are cancelled: it cancels them and places
    # none, and its engine will not put them back (a bare cancel would be re-placed).
    return {"pause": patch(True), "resume": patch(False), "clear-halt": clear,
            CANCEL: patch(True)}  # fmt: skip


class ControlError(Exception):
    """A control that did not happen: `status` for the browser, the reason in words."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


async def call_market_maker(
    session: aiohttp.ClientSession, url: str, action: str, token: str | None
) -> dict[str, Any]:
    """POST the market maker's endpoint for `action`; its JSON answer, or ControlError."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    target = url.rstrip("/") + ENDPOINTS[action]
    try:
        async with session.post(target, headers=headers) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = None
            if response.status == 401:
                raise ControlError(
                    502,
                    f"the market maker at {url} refused the control: "
                    + ("the live server's control token is not its token"
                       if token else "it needs a control token; start the live server with "
                       "--control-token-file (the market maker's token file)"),
                )  # fmt: skip
            if response.status >= 300:
                detail = answer.get("error") if isinstance(answer, dict) else None
                raise ControlError(
                    502, f"the market maker at {url} answered HTTP {response.status}"
                    + (f": {detail}" if detail else ""),
                )  # fmt: skip
    except (aiohttp.ClientError, TimeoutError) as error:
        raise ControlError(
            502, f"market maker {url} unreachable: {error or type(error).__name__}"
        ) from None
    return answer if isinstance(answer, dict) else {}
