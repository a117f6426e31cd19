"""The status loop over fakes of the operator's own I/O boundary (Kube, EngineHttp)."""

from __future__ import annotations

import asyncio
import base64
import builtins
import time
from typing import Any

from gridops.operator.engine_http import EngineHttp
from gridops.operator.errors import Temporary
from gridops.operator.kube import Kube, Manifest
from gridops.operator.observer import Observer
from gridops.operator.reconciler import Context
from gridops.operator.settings import OperatorSettings

from .strategies import spec

NS, NAME, UID = "trading", "btc-grid", "uid-1"
READY_DEPLOYMENT: dict[str, Any] = {
    "metadata": {"generation": 1, "annotations": {}},
    "status": {"observedGeneration": 1, "readyReplicas": 1},
}
RUNNING_POD: dict[str, Any] = {
    "metadata": {},
    "status": {"containerStatuses": [{"state": {"running": {}}}]},
}
ENGINE: dict[str, Any] = {
    "synced": True,
    "paused": False,
    "phase": "running",
    "lastPrice": "50000",
    "position": "0",
    "pnl": {"realized": "0", "unrealized": "0"},
    "openOrders": [],
    "risk": {"halted": False},
}


class FakeKube(Kube):
    def __init__(self) -> None:  # no API client: nothing here talks to a server
        self.calls: list[tuple[str, Any]] = []

    async def apply(self, manifest: Manifest, manager: str) -> Manifest:
        self.calls.append(("apply", (manifest["kind"], manifest["metadata"]["name"])))
        return manifest

    async def create(self, manifest: Manifest) -> bool:
        self.calls.append(("create", (manifest["kind"], manifest["metadata"]["name"])))
        return True

    async def get(self, kind: str, namespace: str | None, name: str) -> Manifest | None:
        if kind == "Secret":
            return {"data": {"token": base64.b64encode(b"t0ken").decode()}}
        return None

    async def list(
        self, kind: str, namespace: str | None, selector: str | None = None
    ) -> list[Manifest]:
        return []

    async def merge_patch(
        self, kind: str, namespace: str, name: str, patch: Manifest, subresource: str | None = None
    ) -> bool:
        self.calls.append(("patch" + (f"/{subresource}" if subresource else ""), patch))
        return True

    async def delete(self, kind: str, namespace: str, name: str) -> bool:
        self.calls.append(("delete", (kind, name)))
        return False

    def of(self, kind: str) -> builtins.list[Any]:
        return [arg for call, arg in self.calls if call == kind]


