"""Prometheus metrics of the connector, on a registry of its own (one per server)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .adapter import ExchangeAdapter
from .fanout import Hub, Topic
from .fencing import Fencing

LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


class _StateCollector(Collector):
    """Reads live state at scrape time instead of mirroring it into gauges."""

    def __init__(self, adapter: ExchangeAdapter, hub: Hub, fencing: Fencing) -> None:
        self.adapter = adapter
        self.hub = hub
        self.fencing = fencing

    def collect(self) -> Iterator[Metric]:
        upstream = GaugeMetricFamily(
            "gridops_connector_upstream_connections",
            "Upstream exchange connections open now (one per connector by design).",
            labels=["exchange"],
        )
        upstream.add_metric([self.adapter.name], self.adapter.upstream_connections)
        yield upstream
        connects = CounterMetricFamily(
            "gridops_connector_upstream_connects",
            "Upstream exchange connections opened since start.",
            labels=["exchange"],
        )
        connects.add_metric([self.adapter.name], self.adapter.upstream_connects_total)
        yield connects
        subscribers = GaugeMetricFamily(
            "gridops_connector_subscribers", "Open stream subscriptions.", labels=["stream"]
        )
        coalesced = CounterMetricFamily(
            "gridops_connector_messages_coalesced",
            "Snapshot values skipped for slow subscribers (a newer value replaced them).",
            labels=["stream"],
        )
        overflows = CounterMetricFamily(
            "gridops_connector_subscribers_overflowed",
            "Subscribers ended with RESOURCE_EXHAUSTED for falling behind.",
            labels=["stream"],
        )
        for topic in Topic:
            subscribers.add_metric([topic.value], self.hub.count(topic))
            coalesced.add_metric([topic.value], self.hub.coalesced[topic])
            overflows.add_metric([topic.value], self.hub.overflows[topic])
        yield subscribers
        yield coalesced
        yield overflows
        yield from self._fencing()

    def _fencing(self) -> Iterator[Metric]:
        tokens = GaugeMetricFamily(
            "gridops_connector_writer_token",
            "Highest fencing token seen per strategy (client order id prefix).",
            labels=["strategy"],
        )
        live = GaugeMetricFamily(
            "gridops_connector_writer_live",
            "1 while a market maker's writer claim on the strategy is live.",
            labels=["strategy"],
        )
        for prefix, writer in self.fencing.writers():
            tokens.add_metric([prefix], writer.token)
            live.add_metric([prefix], 1 if self.fencing.live(writer) else 0)
        refused = CounterMetricFamily(
            "gridops_connector_fenced_calls",
            "Calls refused by fencing (a stale writer's token, or no token while a writer "
            "holds the strategy), by strategy and RPC.",
            labels=["strategy", "method"],
        )
        for (prefix, method), count in sorted(self.fencing.refused.items()):
            refused.add_metric([prefix, method], count)
        yield tokens
        yield live
        yield refused


class ConnectorMetrics:
    def __init__(self, adapter: ExchangeAdapter, hub: Hub, fencing: Fencing | None = None) -> None:
        self.fencing = fencing or Fencing()
        self.registry = CollectorRegistry()
        self.registry.register(_StateCollector(adapter, hub, self.fencing))
        self.messages_sent = Counter(
            "gridops_connector_messages_sent",
            "Stream updates sent to subscribers (each update inside a batch counts).",
            ["stream"],
            registry=self.registry,
        )
        # _count is batches sent (gRPC messages), _sum the updates in them: the mean
        # batch size says how far batching is carrying a backlog.
        self.batch_size = Histogram(
            "gridops_connector_batch_size",
            "Updates per message on batched streams (SubscribeOrderBatches).",
            ["stream"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.rpc_duration = Histogram(
            "gridops_connector_rpc_duration_seconds",
            "Unary RPC handling time.",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rpcs = Counter(
            "gridops_connector_rpcs",
            "RPCs handled, by method and status code.",
            ["method", "code"],
            registry=self.registry,
        )
