"""The chaos suite's world: a venue in the cluster, strategies trading on it, and ways to
kill every role, each kill timed until every strategy is whole again.

The venue (`gridops venue`, its state on a volume) is the exchange and the judge: its
price walks (and the suite adds shocks), orders fill all the time, and its audit log is
what tests/support/invariants.py replays after every recovery. Everything is reached with
`kubectl exec`: one probe in the venue pod reads the audit log and every engine's
/status (through its Service) at nearly the same moment.
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import yaml

from tests.support import invariants
from tests.support.invariants import AuditRow, Violation, Window

from .conftest import REPO_ROOT, Kubectl, poll
from .operator_support import OPERATOR_NAMESPACE, TIMINGS, conditions, diagnostics, pods

VENUE = "app.kubernetes.io/name=gridops-venue"
ACCOUNT = "chaos"
CREDENTIALS = "chaos-credentials"
CONNECTOR = f"gridops-connector-binance-{ACCOUNT}"
#: every condition a strategy shows while all is well
HEALTHY = ("Ready", "ConnectorReady", "MarketMakerReady", "LiveServerReady", "Synced")

# The venue's walk: a 0.5 s step of about 0.03 % on BTC (annualised volatility 2.0), so a
# grid 0.04 % apart sees fills every few seconds. Prices move; nothing else is special.
SIM_CONFIG = {
    "symbols": [
        {"symbol": "BTC/USDT", "price": "50000", "tickSize": "0.01", "stepSize": "0.00001",
         "minNotional": "5"},
        {"symbol": "ETH/USDT", "price": "3000", "tickSize": "0.01", "stepSize": "0.0001",
         "minNotional": "5"},
    ],
    "balances": {"USDT": "1000000", "BTC": "10", "ETH": "100"},
    "volatility": 2.0,
    "tickInterval": 0.5,
}  # fmt: skip

PROBE = """
import asyncio, json, sys, urllib.request
from gridops.client import SimulatorClient

async def audit(after):
    async with SimulatorClient("127.0.0.1:50052") as sim:
        return await sim.get_audit_log(after, every_account=True)

def status(name):
    try:
        with urllib.request.urlopen(f"http://{name}-mm:8080/status", timeout=3) as reply:
            return json.load(reply)
    except Exception as error:
        return {"unreachable": repr(error)}

entries = asyncio.run(audit(int(sys.argv[1])))
rows = [{"sequence": e.sequence, "account": e.account, "kind": e.kind,
         "time": e.time.ToDatetime().isoformat(), "symbol": e.symbol, "order_id": e.order_id,
         "client_order_id": e.client_order_id, "side": e.side, "price": e.price,
         "quantity": e.quantity, "trade_id": e.trade_id} for e in entries]
names = [n for n in sys.argv[2].split(",") if n]
print(json.dumps({"audit": rows, "status": {n: status(n) for n in names}}))
"""

SHOCK = """
import asyncio, json, sys, urllib.request
from decimal import Decimal
from gridops.client import SimulatorClient

async def main(symbol, factor):
    url = "http://127.0.0.1:8090/api/v3/ticker/price?symbol=" + symbol.replace("/", "")
    with urllib.request.urlopen(url, timeout=5) as reply:
        price = Decimal(json.load(reply)["price"])
    async with SimulatorClient("127.0.0.1:50052") as sim:
        await sim.set_price(symbol, (price * Decimal(factor)).quantize(Decimal("0.01")))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

# Kill the engine's Python (not tini, PID 1) inside its container: a crash the kubelet
# restarts in place. This script's own command line has the same words. The container
# may stop (and take this exec with it) as soon as the engine dies: say first, then kill.
KILL_ENGINE = """
import os, signal, sys
engines = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) in (1, os.getpid()):
        continue
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        if b"market-maker" in f.read():
            engines.append(int(pid))
print(" ".join(map(str, engines)), flush=True)
for pid in engines:
    os.kill(pid, signal.SIGKILL)
"""


def of_strategy(component: str, name: str) -> str:
    """The label selector of one strategy's pods of one component."""
    return f"app.kubernetes.io/component={component},gridops.io/strategy={name}"


