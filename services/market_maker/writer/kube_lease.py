"""The writer lease as a Kubernetes `coordination.k8s.io/v1` Lease.

The engine's pod runs with a service account allowed get, create and update on leases
in its namespace (the operator makes it). Writes carry the `resourceVersion` read, so
the API server is the compare-and-swap: of two pods that race, one gets 409 Conflict.
The fencing token lives in an annotation (leaseTransitions is an int32, too small for
tokens derived from the clock); leaseTransitions still counts holder changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubernetes.aio import client, config
from kubernetes.aio.client.exceptions import ApiException

from gridops.market_maker.domain.lease import LeaseRecord

TOKEN_ANNOTATION = "gridops.io/fencing-token"


class KubeLease:
    kind = "kubernetes"

    def __init__(self, namespace: str, name: str, strategy: str) -> None:
        self.namespace = namespace
        self.name = name
        self.strategy = strategy
        self.where = f"Lease {namespace}/{name}"
        self._api: client.ApiClient | None = None
        self._transitions = 0
        self._read_holder = ""
        self._acquired: datetime | None = None

    async def _coordination(self) -> client.CoordinationV1Api:
        if self._api is None:
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            self._api = client.ApiClient(configuration)
        return client.CoordinationV1Api(self._api)

    async def read(self) -> tuple[LeaseRecord | None, str | None]:
        api = await self._coordination()
        try:
            lease: Any = await api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return None, None
            raise
        spec = lease.spec
        annotations = lease.metadata.annotations or {}
        self._transitions = spec.lease_transitions or 0
        self._read_holder = spec.holder_identity or ""
        self._acquired = spec.acquire_time
        renewed = spec.renew_time or spec.acquire_time or datetime.fromtimestamp(0, UTC)
        record = LeaseRecord(
            holder=spec.holder_identity or "",
            token=int(annotations.get(TOKEN_ANNOTATION, "0") or 0),
            renewed_at=renewed if renewed.tzinfo else renewed.replace(tzinfo=UTC),
            seconds=spec.lease_duration_seconds or 0,
            locked=False,
        )
        return record, lease.metadata.resource_version

    async def write(self, record: LeaseRecord, version: str | None) -> bool:
        api = await self._coordination()
        renewing = version is not None and record.holder == self._read_holder
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(
                name=self.name,
                namespace=self.namespace,
                resource_version=version,
                # the labels of the strategy's other market-maker objects (BRIEF §6)
                labels={
                    "app.kubernetes.io/name": "gridops",
                    "app.kubernetes.io/component": "market-maker",
                    "gridops.io/strategy": self.strategy,
                },
                annotations={TOKEN_ANNOTATION: str(record.token)},
            ),
            spec=client.V1LeaseSpec(
                holder_identity=record.holder or None,
                lease_duration_seconds=record.seconds,
                acquire_time=(self._acquired if renewing else None) or record.renewed_at,
                renew_time=record.renewed_at,
                lease_transitions=self._transitions + (0 if renewing else 1),
            ),
        )
        try:
            if version is None:
                await api.create_namespaced_lease(self.namespace, body)
            else:
                await api.replace_namespaced_lease(self.name, self.namespace, body)
        except ApiException as error:
            if error.status in (409, 404):
                return False
            raise
        return True

    async def try_lock(self) -> bool:
        return False  # no process lock across pods: a successor waits for expiry

    async def unlock(self) -> None:
        return None

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None
