"""The seed's load case: 15 clients on the account stream while the exchange changes the
account 100 times a second; delivery latency and loss.

Each update sets the USDT balance to BASE + k, so every client can tell which update a
message carries. Latency is from the moment the driver starts SetBalances for update k
to the moment a client has the decoded `Account` in hand (ConnectorClient, as a market
maker or live server would): the whole path through the connector process. "Lost"
counts updates a client never saw (the account stream coalesces, so a slow client
would show here, not as an error).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from gridops.client import ConnectorClient, SimulatorClient, Update
from gridops.models import Account

from .report import Result
from .spawn import ServerProcess
from .stats import latency_summary

BASE = Decimal(1_000_000)


def _index(account: Account) -> int | None:
    for balance in account.balances:
        if balance.asset == "USDT":
            return int(balance.free - BASE)
    return None


async def _client(address: str, seen: dict[int, float], ready: asyncio.Event) -> None:
    client = await ConnectorClient.connect(address)
    try:
        async for item in client.subscribe_account():
            if not isinstance(item, Update):
                continue
            at = time.perf_counter()
            if item.sequence == 1:  # the snapshot of the account as it was
                ready.set()
                continue
            index = _index(item.value)
            if index is not None and index >= 0:
                seen[index] = at
    finally:
        await client.close()


async def drive(
    address: str, rate: float, duration: float, warmup: float, clients: int
) -> dict[str, object]:
    """Run the case against a connector at `address`; raw figures for the caller."""
    seen: list[dict[int, float]] = [{} for _ in range(clients)]
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task(_client(address, seen[i], readies[i])) for i in range(clients)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    sim = SimulatorClient(address)
    sent: dict[int, float] = {}
    call_latency: list[float] = []
    total = int((warmup + duration) * rate)
    first_measured = int(warmup * rate)
    started = time.perf_counter()
    for k in range(total):
        # A fixed schedule (not "sleep after each call"), so a slow call is not hidden
        # by sending the next one later: the seed's 100 updates/s is held.
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[k] = time.perf_counter()
        await sim.set_balances({"USDT": BASE + k})
        call_latency.append(time.perf_counter() - sent[k])
    sending = time.perf_counter() - started
    await asyncio.sleep(1.0)  # stragglers
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sim.close()

    latencies: list[float] = []
    first_client: list[float] = []
    lost = 0
    for per_client in seen:
        for k in range(first_measured, total):
            at = per_client.get(k)
            if at is None:
                lost += 1
            else:
                latencies.append(at - sent[k])
    # The first of the 15 to have each update: the connector's part, without the time
    # the other 14 clients wait for this one process to decode theirs.
    for k in range(first_measured, total):
        arrivals = [c[k] for c in seen if k in c]
        if arrivals:
            first_client.append(min(arrivals) - sent[k])
    return {
        "latencies": latencies,
        "lost": lost,
        "expected": (total - first_measured) * clients,
        "achieved_rate": total / sending,
        "set_balances": call_latency[first_measured:],
        "first_client": first_client,
    }


async def run(
    duration: float = 60.0, rate: float = 100.0, clients: int = 15, warmup: float = 3.0
) -> Result:
    result = Result("load")
    with ServerProcess("cli") as connector:
        cpu_before = connector.cpu_seconds()
        rss_before = connector.rss_kb()
        wall = time.perf_counter()
        raw = await drive(connector.address, rate, duration, warmup, clients)
        cpu_share = (connector.cpu_seconds() - cpu_before) / (time.perf_counter() - wall)
        rss_after = connector.rss_kb()
    latencies = raw["latencies"]
    set_balances = raw["set_balances"]
    first_client = raw["first_client"]
    assert isinstance(latencies, list)
    assert isinstance(set_balances, list)
    assert isinstance(first_client, list)
    first = latency_summary(first_client)
    summary = latency_summary(latencies)
    result.params = {
        "clients": clients,
        "updates_per_second": rate,
        "duration_seconds": duration,
        "warmup_seconds": warmup,
        "stream": "SubscribeAccount via ConnectorClient (decoded to domain types)",
        "driver": "SimulatorClient.set_balances on a fixed schedule, same process as clients",
        "server": "python -m gridops connector --exchange sim (own process)",
    }
    result.details = {
        "delivery_latency": summary,
        "set_balances_latency": latency_summary(set_balances),
        "first_of_clients_latency": first,
        "expected_deliveries": raw["expected"],
        "achieved_update_rate": raw["achieved_rate"],
        "server_cpu_share": cpu_share,
        "server_rss_kb": [rss_before, rss_after],
    }
    result.samples = {"delivery_latency_s": latencies}
    result.add("delivery p50", summary["p50_ms"], "ms")
    result.add("delivery p99", summary["p99_ms"], "ms", 5.0)
    result.add("delivery p99.9", summary["p99_9_ms"], "ms")
    result.add("delivery p50, first of the clients", first["p50_ms"], "ms")
    result.add("delivery p99, first of the clients", first["p99_ms"], "ms")
    sb = latency_summary(set_balances)
    result.add("SetBalances call p50", sb["p50_ms"], "ms")
    result.add("lost", float(raw["lost"]), "msgs", 0)  # type: ignore[arg-type]
    result.add("updates/s achieved", float(raw["achieved_rate"]), "/s", rate * 0.99, ">=")  # type: ignore[arg-type]
    result.add("server CPU", cpu_share * 100, "%")
    return result
