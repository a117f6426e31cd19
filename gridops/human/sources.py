"""Where a command reads a strategy from: its market maker's URL, or the cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .controls import Controls
from .engine_http import fetch_status
from .errors import CliError
from .kube import Cluster
from .status_view import ClusterView
from .targets import StrategyTarget, Target, UrlTarget


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What was read: the engine's /status (None when out of reach) and the GridStrategy."""

    document: dict[str, Any] | None
    controls: Controls
    cluster: ClusterView | None = None

    @property
    def name(self) -> str:
        if self.document is not None:
            return str(self.document.get("name", ""))
        return self.cluster.name if self.cluster is not None else ""

    @property
    def symbol(self) -> str:
        if self.document is not None and self.document.get("symbol"):
            return str(self.document["symbol"])
        return str(self.cluster.spec.get("symbol", "")) if self.cluster is not None else ""

    def require_document(self) -> dict[str, Any]:
        """The engine's /status; CliError saying why it could not be read."""
        if self.document is not None:
            return self.document
        reason = self.cluster.engine_error if self.cluster is not None else None
        raise CliError(f"cannot read {self.name}'s market maker: {reason or 'no status'}")


class Source:
    """Reads one target again and again (`--watch`); close it when done."""

    def __init__(self, target: Target, cluster: Cluster | None) -> None:
        self.target = target
        self._cluster = cluster

    @classmethod
    async def open(cls, target: Target, namespace: str | None, context: str | None) -> Source:
        if isinstance(target, StrategyTarget):
            return cls(target, await Cluster.connect(namespace, context))
        return cls(target, None)

    async def read(self, *, engine: bool = True) -> Snapshot:
        """A snapshot; `engine=False` skips the engine's /status of a GridStrategy."""
        if isinstance(self.target, UrlTarget):
            engine_status = await fetch_status(self.target.status_url)
            return Snapshot(engine_status, Controls(url=self.target.url))
        assert isinstance(self.target, StrategyTarget)
        assert self._cluster is not None
        cluster = self._cluster
        name = self.target.name
        strategy = await cluster.strategy(name)
        found = await cluster.engine_status(name) if engine else "not asked"
        view = ClusterView(
            name=name,
            namespace=cluster.namespace,
            spec=dict(strategy.get("spec") or {}),
            status=dict(strategy.get("status") or {}),
            engine_error=found if isinstance(found, str) else None,
        )
        document = found if isinstance(found, dict) else None
        return Snapshot(document, Controls(name=name, namespace=cluster.namespace), view)

    async def close(self) -> None:
        if self._cluster is not None:
            await self._cluster.close()
