"""What fencing costs PlaceOrder: one connector process, two strategies, side by side.

`open` is a strategy nobody claimed, placed without a fencing token (what every
PlaceOrder cost before fencing, apart from one dict lookup); `held` is claimed with
ClaimWriter, and every PlaceOrder carries its token, as a market maker's do. Both go
through one `ConnectorClient` on one channel, so the token and the claim are the only
difference. The two cases alternate call by call (ABBA, so neither always goes first)
with one call in flight: a burst of load from elsewhere on the machine hits both alike.

The issue's bound, a gate (`python -m bench fencing` exits 1 past it): fencing adds at
most 20 µs to PlaceOrder's p50.
The in-process rows time `Fencing.check` alone, the connector's whole added work.
"""

from __future__ import annotations

import time
from decimal import Decimal

from gridops import errors
from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.fencing import Fencing
from gridops.models import OrderRequest, OrderType, Side

from .report import Result
from .spawn import ServerProcess
from .stats import latency_summary, percentile

#: strategy prefixes of one length, so both cases' ids have the same size on the wire
OPEN, HELD = "bench-open", "bench-held"
TOKEN = 7
#: long enough to outlast any run; renewed between blocks anyway, as a writer renews
LEASE_SECONDS = 600
LIMIT_US = 20.0
CASES = ("open", "held")


def _check_us(fencing: Fencing, prefix: str, token: int, calls: int) -> float:
    clock = time.perf_counter
    check = fencing.check
    started = clock()
    for _ in range(calls):
        check(prefix, token, "", "PlaceOrder")
    return (clock() - started) / calls * 1e6


def in_process_check_us(calls: int = 200_000) -> dict[str, float]:
    """µs per `Fencing.check`, as PlaceOrder calls it, for both cases (best of 5)."""
    fencing = Fencing()
    fencing.claim(HELD, TOKEN, "bench", LEASE_SECONDS)
    return {
        "open": min(_check_us(fencing, OPEN, 0, calls) for _ in range(5)),
        "held": min(_check_us(fencing, HELD, TOKEN, calls) for _ in range(5)),
    }


