"""One writer per strategy on the cluster (issue 13): a frozen market maker that comes back
after another took its writer Lease is fenced off at the connector, and takes over again
when the other goes.

The first engine is the operator's (the strategy's Deployment); the second is a Pod this
test makes from the Deployment's pod template (same ServiceAccount, config, volumes and
env, labels the Deployment and the operator do not select). The first is frozen with
SIGSTOP from the kind node, so its process, connections and lease renewals stop as in a
long GC pause or a stalled node, then thawed with SIGCONT. The connector is the judge:
never two open orders of the strategy with one client order id or on one price per side.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from typing import Any

import pytest

from gridops.order_ids import writer_lease_name

from .conftest import Kubectl, poll
from .operator_support import (
    TIMINGS,
    Exchange,
    conditions,
    diagnostics,
    market_maker_pod,
    still_example,
    wait_condition,
    wait_for_orders,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NAME = "fence-grid"
LEASE_SECONDS = 5
SPARE = f"{NAME}-mm-spare"
LEASE = writer_lease_name(NAME)
#: the kubelet restarts a container after 3 failed liveness probes 10 s apart: a freeze
#: must end before that, or the first engine comes back as a new process, not a paused one
FREEZE_BUDGET = 20.0

STATUS_SCRIPT = """
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen("http://127.0.0.1:8080" + sys.argv[1], timeout=2) as answer:
        code, body = answer.status, answer.read()
except urllib.error.HTTPError as error:
    code, body = error.code, error.read()
print(json.dumps({"code": code, "doc": json.loads(body or b"null")}))
"""


def engine(kc: Kubectl, pod: str, path: str = "/status") -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON) of a market maker's endpoint, asked from inside its pod."""
    run = kc.run("exec", pod, "--", "python", "-c", STATUS_SCRIPT, path, timeout=20)
    found = json.loads(run.stdout)
    return int(found["code"]), found["doc"] or {}


def status_of(kc: Kubectl, pod: str) -> dict[str, Any]:
    return engine(kc, pod)[1]


def docker() -> str:
    found = shutil.which("docker")
    if not found:
        pytest.fail("no docker CLI: the test freezes a process on the kind node", pytrace=False)
    return found


class Node:
    """The kind node (a Docker container) a pod runs on, where its processes are seen."""

    def __init__(self, pod: dict[str, Any]) -> None:
        self.name = pod["spec"]["nodeName"]
        self.container = pod["status"]["containerStatuses"][0]["containerID"].split("://")[-1]

    def run(self, *command: str) -> str:
        return subprocess.run(
            [docker(), "exec", self.name, *command],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def engine_pid(self) -> int:
        """The engine's process: the child of the container's PID 1 (tini)."""
        tini = json.loads(self.run("crictl", "inspect", self.container))["info"]["pid"]
        children = self.run(
            "sh", "-c", f"pgrep -P {tini} || cat /proc/{tini}/task/{tini}/children"
        ).split()
        (pid,) = children
        command = self.run("cat", f"/proc/{pid}/cmdline").replace("\0", " ")
        assert "market-maker" in command, command
        return int(pid)

    def signal(self, pid: int, name: str) -> None:
        self.run("kill", f"-{name}", str(pid))

    def state(self, pid: int) -> str:
        """The process state letter: T while stopped."""
        return self.run("cat", f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0]


def spare_pod(kc: Kubectl) -> dict[str, Any]:
    """A second engine of the strategy: the Deployment's pod, under labels nobody selects."""
    template = kc.json("get", "deployment", f"{NAME}-mm")["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": SPARE, "labels": {"e2e.gridops.io/app": "spare-engine"}},
        "spec": template["spec"],
    }


def no_duplicates(orders: list[dict[str, Any]]) -> None:
    ids = Counter(o["cid"] for o in orders)
    assert all(n == 1 for n in ids.values()), ids
    levels = Counter((o["side"], o["price"]) for o in orders)
    assert all(n == 1 for n in levels.values()), sorted(orders, key=lambda o: o["price"])


def restarts(kc: Kubectl, pod: str) -> int:
    found = kc.json("get", "pod", pod)["status"]["containerStatuses"][0]
    return int(found.get("restartCount", 0))


def pod_ready(kc: Kubectl, pod: str) -> bool:
    found = kc.json("get", "pod", pod)["status"].get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in found)


def events(kc: Kubectl, reason: str) -> list[dict[str, Any]]:
    selector = f"reason={reason},involvedObject.name={NAME}"
    found: list[dict[str, Any]] = kc.json("get", "events", "--field-selector", selector)["items"]
    return found


