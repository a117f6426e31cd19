"""A GridStrategy and its engine's /status, read through the Kubernetes API server.

Thin on purpose: two GETs with the user's kubeconfig (kubernetes.aio), the engine's
/status through the API server's service proxy, so nothing is port-forwarded. The paths
and the namespace choice are pure functions, unit-tested; the calls are E2E-tested.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import yaml
from kubernetes.aio import client, config

from .errors import CliError

GROUP_VERSION = "gridops.io/v1alpha1"
PLURAL = "gridstrategies"
#: the market maker's Service is `<strategy>-mm`, HTTP on this port (BRIEF §6)
MARKET_MAKER_PORT = 8080
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
TIMEOUT_SECONDS = 10.0


def strategy_path(namespace: str, name: str) -> str:
    return f"/apis/{GROUP_VERSION}/namespaces/{quote(namespace)}/{PLURAL}/{quote(name)}"


def engine_status_path(namespace: str, name: str) -> str:
    """The engine's /status through the API server's proxy to the `<name>-mm` Service."""
    service = f"{quote(name)}-mm:{MARKET_MAKER_PORT}"
    return f"/api/v1/namespaces/{quote(namespace)}/services/{service}/proxy/status"


def kubeconfig_files(environ: Mapping[str, str], home: Path) -> list[str]:
    """The kubeconfig files that exist: $KUBECONFIG's list, else ~/.kube/config."""
    listed = environ.get("KUBECONFIG")
    candidates = listed.split(os.pathsep) if listed else [str(home / ".kube" / "config")]
    return [c for c in candidates if c and Path(c).expanduser().is_file()]


def context_namespace(context: Mapping[str, Any] | None) -> str:
    """The namespace a kubeconfig context names; "default" when it names none."""
    inner = (context or {}).get("context") or {}
    return str(inner.get("namespace") or "default")


def api_message(status: int, body: bytes) -> str:
    """What the API server said: its Status message, else the HTTP status."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and document.get("message"):
        return f"HTTP {status}: {document['message']}"
    text = body.decode(errors="replace").strip()[:200]
    return f"HTTP {status}" + (f": {text}" if text else "")


class Cluster:
    """The API server of the user's kubeconfig (or of the pod it runs in)."""

    def __init__(self, api: client.ApiClient, namespace: str, where: str) -> None:
        self.api = api
        self.namespace = namespace
        self.where = where

    @classmethod
    async def connect(cls, namespace: str | None, context: str | None) -> Cluster:
        configuration = client.Configuration()
        files = kubeconfig_files(os.environ, Path.home())
        try:
            if files:
                loader = await config.load_kube_config(
                    config_file=os.pathsep.join(files),
                    context=context,
                    client_configuration=configuration,
                    persist_config=False,
                )
                chosen = namespace or context_namespace(loader.current_context)
                where = f"kubeconfig {os.pathsep.join(files)}"
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config(client_configuration=configuration)
                chosen = namespace or _pod_namespace()
                where = "the in-cluster config"
            else:
                listed = os.environ.get("KUBECONFIG")
                raise CliError(
                    "a GridStrategy name needs a Kubernetes cluster, and there is no kubeconfig "
                    f"({'KUBECONFIG=' + listed if listed else '~/.kube/config'} not found; set "
                    "KUBECONFIG); for a market maker run by hand pass its URL, e.g. "
                    "http://127.0.0.1:8080"
                )
        except (config.ConfigException, yaml.YAMLError, OSError, ValueError, KeyError) as error:
            raise CliError(f"cannot use the kubeconfig: {error}") from None
        return cls(client.ApiClient(configuration), chosen, where)

    async def close(self) -> None:
        await self.api.close()

    async def _get(self, path: str) -> tuple[int, bytes]:
        params = await self.api.param_serialize(
            method="GET",
            resource_path=path,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = await self.api.call_api(*params, _request_timeout=TIMEOUT_SECONDS)
            return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            host = self.api.configuration.host
            raise CliError(
                f"the Kubernetes API at {host} ({self.where}) is unreachable: "
                f"{error or type(error).__name__}"
            ) from None

    async def strategy(self, name: str) -> dict[str, Any]:
        """The GridStrategy object; CliError naming it when it is not there."""
        status, body = await self._get(strategy_path(self.namespace, name))
        if status == 404:
            if _names_an_object(body):
                raise CliError(
                    f"no GridStrategy {name!r} in namespace {self.namespace} "
                    f"(kubectl get gs -n {self.namespace}; -n NAMESPACE picks another)"
                )
            raise CliError(
                "this cluster has no GridStrategy resource (the gridops CRD is not installed: "
                "helm install gridops charts/gridops -n gridops-system --create-namespace)"
            )
        if status != 200:
            raise CliError(
                f"reading GridStrategy {self.namespace}/{name}: {api_message(status, body)}"
            )
        document = json.loads(body)
        if not isinstance(document, dict):
            raise CliError(f"GridStrategy {self.namespace}/{name}: not an object")
        return document

    async def engine_status(self, name: str) -> dict[str, Any] | str:
        """The engine's /status document, or why it could not be read (a short reason)."""
        status, body = await self._get(engine_status_path(self.namespace, name))
        if status != 200:
            reason = api_message(status, body)
            if status == 503:
                reason += " (the market maker is not Ready: starting or reconciling)"
            return f"GET service {name}-mm:{MARKET_MAKER_PORT}/status through the API: {reason}"
        try:
            document = json.loads(body)
        except ValueError:
            return f"service {name}-mm answered /status with something other than JSON"
        if not isinstance(document, dict) or "synced" not in document:
            return f"service {name}-mm answered /status with something else than an engine status"
        return document


def _names_an_object(body: bytes) -> bool:
    """True when a 404 is about a missing object, not about a missing resource type."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    details = document.get("details") if isinstance(document, dict) else None
    return isinstance(details, dict) and bool(details.get("name"))


def _pod_namespace() -> str:
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"
