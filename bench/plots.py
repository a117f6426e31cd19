"""PNG plots of the results (matplotlib, from the `bench` extra; skipped without it)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

from .report import Result

LATENCY_CASES = {
    "bare_echo": "bare grpc.aio echo",
    "get_account": "GetAccount (ConnectorClient)",
    "place_order": "PlaceOrder (ConnectorClient)",
}


def _pyplot() -> Any:
    # Imported by name: matplotlib is an optional extra, so neither the import nor the
    # type checker may require it where the suite only smoke-runs.
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")  # files only: no display on a build machine
    return importlib.import_module("matplotlib.pyplot")


def _percentile_curve(values_s: list[float]) -> tuple[list[float], list[float]]:
    """x = 1/(1-q) (so p50, p90, p99, p99.9 are evenly spaced on a log axis), y = ms."""
    ordered = sorted(v * 1000 for v in values_s)
    n = len(ordered)
    xs = [1 / (1 - (i + 0.5) / n) for i in range(n)]
    return xs, ordered


def _nines_axis(ax: Any) -> None:
    ax.set_xscale("log")
    ticks = [2, 10, 100, 1000]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["p50", "p90", "p99", "p99.9"])
    ax.set_xlim(1, 2000)
    ax.grid(True, which="both", alpha=0.3)


def latency(unary: Result | None, load: Result | None, out: Path) -> Path | None:
    if unary is None and load is None:
        return None
    plt = _pyplot()
    panels = [r for r in (unary, load) if r is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for ax, result in zip(axes[0], panels, strict=True):
        if result.name == "unary":
            for key, label in LATENCY_CASES.items():
                xs, ys = _percentile_curve(result.samples[key])
                ax.plot(xs, ys, label=label)
            ax.axhline(2.0, color="red", linestyle=":", label="GetAccount p99 target")
            ax.set_title("Unary latency, one call in flight (loopback)")
        else:
            xs, ys = _percentile_curve(result.samples["delivery_latency_s"])
            ax.plot(xs, ys, label="account update → 15 clients")
            ax.axhline(5.0, color="red", linestyle=":", label="p99 target")
            ax.set_title("Load case: delivery latency, 100 updates/s")
        _nines_axis(ax)
        ax.set_yscale("log")
        ax.set_ylabel("ms")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def fanout(result: Result | None, out: Path) -> Path | None:
    if result is None:
        return None
    plt = _pyplot()
    s = result.samples
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    x = s["subscribers"]
    ax.plot(x, s["total_per_second"], "o-", label="batched: updates, total")
    ax.plot(x, s["per_subscriber_per_second"], "s--", label="batched: updates, each")
    if "frames_per_second" in s:
        ax.plot(x, s["frames_per_second"], "d-.", label="batched: gRPC messages, total")
    if "unbatched_total_per_second" in s:
        ax.plot(x, s["unbatched_total_per_second"], "v-", label="unbatched: total")
    ax.plot(x, s["bare_total_per_second"], "^:", label="bare grpc.aio stream: total")
    ax.axhline(50_000, color="red", linestyle=":", label="target at 100 (total)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("subscribers")
    ax.set_ylabel("delivered / s")
    ax.set_title("Order-stream fan-out (loopback, server in its own process)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    path = out / "fanout.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def over_time(memory: Result | None, soak: Result | None, out: Path) -> Path | None:
    if memory is None and soak is None:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    if memory is not None:
        kb = memory.samples["rss_kb"]
        ax.plot(memory.samples["rss_seconds"], [k / 1024 for k in kb], label="memory run: RSS")
    if soak is not None:
        series = soak.samples["series"]
        ax.plot([w["t_s"] for w in series], [w["rss_mb"] for w in series], label="soak: RSS")
        ax2 = ax.twinx()
        p99 = [w["p99_ms"] for w in series]
        ax2.plot([w["t_s"] for w in series], p99, "r:", label="soak: p99 ms")
        ax2.set_ylabel("p99 delivery ms")
        ax2.set_ylim(0, max((v for v in p99 if not math.isnan(v)), default=1) * 1.3)
        ax2.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_ylabel("connector RSS (MB)")
    ax.set_title("Connector memory under client churn")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = out / ("soak.png" if soak is not None else "memory.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def all_plots(results: dict[str, Result], out: Path) -> list[Path]:
    try:
        _pyplot()
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plots")
        return []
    made = [
        latency(results.get("unary"), results.get("load"), out),
        fanout(results.get("fanout"), out),
        over_time(results.get("memory"), None, out),
        over_time(None, results.get("soak"), out),
    ]
    return [p for p in made if p is not None]
