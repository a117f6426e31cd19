"""`gridops venue` as a real child process, and a ccxt binance client pointed at it.

venue = VenueProcess(tmp_path).start()
exchange = binance_for(venue)          # ccxt.pro.binance, configured as BRIEF §8 says
...
venue.kill(); venue.restart()          # same ports, same --state
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .process import ChildProcess

SERVING = re.compile(r"REST and WebSockets on http://[^ ]*:(\d+), Simulator gRPC on [^ ]*:(\d+)")
REAL_API = "https://api.binance.com"

DEFAULT_KEYS = {"venue-key-1": "venue-secret-1", "venue-key-2": "venue-secret-2"}


class VenueProcess(ChildProcess):
    """`gridops venue` on free ports with a temporary --keys and --state in `directory`.

    `start()` again (or `restart()`) reuses the ports and the state file.
    """

    def __init__(
        self,
        directory: Path,
        *,
        keys: Mapping[str, str] | None = None,
        sim_config: Mapping[str, Any] | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.directory = directory
        self.keys = dict(keys or DEFAULT_KEYS)
        self.keys_file = directory / "venue-keys.yaml"
        self.keys_file.write_text(yaml.safe_dump(self.keys))
        self.state_file = directory / "venue-state.db"
        self.sim_config_file: Path | None = None
        if sim_config is not None:
            self.sim_config_file = directory / "venue-sim.yaml"
            self.sim_config_file.write_text(yaml.safe_dump(sim_config))
        self.extra = list(extra)
        self.port = 0
        self.grpc_port = 0

    @property
    def api_key(self) -> str:
        """The first key: the Simulator's default account."""
        return next(iter(self.keys))

    @property
    def secret(self) -> str:
        return self.keys[self.api_key]

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, timeout: float = 20.0) -> VenueProcess:
        args = [
            "venue", "--host", "127.0.0.1", "--port", str(self.port),
            "--grpc-port", str(self.grpc_port), "--keys", str(self.keys_file),
            "--state", str(self.state_file), *self.extra,
        ]  # fmt: skip
        if self.sim_config_file is not None:
            args += ["--sim-config", str(self.sim_config_file)]

        def serving() -> re.Match[str] | None:
            return next(filter(None, (SERVING.search(line) for line in self.lines)), None)

        match = self._spawn(args, serving, timeout=timeout, what="venue")
        assert match is not None
        self.port, self.grpc_port = int(match.group(1)), int(match.group(2))
        return self

    def restart(self, timeout: float = 20.0) -> VenueProcess:
        """Stop it if it runs (SIGKILL), then start it again on the same ports and state."""
        self.stop()
        return self.start(timeout)


def ccxt_config(rest_url: str, ws_url: str, api_key: str, secret: str) -> dict[str, Any]:
    """ccxt binance options for a venue at `rest_url`/`ws_url` (BRIEF §8)."""
    return {
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": True,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
    }


def point_at(exchange: Any, rest_url: str, ws_url: str) -> None:
    """Rewrite `exchange.urls['api']`: every https://api.binance.com... string to
    `rest_url`..., the spot stream URL to <ws_url>/ws, the spot WebSocket API's to
    <ws_url>/ws-api/v3."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {name: rewrite(value) for name, value in node.items()}
        if isinstance(node, str) and node.startswith(REAL_API):
            return rest_url + node[len(REAL_API) :]
        return node

    api = rewrite(exchange.urls["api"])
    if isinstance(api.get("ws"), dict):
        api["ws"]["spot"] = f"{ws_url}/ws"
        api["ws"]["ws-api"]["spot"] = f"{ws_url}/ws-api/v3"
    exchange.urls["api"] = api


def binance_for(venue: VenueProcess, key: str | None = None, **extra: Any) -> Any:
    """An async ccxt.pro binance trading account `key` (default: the first) on `venue`."""
    import ccxt.pro

    api_key = key or venue.api_key
    config = ccxt_config(venue.rest_url, venue.ws_url, api_key, venue.keys.get(api_key, ""))
    config.update(extra)
    exchange = ccxt.pro.binance(config)
    point_at(exchange, venue.rest_url, venue.ws_url)
    return exchange


def audit_problems(entries: Sequence[Any]) -> list[str]:
    """What breaks the venue's invariants in a GetAuditLog answer (empty: nothing).

    Per account: no client order id accepted while an order with it is open; nothing
    filled or canceled that was not accepted and open; fills never above the quantity.
    """
    from decimal import Decimal

    from gridops.v1 import simulator_pb2 as spb

    problems: list[str] = []
    quantity: dict[tuple[str, str], Decimal] = {}
    filled: dict[tuple[str, str], Decimal] = {}
    closed: set[tuple[str, str]] = set()
    open_by_client_id: dict[tuple[str, str], str] = {}
    for entry in entries:
        order = (entry.account, entry.order_id)
        client = (entry.account, entry.client_order_id)
        where = f"#{entry.sequence} {entry.account} {entry.order_id} ({entry.client_order_id})"
        if entry.kind == spb.AUDIT_ORDER:
            if client in open_by_client_id:
                problems.append(
                    f"{where}: client id accepted while {open_by_client_id[client]} is open"
                )
            open_by_client_id[client] = entry.order_id
            quantity[order] = Decimal(entry.quantity)
            filled[order] = Decimal(0)
            continue
        if order not in quantity:
            problems.append(f"{where}: {spb.AuditKind.Name(entry.kind)} of an order never accepted")
            continue
        if order in closed:
            problems.append(f"{where}: {spb.AuditKind.Name(entry.kind)} after the order closed")
        if entry.kind == spb.AUDIT_FILL:
            filled[order] += Decimal(entry.quantity)
            if filled[order] > quantity[order]:
                problems.append(f"{where}: filled {filled[order]} of {quantity[order]}")
            if filled[order] < quantity[order]:
                continue
        closed.add(order)
        if open_by_client_id.get(client) == entry.order_id:
            del open_by_client_id[client]
    return problems