def strategy_document(name: str, symbol: str, mode: str, engine: str, interval: str,
                      quantity: str) -> dict[str, Any]:  # fmt: skip
    return {
        "apiVersion": "gridops.io/v1alpha1",
        "kind": "GridStrategy",
        "metadata": {"name": name},
        "spec": {
            "symbol": symbol,
            "grid": {
                "mode": mode,
                "priceInterval": interval,
                "orderQuantity": quantity,
                "buyWindow": 3,
                "sellWindow": 3,
            },
            # Wide limits: the walk must not halt the strategies for the whole run.
            "risk": {
                "maxMovePercent": "20",
                "moveWindowSeconds": 1,
                "cooldownSeconds": 30,
                "staleDataSeconds": 60,
            },
            "engine": {"type": engine, "leaseSeconds": 5},
            "exchange": {
                "name": "binance",
                "account": ACCOUNT,
                "credentialsSecret": CREDENTIALS,
                "apiUrl": "http://gridops-venue:8090",
                "wsUrl": "ws://gridops-venue:8090",
            },
        },
    }


STRATEGIES = (
    strategy_document("chaos-long", "BTC/USDT", "long", "durable", "20", "0.001"),
    strategy_document("chaos-neutral", "ETH/USDT", "neutral", "simple", "1.5", "0.01"),
)


def venue_documents(image: str) -> list[dict[str, Any]]:
    """examples/venue.yaml with the image, this account's key and the walk above."""
    found = [
        d for d in yaml.safe_load_all((REPO_ROOT / "examples" / "venue.yaml").read_text()) if d
    ]
    keys = {"chaos-key": "chaos-secret"}
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "gridops-venue-sim"},
        "data": {"sim.yaml": yaml.safe_dump(SIM_CONFIG)},
    }
    for document in found:
        if document["kind"] == "Secret":
            document["stringData"] = {"keys.yaml": yaml.safe_dump(keys)}
        if document["kind"] == "Deployment":
            pod = document["spec"]["template"]["spec"]
            (container,) = pod["containers"]
            container["image"] = image
            container["args"] = [*container["args"], "--sim-config", "/etc/gridops/sim/sim.yaml"]
            container["volumeMounts"].append({"name": "sim", "mountPath": "/etc/gridops/sim"})
            pod["volumes"].append({"name": "sim", "configMap": {"name": "gridops-venue-sim"}})
    credentials = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": CREDENTIALS},
        "stringData": {"apiKey": "chaos-key", "secret": "chaos-secret"},
    }
    return [config, *found, credentials]


@dataclass
class Kill:
    """One kill and how long until every strategy was whole again."""

    role: str
    how: str
    seconds: float
    at: datetime
    #: kill -> every strategy's Synced condition True again (the engines trade again)
    synced: float = 0.0


