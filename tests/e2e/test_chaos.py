"""Chaos on kind: every role killed while trading, and nothing lost, nothing duplicated.

The chart installed, the venue running in the cluster as the exchange (its state on a
volume), two strategies on one account through the ccxt adapter (long on a durable
engine, neutral on a simple one), the venue's price walking so orders fill all the time.
Each scenario kills one role, times it until every condition of every strategy is True
again, and checks the invariants of tests/support/invariants.py over the venue's audit
log. The random run draws its kills from a printed seed: GRIDOPS_CHAOS_SEED replays it,
GRIDOPS_CHAOS_KILLS sets how many (`make chaos` runs 20).

Runs in file order, on one world (module fixture); before test_uninstall.py.
"""

from __future__ import annotations

import functools
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.invariants import Window

from .chaos_support import (
    CONNECTOR,
    STRATEGIES,
    VENUE,
    Chaos,
    of_strategy,
    summary,
    venue_documents,
    wait_venue,
)
from .conftest import Kubectl, poll
from .operator_support import conditions, diagnostics, pods, strategy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

KILLS = int(os.environ.get("GRIDOPS_CHAOS_KILLS", "5"))
SEED = int(os.environ.get("GRIDOPS_CHAOS_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)


@pytest.fixture(scope="module")
def chaos(kubectl: Kubectl, operator_chart: str, gridops_image: str) -> Iterator[Chaos]:
    name = f"gridops-chaos-{uuid.uuid4().hex[:6]}"
    kubectl.run("create", "namespace", name)
    kubectl.run("label", "namespace", name, "e2e.gridops.io/owned=true")
    kc = kubectl.in_namespace(name)
    world = Chaos(kc)
    try:
        kc.apply(*venue_documents(gridops_image))
        wait_venue(kc)
        kc.apply(*STRATEGIES)
        world.wait_healthy("both strategies Ready", timeout=300)
        world.wait_trading(fills=3)
        yield world
        if world.kills:
            print("\nchaos: recovery in seconds | role | kills | kill -> all Synced p50, max "
                  "| kill -> every condition True p50, max |")  # fmt: skip
            for role, count, s50, smax, w50, wmax in summary(world.kills):
                print(f"| {role} | {count} | {s50:.1f} | {smax:.1f} | {w50:.1f} | {wmax:.1f} |")
    finally:
        # Strategies go before their exchange, so their finalizers can cancel on it.
        kc.run("delete", "gridstrategies", "--all", "--wait=true", check=False, timeout=300)
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


def test_the_world_trades_and_holds_the_invariants(chaos: Chaos) -> None:
    chaos.check("the start")
    assert chaos.fills() >= 3


def test_a_market_maker_pod_force_deleted_while_fills_happen(chaos: Chaos) -> None:
    for name in chaos.names:
        chaos.wait_trading(fills=1)
        roles = chaos.roles()
        role = f"market maker {name}: pod force-deleted"
        record = chaos.timed_kill("market maker", f"{name} pod force-deleted", roles[role])
        print(f"\n{role}: whole again in {record.seconds:.1f}s")
        chaos.check(role)


def test_a_market_maker_killed_in_its_container_restarts_in_place(chaos: Chaos) -> None:
    for name in chaos.names:
        chaos.wait_trading(fills=1)
        before = {p["metadata"]["uid"] for p in pods(chaos.kc, f"gridops.io/strategy={name}")}
        record = chaos.timed_kill(
            "market maker", f"{name} kill -9 in the container",
            functools.partial(chaos.kill_engine_in_place, name),
        )  # fmt: skip
        print(f"\n{name} kill -9: whole again in {record.seconds:.1f}s")
        after = {p["metadata"]["uid"] for p in pods(chaos.kc, f"gridops.io/strategy={name}")}
        assert after == before, "the kubelet restarts the container; the pod stays"
        chaos.check(f"kill -9 of {name}'s engine")


def test_the_connector_pod_force_deleted(chaos: Chaos) -> None:
    chaos.wait_trading(fills=1)
    old = {p["metadata"]["uid"] for p in pods(chaos.kc, "app.kubernetes.io/component=connector")}
    record = chaos.timed_kill(
        "connector", "pod force-deleted",
        lambda: chaos.force_delete("app.kubernetes.io/component=connector"),
    )  # fmt: skip
    print(f"\nconnector force-deleted: every strategy whole again in {record.seconds:.1f}s")
    new = {p["metadata"]["uid"] for p in pods(chaos.kc, "app.kubernetes.io/component=connector")}
    assert new.isdisjoint(old)
    chaos.check("the connector's restart")


def test_the_live_server_and_the_operator_come_back_and_roll_nothing(chaos: Chaos) -> None:
    def templates() -> dict[str, str]:
        found = chaos.kc.json("get", "deployments")["items"]
        return {
            d["metadata"]["name"]: str(d["metadata"].get("generation")) + str(d["spec"]["template"])
            for d in found
        }

    before = templates()
    for name in chaos.names:
        chaos.timed_kill(
            "live server", f"{name} pod force-deleted",
            functools.partial(chaos.force_delete, of_strategy("live-server", name)),
        )  # fmt: skip
    chaos.timed_kill("operator", "pod force-deleted", chaos.kill_operator, notice=False)
    chaos.wait_healthy("every strategy whole under the new operator")
    # A restarted operator re-applies what is already there: no template changes, so
    # no rollout restarts a market maker behind anyone's back.
    assert templates() == before
    chaos.check("the live servers and the operator restarted")


def test_the_venue_killed_degrades_and_recovers_without_duplicates(chaos: Chaos) -> None:
    chaos.wait_trading(fills=1)
    (first,) = pods(chaos.kc, VENUE)
    seen_degraded: list[str] = []

    def kill() -> None:
        chaos.force_delete(VENUE)

        def degraded() -> bool:
            for name in chaos.names:
                phase = (strategy(chaos.kc, name).get("status") or {}).get("phase")
                if phase == "Degraded":
                    seen_degraded.append(name)
            return bool(seen_degraded)

        poll("a strategy Degraded while its exchange is gone", degraded, timeout=60,
             interval=0.25, on_timeout=lambda: diagnostics(chaos.kc))  # fmt: skip
        wait_venue(chaos.kc, not_uid=first["metadata"]["uid"])

    record = chaos.timed_kill("venue", "pod force-deleted", kill, notice=False)
    print(f"\nvenue force-deleted: Degraded seen ({seen_degraded}); whole in {record.seconds:.1f}s")
    chaos.check("the venue's restart")


def test_a_paused_strategy_places_nothing_while_the_world_is_killed(chaos: Chaos) -> None:
    name = chaos.names[0]
    chaos.kc.run("patch", "gridstrategy", name, "--type=merge", "-p", '{"spec":{"paused":true}}')
    paused = poll(f"{name} Paused", lambda: conditions(chaos.kc, name).get("Paused", {})
                  .get("status") == "True" and conditions(chaos.kc, name)["Paused"],
                  timeout=60, interval=0.5)  # fmt: skip
    # From the moment the operator saw it paused (second granularity: one second on).
    seen = datetime.fromisoformat(paused["lastTransitionTime"].replace("Z", "+00:00"))
    start = seen.replace(microsecond=0) + timedelta(seconds=1)
    roles = chaos.roles()
    role = f"market maker {name}: pod force-deleted"
    chaos.force_delete(of_strategy("market-maker", name))
    poll(f"{name}'s new engine up and paused", lambda: conditions(chaos.kc, name)
         .get("MarketMakerReady", {}).get("status") == "True", timeout=120, interval=0.5,
         on_timeout=lambda: diagnostics(chaos.kc))  # fmt: skip
    chaos.wait_trading(fills=2)  # the other strategy trades on meanwhile
    end = datetime.now(UTC)
    chaos.kc.run("patch", "gridstrategy", name, "--type=merge", "-p", '{"spec":{"paused":false}}')
    chaos.windows.append(Window(name, "paused", start, end))
    assert role in roles
    chaos.wait_healthy(f"{name} trading again")
    chaos.check("a pause with a kill inside it")


def test_a_random_run_of_kills(chaos: Chaos) -> None:
    chaos.random_run(KILLS, SEED)
    chaos.check(f"the random run (seed {SEED})")


def test_a_deletion_pending_while_the_exchange_is_down_survives_the_operator_and_cancels(
    chaos: Chaos,
) -> None:
    name = chaos.names[-1]
    chaos.wait_trading(fills=1)
    chaos.kc.run("scale", "deployment/gridops-venue", "--replicas=0")
    poll("the venue gone", lambda: not pods(chaos.kc, VENUE), timeout=120, interval=0.5)
    chaos.kc.run("delete", "gridstrategy", name, "--wait=false")

    def pending() -> bool:
        events = chaos.kc.json("get", "events", "--field-selector",
                               f"involvedObject.name={name}")["items"]  # fmt: skip
        return any(e["reason"] == "CancelPending" for e in events)

    poll(f"{name}'s finalizer waiting for its exchange", pending, timeout=120, interval=1,
         on_timeout=lambda: diagnostics(chaos.kc))  # fmt: skip
    assert chaos.kc.run("get", "gridstrategy", name, check=False).returncode == 0
    # The operator dies with the deletion pending: its successor must pick it up.
    chaos.kill_operator()
    started = time.monotonic()
    chaos.kc.run("scale", "deployment/gridops-venue", "--replicas=1")
    poll(f"{name} gone once its orders are cancelled",
         lambda: chaos.kc.run("get", "gridstrategy", name, check=False).returncode != 0,
         timeout=300, interval=1, on_timeout=lambda: diagnostics(chaos.kc))  # fmt: skip
    print(
        f"\n{name}: cancelled and gone {time.monotonic() - started:.1f}s after the venue returned"
    )
    chaos.deleted.add(name)
    wait_venue(chaos.kc)
    chaos.wait_healthy("the other strategy whole again")
    chaos.check(f"{name} deleted during an exchange outage")
    assert CONNECTOR in {
        d["metadata"]["name"] for d in chaos.kc.json("get", "deployments")["items"]
    }
