"""A stand-in for the Kubernetes API server: the two GETs `gridops status NAME` makes.

GridStrategy objects by namespace and name, and the service proxy to a market maker's
/status (relayed to a real market maker process, or 503 as when no pod is Ready). Every
request is recorded with its Authorization header. The real API server is in the E2E
tier (tests/e2e/test_cli_cluster.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

TOKEN = "test-token"


def status_body(code: int, message: str, details: dict[str, Any] | None = None) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": "NotFound" if code == 404 else "ServiceUnavailable", "code": code,
            "details": details or {}}  # fmt: skip
    return web.json_response(body, status=code)


class FakeApiServer:
    def __init__(self) -> None:
        self.strategies: dict[tuple[str, str], dict[str, Any]] = {}
        #: (namespace, strategy) -> the market maker's base URL, None: no Ready pod
        self.engines: dict[tuple[str, str], str | None] = {}
        self.crd_installed = True
        self.requests: list[tuple[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeApiServer:
        app = web.Application(middlewares=[self._record])
        app.router.add_get(
            "/apis/gridops.io/v1alpha1/namespaces/{ns}/gridstrategies/{name}", self._strategy
        )
        app.router.add_get("/api/v1/namespaces/{ns}/services/{service}/proxy/status", self._proxy)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.path, request.headers.get("Authorization", "")))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"kind": "Status", "message": "Unauthorized"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def _strategy(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        if not self.crd_installed:
            return status_body(404, "the server could not find the requested resource")
        found = self.strategies.get((ns, name))
        if found is None:
            details = {"name": name, "group": "gridops.io", "kind": "gridstrategies"}
            return status_body(404, f'gridstrategies.gridops.io "{name}" not found', details)
        return web.json_response(found)

    async def _proxy(self, request: web.Request) -> web.Response:
        ns, service = request.match_info["ns"], request.match_info["service"]
        name, sep, port = service.removesuffix(":8080").rpartition("-mm")
        if not sep or port or not service.endswith(":8080"):
            return status_body(404, f'services "{service}" not found')
        base = self.engines.get((ns, name))
        if base is None:
            return status_body(503, f'no endpoints available for service "{name}-mm"')
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base}/status") as response,
        ):
            return web.Response(
                body=await response.read(), status=response.status, content_type="application/json"
            )


def write_kubeconfig(path: Path, server: str, namespace: str | None = "trading") -> Path:
    context: dict[str, Any] = {"cluster": "fake", "user": "me"}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "me", "user": {"token": TOKEN}}],
        "contexts": [{"name": "fake", "context": context}],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(document))
    return path


def grid_strategy(name: str, namespace: str, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "gridops.io/v1alpha1",
        "kind": "GridStrategy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "symbol": "BTC/USDT",
            "grid": {"priceInterval": "50", "orderQuantity": "0.001"},
            "exchange": {"name": "sim", "account": "demo"},
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Ready"},
                {"type": "RiskHalted", "status": "False", "reason": "NotHalted"},
            ],
            "connector": "gridops-connector-sim-demo",
            **status,
        },
    }
