"""Prometheus metrics of one engine, on a registry of its own."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .domain.edges import Edge


class EngineMetrics:
    def __init__(self, strategy: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"strategy": strategy}

        def counter(name: str, doc: str) -> Counter:
            metric = Counter(name, doc, list(labels), registry=self.registry)
            metric.labels(**labels)
            return metric

        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(name, doc, list(labels), registry=self.registry)

        self.placed = counter("gridops_mm_orders_placed", "Orders placed.").labels(**labels)
        self.canceled = counter("gridops_mm_orders_canceled", "Orders canceled.").labels(**labels)
        self.rejected = counter("gridops_mm_orders_rejected", "Orders refused.").labels(**labels)
        self.fills = counter("gridops_mm_fills", "Fills applied.").labels(**labels)
        self.reconciles = counter("gridops_mm_reconciles", "Reconciliations.").labels(**labels)
        self.position = gauge("gridops_mm_position", "Net position (base).").labels(**labels)
        self.realized = gauge("gridops_mm_realized_pnl", "Realized PnL (quote).").labels(**labels)
        self.unrealized = gauge("gridops_mm_unrealized_pnl", "Unrealized PnL.").labels(**labels)
        self.open_orders = gauge("gridops_mm_open_orders", "Open orders.").labels(**labels)
        self.halted = gauge("gridops_mm_risk_halted", "1 while risk halts entries.").labels(
            **labels
        )
        self.synced = gauge("gridops_mm_synced", "1 once reconciled.").labels(**labels)
        self.paused = gauge("gridops_mm_paused", "1 while paused.").labels(**labels)
        self.fenced = gauge(
            "gridops_mm_fenced", "1 while another writer holds the strategy (fenced)."
        ).labels(**labels)
        self.standby = gauge(
            "gridops_mm_standby", "1 while waiting for the strategy's writer lease."
        ).labels(**labels)
        self.fencing_token = gauge(
            "gridops_mm_fencing_token", "Fencing token of the writer lease held (0: none)."
        ).labels(**labels)
        self.fenced_total = counter(
            "gridops_mm_fencings", "Times this engine was fenced (lost the strategy)."
        ).labels(**labels)
        self.last_price = gauge("gridops_mm_last_price", "Last price seen.").labels(**labels)
        self.last_price_at = gauge(
            "gridops_mm_last_price_timestamp_seconds",
            "Unix time the last price arrived (0: none yet); time() minus it is the price's age.",
        ).labels(**labels)
        self.drawdown = gauge(
            "gridops_mm_drawdown",
            "Loss the max-drawdown rule measures: -(realized + unrealized PnL) while below 0.",
        ).labels(**labels)
        self.max_drawdown = gauge(
            "gridops_mm_max_drawdown", "risk.maxDrawdown (quote; 0: no limit)."
        ).labels(**labels)
        self.risk_halts = counter(
            "gridops_mm_risk_halts", "Times a risk rule halted entries."
        ).labels(**labels)
        # One series per edge (4 at most), not per level: a chart draws the grid's band
        # without a label value per price.
        self.grid_price = Gauge(
            "gridops_mm_grid_price",
            "Price of the grid's orders at each edge (nearest/farthest buy and sell); "
            "an edge with no order has no series.",
            [*labels, "edge"],
            registry=self.registry,
        )
        self._strategy = strategy
        self.reconcile_seconds = Histogram(
            "gridops_mm_reconcile_seconds",
            "Time to reconcile with the connector.",
            list(labels),
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        ).labels(**labels)

    def set_grid_edges(self, edges: Mapping[Edge, Decimal]) -> None:
        for edge in Edge:
            price = edges.get(edge)
            if price is None:
                # No series rather than a 0 that would drag a price chart's axis to zero.
                self.grid_price.remove(self._strategy, edge.value)
            else:
                self.grid_price.labels(self._strategy, edge.value).set(float(price))
