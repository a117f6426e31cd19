"""`gridops probe`: one health check for container runtimes that have no probe of their own.

Kubernetes probes gRPC health and HTTP natively; Docker and Compose only run a command in
the container, and the image has neither curl nor grpc_health_probe. Exit status is what
a HEALTHCHECK reads: 0 healthy, 1 not (the reason on stderr), 2 a bad argument.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

DEFAULT_TIMEOUT = 3.0


def _grpc(target: str, service: str, timeout: float) -> str | None:
    """None when `service` at `target` reports SERVING, else why not."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as error:
            # the raised error is also a grpc.Call, which the stubs' types do not say
            code = getattr(error, "code", None)
            return f"{target}: {code().name if callable(code) else error}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        return f"{target}: {status}"
    return None


def _http(url: str, timeout: float) -> str | None:
    """None when `url` answers 2xx, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"{url}: HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return f"{url}: {reason}"
    return None if 200 <= status < 300 else f"{url}: HTTP {status}"


def run(ns: argparse.Namespace) -> None:
    if ns.kind == "grpc":
        problem = _grpc(ns.target, ns.service, ns.timeout)
    else:
        if not ns.target.startswith(("http://", "https://")):
            print(f"gridops probe: {ns.target!r} is not an http:// URL", file=sys.stderr)
            raise SystemExit(2)
        problem = _http(ns.target, ns.timeout)
    if problem is not None:
        print(f"gridops probe: unhealthy: {problem}", file=sys.stderr)
        raise SystemExit(1)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe = sub.add_parser(
        "probe",
        help="exit 0 if a component is healthy (for Docker/Compose health checks)",
        description="gRPC health of a connector (grpc HOST:PORT) or an HTTP endpoint such "
        "as /readyz (http URL): exit 0 healthy, 1 not, 2 a bad argument.",
    )
    probe.add_argument("kind", choices=["grpc", "http"], help="grpc or http")
    probe.add_argument("target", help="grpc: HOST:PORT; http: the URL")
    probe.add_argument(
        "--service", default="", help="grpc: the health service name (default: the server)"
    )
    probe.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds (default 3)")
    probe.set_defaults(run=run)
