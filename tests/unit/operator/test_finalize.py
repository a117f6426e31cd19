"""The finalizer: stop the engine, cancel the strategy's orders, take its writer Lease
along; a live writer's claim or an unreachable connector holds it, with an Event that
says what happens next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gridops import errors
from gridops.client import ConnectorClient
from gridops.operator import orders, reconciler
from gridops.operator.errors import Temporary, Unreachable, WriterLive
from gridops.operator.reconciler import Context
from gridops.operator.settings import OperatorSettings
from gridops.order_ids import writer_lease_name

from .strategies import spec
from .test_observer import FakeHttp, FakeKube, Recorder

NS, NAME = "trading", "btc-grid"
LEASE = ("Lease", writer_lease_name(NAME))
SIM = spec(exchange={"account": "demo"})
VENUE = spec(exchange={"name": "binance", "account": "main", "credentialsSecret": "keys"})
FORCE = "kubectl annotate gridstrategy btc-grid gridops.io/skip-cancel=true"


class Cancels:
    """orders.cancel_all as the finalizer sees it: an answer or an error per call."""

    def __init__(self, *outcomes: int | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, str, str]] = []

    async def __call__(self, address: str, symbol: str, prefix: str) -> int:
        self.calls.append((address, symbol, prefix))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@dataclass
class Run:
    kube: FakeKube = field(default_factory=FakeKube)
    events: Recorder = field(default_factory=Recorder)
    error: Temporary | None = None

    def event(self, reason: str) -> tuple[str, str]:
        """(type, message) of the one Event with this reason."""
        ((kind, message),) = [(k, m) for k, r, m in self.events.events if r == reason]
        return kind, message


async def finalize(
    monkeypatch: pytest.MonkeyPatch,
    cancels: Cancels,
    *,
    spec: dict[str, Any] = SIM,
    annotations: dict[str, str] | None = None,
    pods: int = 0,
    connector: bool = True,
) -> Run:
    monkeypatch.setattr(orders, "cancel_all", cancels)
    run = Run()
    ctx = Context(OperatorSettings(), run.kube, FakeHttp())
    try:
        await reconciler.finalize(
            ctx,
            NAME,
            NS,
            spec,
            annotations or {},
            market_maker_pods=pods,
            connector_exists=connector,
            emit=run.events,
        )
    except Temporary as error:
        run.error = error
    return run


async def test_after_the_cancel_the_writer_lease_goes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    cancels = Cancels(4)
    run = await finalize(monkeypatch, cancels)
    assert run.error is None
    assert cancels.calls == [(f"gridops-connector-sim-demo.{NS}.svc:50051", "", NAME)]
    assert run.kube.of("delete") == [("Deployment", "btc-grid-mm"), LEASE]
    assert run.event("OrdersCancelled") == ("Normal", "4 open orders cancelled; none left")


async def test_a_live_writer_claim_holds_the_cancel_until_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = WriterLive("connector x: fenced: strategy 'btc-grid' has a live writer", delay=2)
    run = await finalize(monkeypatch, Cancels(held))
    assert run.error is held
    assert run.error.delay == 2
    kind, message = run.event("CancelPending")
    assert kind == "Warning"
    assert "a market maker still holds the strategy" in message
    assert "waits for its claim to end" in message
    assert "has a live writer" in message
    assert FORCE not in message  # it ends by itself: nothing to force
    assert LEASE not in run.kube.of("delete")  # its holder may still be renewing it


async def test_an_unreachable_connector_says_how_to_delete_without_cancelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    down = Unreachable("connector x: not reachable within 5s", delay=3)
    run = await finalize(monkeypatch, Cancels(down))
    assert run.error is down
    kind, message = run.event("CancelPending")
    assert kind == "Warning"
    assert "not reachable within 5s" in message
    assert FORCE in message
    assert "orders stay open" in message
    assert LEASE not in run.kube.of("delete")


async def test_orders_left_after_the_cancel_are_retried_without_the_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    left = Temporary("1 orders still open after cancelling: btc-grid-3B", delay=2)
    run = await finalize(monkeypatch, Cancels(left))
    assert run.error is left
    message = run.event("CancelPending")[1]
    assert "btc-grid-3B" in message
    assert FORCE not in message


async def test_a_missing_venue_connector_says_how_to_delete_without_cancelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cancels = Cancels()
    run = await finalize(monkeypatch, cancels, spec=VENUE, connector=False)
    assert run.error is not None
    assert "gridops-connector-binance-main is missing" in str(run.error)
    assert cancels.calls == []
    assert FORCE in run.event("CancelPending")[1]


async def test_skip_cancel_and_a_gone_sim_still_take_the_lease_along(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skipped = await finalize(monkeypatch, Cancels(), annotations={"gridops.io/skip-cancel": "true"})
    assert skipped.error is None
    assert skipped.event("CancelSkipped")[0] == "Warning"
    assert LEASE in skipped.kube.of("delete")
    gone = await finalize(monkeypatch, Cancels(), connector=False)
    assert gone.error is None
    assert gone.event("NothingToCancel")[0] == "Normal"
    assert LEASE in gone.kube.of("delete")


async def test_nothing_is_cancelled_while_a_market_maker_pod_remains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cancels = Cancels()
    run = await finalize(monkeypatch, cancels, pods=1)
    assert run.error is not None
    assert "pod to exit" in str(run.error)
    assert cancels.calls == []
    assert run.kube.of("delete") == [("Deployment", "btc-grid-mm")]


class FakeClient:
    """The connector's client, as orders.cancel_all uses it."""

    def __init__(self, cancel: Exception | None, left: int = 0) -> None:
        self.cancel, self.left = cancel, left
        self.overrides: list[str] = []

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def cancel_all_orders(
        self, symbol: str | None, prefix: str | None, *, timeout: float, override: str = ""
    ) -> list[Any]:
        self.overrides.append(override)
        if self.cancel is not None:
            raise self.cancel
        return [object(), object()]

    async def get_open_orders(self, symbol: str | None, prefix: str | None, **_: Any) -> list[Any]:
        return []


@pytest.mark.parametrize(
    ("raised", "expected", "delay"),
    [
        (errors.Fenced("strategy 'btc-grid' has a live writer"), WriterLive, 2),
        (errors.Unavailable("connection refused"), Unreachable, 3),
        (errors.RateLimited("slow down"), Unreachable, 3),
    ],
)
async def test_cancel_all_tells_a_live_writer_from_an_unreachable_connector(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, expected: type[Temporary], delay: float
) -> None:
    client = FakeClient(raised)

    async def connect(address: str, **_: Any) -> FakeClient:
        return client

    monkeypatch.setattr(ConnectorClient, "connect", connect)
    with pytest.raises(expected) as found:
        await orders.cancel_all("connector:50051", "", "btc-grid")
    assert found.value.delay == delay
    assert str(raised) in str(found.value)
    # the operator never cancels past a writer: no override, whatever happens
    assert client.overrides == [""]
    client.cancel = None
    assert await orders.cancel_all("connector:50051", "", "btc-grid") == 2