async def run(
    samples: int = 10_000,
    warmup: int = 1_000,
    block: int = 500,
    limit_us: float = LIMIT_US,
    check_calls: int = 200_000,
) -> Result:
    result = Result("fencing")
    latencies: dict[str, list[float]] = {case: [] for case in CASES}
    paired: list[float] = []  # held minus open, per pair: the same moment's noise cancels
    with ServerProcess("cli") as connector:
        client = await ConnectorClient.connect(connector.address)
        sim = SimulatorClient(connector.address)
        # Enough quote balance that no PlaceOrder is refused for funds.
        await sim.set_balances({"USDT": Decimal("1000000000")})
        holder = f"bench-{connector.pid}"
        await client.claim_writer(HELD, TOKEN, holder, LEASE_SECONDS)
        tokens = {"open": 0, "held": TOKEN}
        prefixes = {"open": OPEN, "held": HELD}
        placed = {"open": 0, "held": 0}
        clock = time.perf_counter

        async def place(case: str) -> float:
            placed[case] += 1
            client.fencing_token = tokens[case]
            order = OrderRequest(
                client_order_id=f"{prefixes[case]}-0-B-{placed[case]}",
                symbol="BTC/USDT",
                side=Side.BUY,
                price=Decimal("40000"),
                quantity=Decimal("0.001"),
                type=OrderType.LIMIT_MAKER,
            )
            started = clock()
            await client.place_order(order)
            return clock() - started

        async def pairs(count: int, record: bool) -> None:
            for i in range(count):
                first, second = CASES if i % 2 == 0 else CASES[::-1]
                took = {first: await place(first), second: await place(second)}
                if record:
                    latencies["open"].append(took["open"])
                    latencies["held"].append(took["held"])
                    paired.append(took["held"] - took["open"])

        async def between_blocks() -> None:
            # Untimed: resting orders would pile up in the sim's book, and the claim is
            # renewed the way a market maker renews it.
            client.fencing_token = 0
            await client.cancel_all_orders(prefix=OPEN)
            client.fencing_token = TOKEN
            await client.cancel_all_orders(prefix=HELD)
            await client.claim_writer(HELD, TOKEN, holder, LEASE_SECONDS)

        await pairs(warmup, record=False)
        await between_blocks()
        done = 0
        while done < samples:
            n = min(block, samples - done)
            await pairs(n, record=True)
            await between_blocks()
            done += n

        # The held case was fenced for real: without its token, the same call is refused.
        client.fencing_token = 0
        try:
            await client.place_order(
                OrderRequest(f"{HELD}-0-B-{placed['held'] + 1}", "BTC/USDT", Side.BUY,
                             Decimal("40000"), Decimal("0.001"), OrderType.LIMIT_MAKER)
            )  # fmt: skip
            fenced = False
        except errors.Fenced:
            fenced = True
        await client.claim_writer(HELD, TOKEN, holder, 0)
        await client.close()
        await sim.close()
    if not fenced:
        raise RuntimeError("the held strategy was not fenced: the benchmark measured nothing")

    summaries = {case: latency_summary(values) for case, values in latencies.items()}
    checks = in_process_check_us(check_calls)
    result.params = {
        "samples_per_case": samples,
        "warmup_pairs": warmup,
        "block_pairs": block,
        "p50_limit_us": limit_us,
        "server": "python -m gridops connector --exchange sim (own process)",
        "client": "one ConnectorClient, one channel; the cases alternate ABBA, one call in "
        "flight; between blocks (untimed) both strategies' orders are cancelled and the "
        "claim is renewed",
        "open": f"prefix {OPEN}, no token, never claimed",
        "held": f"prefix {HELD}, claimed with token {TOKEN}, that token on every call",
        "check_calls": check_calls,
    }
    result.details = {
        **summaries,
        "held_minus_open_us": {
            q: (summaries["held"][f"{q}_ms"] - summaries["open"][f"{q}_ms"]) * 1000
            for q in ("p50", "p90", "p99")
        },
        "paired_difference_median_us": percentile(paired, 50) * 1e6,
        "fencing_check_us": checks,
        "token_less_call_refused": fenced,
    }
    result.samples = dict(latencies)
    open_s, held_s = summaries["open"], summaries["held"]
    for q in ("p50", "p90", "p99"):
        result.add(f"PlaceOrder {q}, no token, no claim", open_s[f"{q}_ms"], "ms")
        result.add(f"PlaceOrder {q}, claimed, with token", held_s[f"{q}_ms"], "ms")
    diff = result.details["held_minus_open_us"]
    result.add("fencing adds to PlaceOrder p50", diff["p50"], "us", limit_us, gate=True)
    result.add("fencing adds to PlaceOrder p90", diff["p90"], "us")
    result.add("fencing adds to PlaceOrder p99", diff["p99"], "us")
    result.add("fencing adds, median of paired differences", result.details[
        "paired_difference_median_us"], "us")  # fmt: skip
    result.add("Fencing.check in process, no token", checks["open"], "us")
    result.add("Fencing.check in process, claimed", checks["held"], "us")
    return result


def side_by_side(result: Result) -> str:
    """The two cases in columns, with the difference: what the issue asks to see."""
    d = result.details
    rows = [("", "no token, no claim", "claimed, with token", "difference")]
    for q in ("p50", "p90", "p99"):
        rows.append(
            (
                f"PlaceOrder {q}",
                f"{d['open'][f'{q}_ms'] * 1000:.1f} µs",
                f"{d['held'][f'{q}_ms'] * 1000:.1f} µs",
                f"{d['held_minus_open_us'][q]:+.1f} µs",
            )
        )
    checks = d["fencing_check_us"]
    rows.append(
        (
            "Fencing.check alone",
            f"{checks['open']:.2f} µs",
            f"{checks['held']:.2f} µs",
            f"{checks['held'] - checks['open']:+.2f} µs",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(
            zip(row, widths, strict=True))).rstrip()
        for row in rows
    )  # fmt: skip