def test_a_frozen_market_maker_is_fenced_off_and_takes_over_again(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    document = still_example(NAME)
    document["spec"]["engine"]["leaseSeconds"] = LEASE_SECONDS
    kc.apply(document)
    wait_ready(kc, NAME)
    assert conditions(kc, NAME)["Fenced"]["reason"] == "SoleWriter"
    exchange = Exchange(kc)
    before = wait_for_orders(exchange, NAME, at_least=5)
    no_duplicates(before)
    first = market_maker_pod(kc, NAME)["metadata"]["name"]
    first_restarts = restarts(kc, first)
    lease = kc.json("get", "lease", LEASE)
    assert lease["spec"]["holderIdentity"] == first
    spec = market_maker_pod(kc, NAME)["spec"]
    assert (spec["serviceAccountName"], spec["automountServiceAccountToken"]) == (
        "gridops-market-maker",
        True,
    )

    # The second engine stands by while the first holds the lease.
    kc.apply(spare_pod(kc))

    def standing_by() -> dict[str, Any] | None:
        found = status_of(kc, SPARE)
        writer = found.get("writer") or {}
        return found if found.get("phase") == "standby" and writer.get("standby") else None

    waiting = poll(
        "the second engine stands by",
        standing_by,
        timeout=120,
        on_timeout=lambda: diagnostics(kc),
    )
    assert first in str(waiting["writer"].get("heldBy")), waiting["writer"]
    assert engine(kc, SPARE, "/readyz")[0] == 503

    # Freeze the first; a buy fills meanwhile, so the one who trades next must place.
    node = Node(market_maker_pod(kc, NAME))
    pid = node.engine_pid()
    top = max(before, key=lambda o: float(o["price"]))
    node.signal(pid, "STOP")
    frozen_at = time.monotonic()
    try:
        assert node.state(pid) == "T"
        exchange.fill(top["cid"])
        known = {o["cid"] for o in before}

        def second_trades() -> list[dict[str, Any]] | None:
            if not pod_ready(kc, SPARE):
                return None
            placed = [o for o in exchange.open_orders(NAME) if o["cid"] not in known]
            return placed or None

        placed = poll(
            "the second engine takes the lease, is ready and places",
            second_trades,
            timeout=FREEZE_BUDGET,
            interval=0.5,
            on_timeout=lambda: diagnostics(kc),
        )
        took_over = time.monotonic() - frozen_at
    finally:
        node.signal(pid, "CONT")
    thawed_at = time.monotonic()
    assert any(o["side"] == "SELL" for o in placed), placed
    writer = status_of(kc, SPARE)["writer"]
    assert (writer["holder"], writer["standby"]) == (SPARE, False)
    assert engine(kc, SPARE, "/readyz")[0] == 200
    assert kc.json("get", "lease", LEASE)["spec"]["holderIdentity"] == SPARE

    # Thawed, the first is refused and says so; the operator reports it.
    def fenced() -> dict[str, Any] | None:
        found = status_of(kc, first)
        return found if found.get("fenced") else None

    refused = poll(
        "the thawed engine reports fenced",
        fenced,
        timeout=60,
        interval=0.5,
        on_timeout=lambda: diagnostics(kc),
    )
    reported = time.monotonic() - thawed_at
    assert refused["phase"] in {"fenced", "standby"}, refused["phase"]
    assert engine(kc, first, "/readyz")[0] == 503
    condition = wait_condition(kc, NAME, "Fenced", "True", timeout=60)
    flagged = time.monotonic() - thawed_at
    assert SPARE in condition["message"], condition
    print(f"Fenced: {condition['message']}")
    status = kc.json("get", "gridstrategy", NAME)["status"]
    assert status["phase"] == "Degraded"
    assert {c["type"]: c for c in status["conditions"]}["Ready"]["reason"] == "Fenced"
    poll("a Fenced Warning Event", lambda: events(kc, "Fenced"), timeout=30)
    assert restarts(kc, first) == first_restarts  # the same process came back, not a new one

    # Nothing doubled on the exchange: the second's grid, the first's refused.
    during = exchange.open_orders(NAME)
    no_duplicates(during)
    assert {o["cid"] for o in placed} <= {o["cid"] for o in during}

    # The second goes (cleanly: it releases the lease); the first takes the strategy back.
    kc.run("delete", "pod", SPARE, "--wait=false")
    released_at = time.monotonic()
    wait_condition(kc, NAME, "Fenced", "False", timeout=60, reason="SoleWriter")
    wait_condition(kc, NAME, "Synced", "True", timeout=60)
    back = time.monotonic() - released_at
    wait_ready(kc, NAME, timeout=60)
    writer = status_of(kc, first)["writer"]
    assert (writer["holder"], writer["standby"]) == (first, False)
    after = exchange.open_orders(NAME)
    no_duplicates(after)
    assert restarts(kc, first) == first_restarts

    # Deleting the strategy cancels its orders and leaves nothing of its writer behind.
    kc.run("delete", "gridstrategy", NAME, "--wait=false")
    deleting_at = time.monotonic()
    poll(
        f"GridStrategy {NAME} gone",
        lambda: kc.run("get", "gridstrategy", NAME, "--ignore-not-found").stdout.strip() == "",
        timeout=120,
        on_timeout=lambda: diagnostics(kc),
    )
    deleted = time.monotonic() - deleting_at
    assert events(kc, "OrdersCancelled"), "no OrdersCancelled Event"
    assert kc.run("get", "lease", LEASE, "--ignore-not-found").stdout.strip() == ""

    def access_left() -> str:
        kinds = "serviceaccounts,roles,rolebindings"
        found = kc.run("get", kinds, "-l", "app.kubernetes.io/name=gridops", "-o", "name")
        return found.stdout.strip()

    # the namespace's last strategy took its co-owned ServiceAccount, Role and binding along
    poll("the market maker's access gone", lambda: access_left() == "", timeout=60)

    for what, seconds in (
        ("fencing: freeze -> second engine trades", took_over),
        ("fencing: thaw -> first reports fenced", reported),
        ("fencing: thaw -> Fenced=True", flagged),
        ("fencing: second deleted -> first Synced, Fenced=False", back),
        ("fencing: delete -> orders cancelled, strategy gone", deleted),
    ):
        TIMINGS.add(what, seconds)
        print(f"{what}: {seconds:.1f} s")
    # a clean release hands over at the standby's next look (a third of the lease), then
    # a reconcile and a status read: well within a lease expiry and a reconcile
    assert back < LEASE_SECONDS + 30, back


def test_a_market_maker_gone_without_releasing_holds_the_finalizer_until_its_claim_ends(
    namespace: Kubectl, operator_chart: str
) -> None:
    """Its pod force-deleted while frozen, the engine never releases its claim: the
    finalizer waits for the claim to run out at the connector, saying so, then cancels."""
    kc = namespace
    lease_seconds = 30  # long enough that the claim is surely live when the cancel comes
    document = still_example(NAME)
    document["spec"]["engine"]["leaseSeconds"] = lease_seconds
    kc.apply(document)
    wait_ready(kc, NAME)
    exchange = Exchange(kc)
    wait_for_orders(exchange, NAME, at_least=5)
    pod = market_maker_pod(kc, NAME)
    node = Node(pod)
    pid = node.engine_pid()
    node.signal(pid, "STOP")
    kc.run("delete", "gridstrategy", NAME, "--wait=false")
    deleting_at = time.monotonic()
    # the finalizer stops the Deployment first; then the pod goes at once, unreleased
    poll(
        "the market maker's Deployment deleted",
        lambda: kc.run("get", "deployment", f"{NAME}-mm", "--ignore-not-found").stdout == "",
        timeout=60,
    )
    name = pod["metadata"]["name"]
    kc.run("delete", "pod", name, "--force", "--grace-period=0", "--wait=false")

    def held() -> list[str]:
        return [
            e["message"]
            for e in events(kc, "CancelPending")
            if "still holds the strategy" in e["message"]
        ]

    (message, *_) = poll(
        "CancelPending: a market maker still holds the strategy",
        held,
        timeout=lease_seconds,
        interval=0.5,
        on_timeout=lambda: diagnostics(kc),
    )
    assert "skip-cancel" not in message  # it ends by itself: nothing to force
    print(f"CancelPending: {message}")
    assert kc.run("get", "gridstrategy", NAME, "--ignore-not-found").stdout.strip() != ""
    poll(
        f"GridStrategy {NAME} gone once the claim ended",
        lambda: kc.run("get", "gridstrategy", NAME, "--ignore-not-found").stdout.strip() == "",
        timeout=lease_seconds + 60,
        on_timeout=lambda: diagnostics(kc),
    )
    waited = time.monotonic() - deleting_at
    assert events(kc, "OrdersCancelled"), "no OrdersCancelled Event"
    assert kc.run("get", "lease", LEASE, "--ignore-not-found").stdout.strip() == ""
    TIMINGS.add("fencing: delete with a live claim -> strategy gone", waited)
    print(
        f"fencing: delete with a live claim (leaseSeconds {lease_seconds}) -> gone: {waited:.1f} s"
    )