@dataclass
class Chaos:
    kc: Kubectl
    names: tuple[str, ...] = tuple(d["metadata"]["name"] for d in STRATEGIES)
    rows: list[AuditRow] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    seed: int | None = None
    #: strategy -> when it was first seen halted in the current stretch
    _halted: dict[str, datetime] = field(default_factory=dict)

    # -- reading the world -----------------------------------------------------------

    def probe(self) -> dict[str, dict[str, Any]]:
        """New audit rows (kept), and every live strategy's /status (or why not)."""
        after = self.rows[-1].sequence if self.rows else 0
        live = ",".join(n for n in self.names if n not in self.deleted)
        result = self.kc.run("exec", "deployment/gridops-venue", "--", "python", "-c", PROBE,
                             str(after), live, timeout=60)  # fmt: skip
        found = json.loads(result.stdout)
        self.rows.extend(invariants.AuditRow.from_json(row) for row in found["audit"])
        statuses: dict[str, dict[str, Any]] = found["status"]
        self._note_halts(statuses)
        return statuses

    def _note_halts(self, statuses: dict[str, dict[str, Any]]) -> None:
        for name, status in statuses.items():
            risk = status.get("risk") or {}
            if risk.get("halted") and name not in self._halted and risk.get("since"):
                self._halted[name] = datetime.fromisoformat(risk["since"])
            elif "risk" in status and not risk.get("halted") and name in self._halted:
                since = self._halted.pop(name)
                self.windows.append(Window(name, "halted", since, datetime.now(UTC)))

    def fills(self) -> int:
        return sum(1 for row in self.rows if row.kind == "fill")

    # -- the invariants ---------------------------------------------------------------

    def violations(self, *, settled: bool) -> list[Violation]:
        """Everything the audit log must show; with `settled`, engines and venue agree."""
        statuses = self.probe()
        replay = invariants.history(self.rows, self.names)
        found = list(replay.violations)
        windows = [*self.windows]
        windows += [Window(n, "halted", s) for n, s in self._halted.items()]
        found += invariants.quiet(self.rows, windows)
        found += invariants.deleted(replay, self.deleted)
        if settled:
            # Synced and caught up (nothing queued): what it says is what it knows.
            synced = {n: s for n, s in statuses.items() if s.get("synced") and s.get("idle")}
            found += invariants.positions(
                self.rows, {n: Decimal(s["position"]) for n, s in synced.items()}
            )
            found += invariants.open_orders(
                replay,
                {
                    n: [o["clientOrderId"] for o in s["openOrders"] if not o["pending"]]
                    for n, s in synced.items()
                },
            )
        return found

    def check(self, when: str, timeout: float = 60) -> None:
        """The invariants, polled until engines and venue agree (orders keep moving), then
        asserted; a failure prints what broke, the seed and the audit lines."""
        history: list[Violation] = []

        def agreed() -> bool:
            nonlocal history
            found = self.violations(settled=True)
            history = [v for v in found if v.invariant not in SETTLING]
            if history:
                return True  # a broken history does not heal: report it now
            return not found

        try:
            poll(f"the invariants after {when}", agreed, timeout=timeout, interval=1)
        except AssertionError:
            last = self.violations(settled=True)
            raise AssertionError(f"after {when}: " + invariants.report(last, self.seed)) from None
        assert not history, f"after {when}: " + invariants.report(history, self.seed)

    # -- waiting for whole ----------------------------------------------------------

    def healthy(self) -> dict[str, dict[str, Any]] | None:
        found = {}
        for name in self.names:
            if name in self.deleted:
                continue
            state = conditions(self.kc, name)
            if any(state.get(c, {}).get("status") != "True" for c in HEALTHY):
                return None
            found[name] = state
        return found

    def synced(self) -> bool:
        return all(
            conditions(self.kc, name).get("Synced", {}).get("status") == "True"
            for name in self.names
            if name not in self.deleted
        )

    def wait_healthy(self, what: str, timeout: float = 180) -> None:
        poll(what, self.healthy, timeout=timeout, interval=0.25,
             on_timeout=lambda: diagnostics(self.kc))  # fmt: skip

    def wait_unhealthy(self, timeout: float = 30) -> None:
        """Until the kill shows (a condition leaves True): so the timing sees a recovery."""
        poll("a condition to notice the kill", lambda: self.healthy() is None,
             timeout=timeout, interval=0.1)  # fmt: skip

    def wait_trading(self, fills: int = 1, timeout: float = 120) -> None:
        """Until `fills` more fills happened on the venue (so kills land mid-trading)."""
        target = self.fills() + fills

        def enough() -> bool:
            self.probe()
            return self.fills() >= target

        poll(f"{fills} more fills on the venue", enough, timeout=timeout, interval=1,
             on_timeout=lambda: diagnostics(self.kc))  # fmt: skip

    # -- kills --------------------------------------------------------------------------

    def timed_kill(self, role: str, how: str, kill: Callable[[], None],
                   notice: bool = True) -> Kill:  # fmt: skip
        at = datetime.now(UTC)
        started = time.monotonic()
        kill()
        if notice:
            # Recovered before anyone looked is fine, and still timed.
            with contextlib.suppress(AssertionError):
                self.wait_unhealthy()
        poll(f"every strategy Synced after {role} {how}", self.synced, timeout=180,
             interval=0.1, on_timeout=lambda: diagnostics(self.kc))  # fmt: skip
        synced = time.monotonic() - started
        self.wait_healthy(f"every strategy whole after {role} {how}")
        record = Kill(role, how, time.monotonic() - started, at, synced)
        self.kills.append(record)
        TIMINGS.add(f"chaos: {role} {how} -> all conditions True", record.seconds)
        return record

    def force_delete(self, selector: str, namespace: Kubectl | None = None) -> None:
        kc = namespace or self.kc
        found = pods(kc, selector)
        assert found, f"no pod {selector}"
        pod = found[0]
        kc.run("delete", "pod", pod["metadata"]["name"], "--grace-period=0", "--force",
               "--wait=false")  # fmt: skip

    def kill_engine_in_place(self, name: str) -> None:
        selector = of_strategy("market-maker", name)
        (pod,) = pods(self.kc, selector)
        # check=False: the exec may end with the container (137) once the engine is dead.
        result = self.kc.run("exec", pod["metadata"]["name"], "-c", "market-maker", "--",
                             "python", "-c", KILL_ENGINE, check=False)  # fmt: skip
        assert result.stdout.strip(), (
            f"no market-maker process found in {pod['metadata']['name']}: {result.stderr}"
        )

    def shock(self, symbol: str, factor: str) -> None:
        self.kc.run("exec", "deployment/gridops-venue", "--", "python", "-c", SHOCK, symbol,
                    factor)  # fmt: skip

    def kill_operator(self) -> None:
        """Force-delete the operator's pod and wait for its successor to be Ready: its
        death changes no condition, so only its return says it recovered."""
        operator = self.kc.in_namespace(OPERATOR_NAMESPACE)
        selector = "app.kubernetes.io/component=operator"
        old = {p["metadata"]["uid"] for p in pods(operator, selector)}
        self.force_delete(selector, operator)

        def back() -> bool:
            return any(
                p["metadata"]["uid"] not in old
                and any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p["status"].get("conditions", [])
                )
                for p in pods(operator, selector)
            )

        poll("a new operator Ready", back, timeout=120, interval=0.25,
             on_timeout=lambda: diagnostics(self.kc))  # fmt: skip

    def roles(self) -> dict[str, Callable[[], None]]:
        """Every kill the random run picks from, by name."""

        found: dict[str, Callable[[], None]] = {}
        for name in self.names:
            if name in self.deleted:
                continue
            found[f"market maker {name}: pod force-deleted"] = functools.partial(
                self.force_delete, of_strategy("market-maker", name)
            )
            found[f"market maker {name}: kill -9 in the container"] = functools.partial(
                self.kill_engine_in_place, name
            )
            found[f"live server {name}: pod force-deleted"] = functools.partial(
                self.force_delete, of_strategy("live-server", name)
            )
        found["connector: pod force-deleted"] = lambda: self.force_delete(
            "app.kubernetes.io/component=connector"
        )
        found["operator: pod force-deleted"] = self.kill_operator
        found["venue: pod force-deleted"] = lambda: self.force_delete(VENUE)
        return found

    def random_run(self, kills: int, seed: int, pause: tuple[float, float] = (5, 20)) -> None:
        """`kills` kills drawn with `seed` across every role, a shock now and then,
        fills flowing between; the invariants after each recovery."""
        self.seed = seed
        rng = random.Random(seed)
        print(f"\nchaos: random run of {kills} kills, seed {seed} "
              f"(replay: GRIDOPS_CHAOS_SEED={seed})")  # fmt: skip
        for number in range(1, kills + 1):
            roles = self.roles()
            role = rng.choice(sorted(roles))
            if rng.random() < 0.3:
                symbol = rng.choice(["BTC/USDT", "ETH/USDT"])
                self.shock(symbol, rng.choice(["0.99", "1.01", "0.985", "1.015"]))
            self.wait_trading(fills=1)
            # Not a wait for anything: the spacing of the kills is part of the seeded input.
            time.sleep(rng.uniform(*pause))
            # The operator's death shows in no condition: its kill waits for its return.
            notice = not role.startswith("operator")
            record = self.timed_kill("random", role, roles[role], notice=notice)
            print(f"chaos: kill {number}/{kills} {role}: whole again in {record.seconds:.1f}s")
            self.check(f"kill {number} ({role}), seed {seed}")


