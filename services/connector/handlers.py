"""gRPC method handlers built from the service descriptors, with the error mapping.

Handlers are built from the .proto descriptors rather than the generated
`add_*Servicer_to_server`, for two reasons: server-stream responses are raw bytes
(serialized once by the fan-out, so no response serializer), and every method of the
service must exist on the implementation (a missing one fails at start, not at call).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor

from gridops.errors import GridopsError
from gridops.grpc_status import code_for

from .metrics import ConnectorMetrics

log = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]
Unary = Callable[[Any, Context], Awaitable[Any]]
Stream = Callable[[Any, Context], AsyncIterator[bytes]]


async def _abort(name: str, error: Exception, context: Context) -> grpc.StatusCode:
    """End the call with the status the error maps to (the one place errors meet codes)."""
    if isinstance(error, grpc.aio.AbortError):
        raise error
    if isinstance(error, GridopsError):
        code = code_for(error)
        await context.abort(code, str(error))
    log.exception("%s failed", name, exc_info=error)
    await context.abort(
        grpc.StatusCode.INTERNAL, f"internal error in {name}: {type(error).__name__}"
    )
    raise AssertionError("unreachable: abort raises")  # pragma: no cover


def _code_of(error: Exception) -> grpc.StatusCode:
    return code_for(error) if isinstance(error, GridopsError) else grpc.StatusCode.INTERNAL


def _unary(name: str, fn: Unary, metrics: ConnectorMetrics | None) -> Unary:
    histogram = metrics.rpc_duration.labels(name) if metrics else None

    async def handle(request: Any, context: Context) -> Any:
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            return await fn(request, context)
        except Exception as error:
            code = _code_of(error)
            await _abort(name, error, context)
        finally:
            if metrics is not None and histogram is not None:
                histogram.observe(time.perf_counter() - started)
                metrics.rpcs.labels(name, code.name).inc()

    return handle


def _stream(name: str, fn: Stream, metrics: ConnectorMetrics | None) -> Stream:
    async def handle(request: Any, context: Context) -> AsyncIterator[bytes]:
        code = grpc.StatusCode.OK
        try:
            async for message in fn(request, context):
                yield message
        except Exception as error:
            code = _code_of(error)
            await _abort(name, error, context)
        finally:
            # CancelledError (client gone) passes through untouched: swallowing it in a
            # grpc.aio stream handler leaks the call (grpc issue #43360).
            if metrics is not None:
                metrics.rpcs.labels(name, code.name).inc()

    return handle


def generic_handler(
    service: ServiceDescriptor, impl: object, metrics: ConnectorMetrics | None = None
) -> grpc.GenericRpcHandler:
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        fn = getattr(impl, method.name, None)
        if fn is None:
            raise TypeError(f"{type(impl).__name__} does not implement {method.full_name}")
        request_type = message_factory.GetMessageClass(method.input_type)
        if method.client_streaming:
            raise TypeError(f"{method.full_name}: client streaming is not supported")
        if method.server_streaming:
            handlers[method.name] = grpc.unary_stream_rpc_method_handler(
                _stream(method.name, fn, metrics),
                request_deserializer=request_type.FromString,
                response_serializer=None,  # handlers yield wire bytes
            )
        else:
            response_type = message_factory.GetMessageClass(method.output_type)
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                _unary(method.name, fn, metrics),
                request_deserializer=request_type.FromString,
                response_serializer=response_type.SerializeToString,
            )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)
