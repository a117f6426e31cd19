"""The Kubernetes API as the operator uses it: server-side apply, get, list, delete.

A thin async layer over kubernetes.aio's ApiClient that speaks plain dicts (manifests in,
JSON out) and raises the operator's errors: Temporary for what a retry can fix, Invalid
for what it cannot. Each call is checked against operator/rbac.py first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import yaml
from kubernetes.aio import client, config

from . import rbac
from .errors import Invalid, StartupError, Temporary

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    api_version: str  #: "v1" or "group/version"
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def path(
        self, namespace: str | None, name: str | None = None, subresource: str | None = None
    ) -> str:
        root = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{quote(namespace)}")
        parts.append(self.plural)
        if name:
            parts.append(quote(name))
        if subresource:
            parts.append(subresource)
        return "/".join(parts)


KINDS = {
    "Deployment": Kind("apps/v1", "deployments"),
    "Service": Kind("v1", "services"),
    "ConfigMap": Kind("v1", "configmaps"),
    "Secret": Kind("v1", "secrets"),
    "PersistentVolumeClaim": Kind("v1", "persistentvolumeclaims"),
    "Pod": Kind("v1", "pods"),
    "ServiceAccount": Kind("v1", "serviceaccounts"),
    "Role": Kind("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": Kind("rbac.authorization.k8s.io/v1", "rolebindings"),
    "Lease": Kind("coordination.k8s.io/v1", "leases"),
    "StorageClass": Kind("storage.k8s.io/v1", "storageclasses", namespaced=False),
    "GridStrategy": Kind("gridops.io/v1alpha1", "gridstrategies"),
}

_TEMPORARY = {408, 409, 429, 500, 502, 503, 504}


class Kube:
    def __init__(self, api: client.ApiClient) -> None:
        self.api = api

    @classmethod
    async def connect(cls) -> Kube:
        """In a pod its service account, elsewhere $KUBECONFIG or ~/.kube/config."""
        configuration = client.Configuration()
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        path = os.environ.get("KUBECONFIG") or "~/.kube/config"
        where = "the in-cluster config" if in_cluster else f"the kubeconfig {path}"
        try:
            if in_cluster:
                config.load_incluster_config(client_configuration=configuration)
            else:
                await config.load_kube_config(client_configuration=configuration)
        except (config.ConfigException, yaml.YAMLError, OSError, ValueError) as error:
            raise StartupError(f"cannot use {where}: {error}") from None
        return cls(client.ApiClient(configuration))

    async def close(self) -> None:
        await self.api.close()

    async def _call(
        self,
        verb: str,
        method: str,
        kind: str,
        namespace: str | None,
        name: str | None = None,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        subresource: str | None = None,
    ) -> Manifest | None:
        spec = KINDS[kind]
        resource = f"{spec.plural}/{subresource}" if subresource else spec.plural
        if not rbac.allowed(spec.group, resource, verb):
            raise AssertionError(f"{verb} {resource} is not in operator/rbac.py")
        path = spec.path(namespace, name, subresource)
        if query:
            path += "?" + urlencode(query)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        params = await self.api.param_serialize(
            method=method,
            resource_path=path,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = await self.api.call_api(*params, _request_timeout=30)
            data = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise Temporary(f"Kubernetes API unreachable: {error}") from error
        if response.status == 404:
            return None
        if response.status >= 400:
            raise _error(response.status, data, f"{method} {path}")
        decoded: Manifest = json.loads(data) if data else {}
        return decoded

    async def apply(self, manifest: Manifest, manager: str) -> Manifest:
        """Server-side apply: create or update the fields this manager owns."""
        metadata = manifest["metadata"]
        result = await self._call(
            "patch",
            "PATCH",
            manifest["kind"],
            metadata.get("namespace"),
            metadata["name"],
            query={"fieldManager": manager, "force": "true"},
            body=manifest,
            content_type="application/apply-patch+yaml",
        )
        if result is None:  # pragma: no cover - apply creates what is missing
            raise Temporary(f"apply {manifest['kind']} {metadata['name']}: not found")
        return result

    async def create(self, manifest: Manifest) -> bool:
        """Create it unless it exists; False when it already did."""
        metadata = manifest["metadata"]
        try:
            await self._call(
                "create", "POST", manifest["kind"], metadata.get("namespace"), body=manifest
            )
        except Temporary as error:
            if getattr(error, "status", None) == 409:
                return False
            raise
        return True

    async def get(self, kind: str, namespace: str | None, name: str) -> Manifest | None:
        return await self._call("get", "GET", kind, namespace, name)

    async def list(
        self, kind: str, namespace: str | None, selector: str | None = None
    ) -> list[Manifest]:
        query = {"labelSelector": selector} if selector else None
        result = await self._call("list", "GET", kind, namespace, query=query)
        return list((result or {}).get("items") or [])

    async def merge_patch(
        self,
        kind: str,
        namespace: str,
        name: str,
        patch: Manifest,
        subresource: str | None = None,
    ) -> bool:
        """A JSON merge patch (None deletes a key); False when the object is gone."""
        result = await self._call(
            "patch",
            "PATCH",
            kind,
            namespace,
            name,
            body=patch,
            content_type="application/merge-patch+json",
            subresource=subresource,
        )
        return result is not None

    async def delete(self, kind: str, namespace: str, name: str) -> bool:
        """Delete it (children go in the background); False when it was not there."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        return await self._call("delete", "DELETE", kind, namespace, name, body=body) is not None


class ApiError(Temporary):
    def __init__(self, message: str, status: int, delay: float = 5.0) -> None:
        super().__init__(message, delay)
        self.status = status


def _error(status: int, data: bytes, what: str) -> Exception:
    try:
        message = json.loads(data).get("message") or data.decode(errors="replace")
    except (ValueError, AttributeError):
        message = data.decode(errors="replace")
    text = f"{what}: HTTP {status}: {message}"
    if status in _TEMPORARY or status == 403:
        # 403: the chart's RBAC is missing something; retried (and loud) until fixed
        return ApiError(text, status, delay=2.0 if status == 409 else 5.0)
    return Invalid(text)