#: violations that only mean "the engines have not caught up yet" while polling
SETTLING = frozenset({"position is the sum of fills", "engine and venue agree once synced"})


def summary(kills: list[Kill]) -> list[tuple[str, int, float, float, float, float]]:
    """(role, kills, p50 and max of kill -> all Synced, p50 and max of kill -> every
    condition True) per role, for docs/resilience.md."""
    by_role: dict[str, list[Kill]] = {}
    for kill in kills:
        role = kill.role if kill.role != "random" else kill.how.split(":")[0]
        role = role.split(" chaos-")[0]
        if role == "market maker":
            # A restart in place and a new pod are different recoveries (and only the
            # first meets the kubelet's CrashLoopBackOff when repeated).
            role += ", kill -9" if "kill -9" in kill.how else ", pod force-deleted"
        by_role.setdefault(role, []).append(kill)
    rows = []
    for role, found in sorted(by_role.items()):
        synced = sorted(k.synced for k in found)
        whole = sorted(k.seconds for k in found)
        middle = len(found) // 2
        rows.append((role, len(found), synced[middle], synced[-1], whole[middle], whole[-1]))
    return rows


def wait_venue(kc: Kubectl, not_uid: str = "") -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        for pod in pods(kc, VENUE):
            state = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if pod["metadata"]["uid"] != not_uid and state.get("Ready") == "True":
                return pod
        return None

    found: dict[str, Any] = poll("the venue Ready", ready, timeout=180, interval=1,
                                 on_timeout=lambda: diagnostics(kc))  # fmt: skip
    return found
