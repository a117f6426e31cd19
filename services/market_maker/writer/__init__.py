"""The writer lease: one market maker per strategy trades (see keeper.Writer)."""

from __future__ import annotations

import os

from gridops.order_ids import writer_lease_name
from gridops.spec import StrategyConfig

from .keeper import Claims, Writer


def make_writer(config: StrategyConfig, connector: Claims, prefix: str) -> Writer:
    """The lease of the place the engine runs: a Kubernetes Lease in a pod the operator
    made (GRIDOPS_LEASE_NAMESPACE), else the durable engine's database, else (simple
    engine) a SQLite file in the data directory."""
    seconds = config.engine.lease_seconds
    namespace = os.environ.get("GRIDOPS_LEASE_NAMESPACE")
    if namespace:
        from .kube_lease import KubeLease

        return Writer(KubeLease(namespace, writer_lease_name(config.name), config.name), connector,
                      prefix, seconds)  # fmt: skip
    from .store_lease import StoreLease, ThreadedStoreLease

    if config.engine.type == "durable":
        url = config.database_url
    else:
        url = f"sqlite:///{config.engine.data_dir / f'{prefix}.writer.db'}"
    return Writer(ThreadedStoreLease(StoreLease(url, prefix)), connector, prefix, seconds)


__all__ = ["Writer", "make_writer"]