class FakeHttp(EngineHttp):
    def __init__(self, document: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.document = document
        self.controls: list[str] = []

    async def status(self, base_url: str) -> dict[str, Any]:
        if self.document is None:
            raise Temporary("no answer")
        return self.document

    async def control(self, base_url: str, action: str, token: str) -> None:
        assert token == "t0ken"
        self.controls.append(action)


def body(**changes: Any) -> dict[str, Any]:
    annotations = changes.pop("annotations", {})
    status = changes.pop("status", {})
    return {
        "metadata": {
            "namespace": NS,
            "name": NAME,
            "uid": UID,
            "generation": 1,
            "annotations": annotations,
        },
        "spec": spec(exchange={"account": "demo"}, **changes),
        "status": status,
    }


def indexes(*, mm: bool = True) -> tuple[dict[Any, list[Any]], dict[Any, list[Any]]]:
    deployments: dict[Any, list[Any]] = {
        (NS, "btc-grid-live"): [READY_DEPLOYMENT],
        (NS, "gridops-connector-sim-demo"): [READY_DEPLOYMENT],
    }
    pods: dict[Any, list[Any]] = {
        (NS, "live-server", NAME): [RUNNING_POD],
        (NS, "connector", "sim-demo"): [RUNNING_POD],
    }
    if mm:
        deployments[(NS, "btc-grid-mm")] = [READY_DEPLOYMENT]
        pods[(NS, "market-maker", NAME)] = [RUNNING_POD]
    return deployments, pods


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def __call__(self, kind: str, reason: str, message: str) -> None:
        self.events.append((kind, reason, message))


def make(
    document: dict[str, Any] | None = ENGINE, **settings: Any
) -> tuple[Observer, FakeKube, FakeHttp]:
    kube, http = FakeKube(), FakeHttp(document)
    values = {"figures_interval": 0.0, **settings}
    return Observer(Context(OperatorSettings(**values), kube, http)), kube, http


async def test_a_healthy_strategy_is_written_running_once() -> None:
    observer, kube, _ = make()
    observer.applied(UID)
    events = Recorder()
    deployments, pods = indexes()
    await observer.once(body(), events, lambda s: None, deployments, pods)
    (patch,) = kube.of("patch/status")
    assert patch["status"]["phase"] == "Running"
    assert [e[1] for e in events.events] == ["Running"]
    # the same state again: nothing to write, no second event
    await observer.once(body(status=patch["status"]), events, lambda s: None, deployments, pods)
    assert len(kube.of("patch/status")) == 1
    assert len(events.events) == 1


async def test_a_missing_child_is_applied_again() -> None:
    observer, kube, _ = make()
    observer.applied(UID)
    deployments, pods = indexes(mm=False)
    await observer.once(body(), Recorder(), lambda s: None, deployments, pods)
    assert ("Deployment", "btc-grid-mm") in kube.of("apply")
    assert ("PersistentVolumeClaim", "btc-grid-data") not in kube.of("apply")


async def test_spec_paused_is_enforced_on_a_running_engine() -> None:
    observer, _, http = make()
    observer.applied(UID)
    await observer.once(body(paused=True), Recorder(), lambda s: None, *indexes())
    assert http.controls == ["pause"]


async def test_the_clear_halt_annotation_clears_and_is_removed() -> None:
    halted = {**ENGINE, "risk": {"halted": True, "reason": "drawdown", "since": "t"}}
    observer, kube, http = make(halted)
    observer.applied(UID)
    events = Recorder()
    annotations = {"gridops.io/clear-halt": "now"}
    await observer.once(body(annotations=annotations), events, lambda s: None, *indexes())
    assert http.controls == ["risk/clear"]
    assert {"metadata": {"annotations": {"gridops.io/clear-halt": None}}} in kube.of("patch")
    assert ("Normal", "RiskCleared") in [(k, r) for k, r, _ in events.events]


async def test_figures_alone_wait_for_the_figures_interval() -> None:
    observer, kube, http = make(figures_interval=3600.0)
    observer.applied(UID)
    deployments, pods = indexes()
    await observer.once(body(), Recorder(), lambda s: None, deployments, pods)
    (first,) = kube.of("patch/status")
    http.document = {**ENGINE, "lastPrice": "50100"}
    await observer.once(body(status=first["status"]), Recorder(), lambda s: None, deployments, pods)
    assert len(kube.of("patch/status")) == 1  # only the price moved: not yet
    http.document = {**ENGINE, "synced": False, "phase": "disconnected"}
    await observer.once(body(status=first["status"]), Recorder(), lambda s: None, deployments, pods)
    assert len(kube.of("patch/status")) == 2  # a condition changed: at once


async def test_an_invalid_spec_is_degraded_with_the_reason() -> None:
    observer, kube, _ = make()
    bad = body()
    bad["spec"]["grid"]["priceInterval"] = "1.5.0"
    await observer.once(bad, Recorder(), lambda s: None, *indexes())
    (patch,) = kube.of("patch/status")
    assert patch["status"]["phase"] == "Degraded"
    ready = {c["type"]: c for c in patch["status"]["conditions"]}["MarketMakerReady"]
    assert ready["reason"] == "InvalidSpec"
    assert "spec.grid.priceInterval" in ready["message"]


class Flag:
    """Like kopf's DaemonStopped: truthy once set, awaitable until then."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()

    async def wait(self, timeout: float | None = None) -> None:
        await self.event.wait()


async def test_the_loop_wakes_at_once_on_a_child_change_and_stops_on_its_flag() -> None:
    observer, kube, _ = make(status_interval=3600.0)
    observer.applied(UID)
    stopped = Flag()
    task = asyncio.create_task(
        observer.run(stopped, body(), Recorder(), lambda s: None, *indexes())
    )

    async def until(count: int) -> None:
        deadline = time.monotonic() + 5
        while len(kube.of("patch/status")) < count:
            assert time.monotonic() < deadline, kube.calls
            await asyncio.sleep(0.01)

    await until(1)
    # the body here never changes, so each turn writes; a turn comes at once on a wake
    observer.member(NS, "sim-demo", NAME)
    observer.wake(NS, account="sim-demo")  # a connector pod changed: wakes its members
    await until(2)
    stopped.event.set()  # no wake needed: the loop naps on the flag too
    await asyncio.wait_for(task, 5)


def test_the_engine_is_asked_at_its_pod_ip_not_through_its_service() -> None:
    from gridops.operator.reconciler import engine_url

    from .strategies import strategy

    s = strategy()
    leaving = {"metadata": {"deletionTimestamp": "t"}, "status": {"podIP": "10.0.0.1"}}
    fresh = {"metadata": {}, "status": {"podIP": "10.0.0.2"}}
    assert engine_url(s, [leaving, fresh]) == "http://10.0.0.2:8080"
    assert (
        engine_url(s, [{"metadata": {}, "status": {"podIP": "fd00::5"}}]) == "http://[fd00::5]:8080"
    )
    assert engine_url(s, [leaving]) == "http://btc-grid-mm.trading.svc:8080"


async def test_each_engine_warning_becomes_one_event() -> None:
    warning = "grid.priceInterval 25 is 0.05 % of the price 50000, not above a round trip's fees"
    observer, kube, _ = make({**ENGINE, "warnings": [warning]})
    observer.applied(UID)
    events = Recorder()
    deployments, pods = indexes()
    await observer.once(body(), events, lambda s: None, deployments, pods)
    await observer.once(body(), events, lambda s: None, deployments, pods)
    assert [(k, r, m) for k, r, m in events.events if r == "ConfigWarning"] == [
        ("Warning", "ConfigWarning", warning)
    ]
    assert kube.of("patch/status")[0]["status"]["warnings"] == [warning]


async def test_a_fenced_engine_raises_one_warning_event_each_time_it_turns_fenced() -> None:
    fenced = {
        **ENGINE,
        "synced": False,
        "phase": "fenced",
        "fenced": True,
        "writer": {"lease": "kubernetes", "holder": "mm-a", "token": 5, "heldBy": "mm-b (token 6)"},
    }
    observer, kube, http = make(fenced)
    observer.applied(UID)
    events = Recorder()
    deployments, pods = indexes()

    def raised() -> list[str]:
        return [m for k, r, m in events.events if (k, r) == ("Warning", "Fenced")]

    await observer.once(body(), events, lambda s: None, deployments, pods)
    (message,) = raised()
    assert "mm-b (token 6)" in message
    written = kube.of("patch/status")[-1]["status"]
    await observer.once(body(status=written), events, lambda s: None, deployments, pods)
    assert len(raised()) == 1  # still fenced: no second Event
    http.document = ENGINE  # it took the strategy back
    await observer.once(body(status=written), events, lambda s: None, deployments, pods)
    http.document = fenced
    await observer.once(body(), events, lambda s: None, deployments, pods)
    assert len(raised()) == 2


async def test_an_operator_restart_does_not_repeat_the_fenced_event() -> None:
    fenced = {**ENGINE, "synced": False, "phase": "fenced", "fenced": True}
    first, kube, _ = make(fenced)
    first.applied(UID)
    await first.once(body(), Recorder(), lambda s: None, *indexes())
    written = kube.of("patch/status")[-1]["status"]
    restarted, _, _ = make(fenced)
    restarted.applied(UID)
    events = Recorder()
    await restarted.once(body(status=written), events, lambda s: None, *indexes())
    assert "Fenced" not in [r for _, r, _ in events.events]
