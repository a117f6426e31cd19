"""The one mapping between gridops errors and gRPC status codes (server and client)."""

from __future__ import annotations

import grpc

from gridops import errors

TO_CODE: dict[type[errors.GridopsError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Fenced: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Internal: grpc.StatusCode.INTERNAL,
}

FROM_CODE: dict[grpc.StatusCode, type[errors.GridopsError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: errors.InvalidArgument,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: errors.FailedPrecondition,
    grpc.StatusCode.ALREADY_EXISTS: errors.FailedPrecondition,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.DeadlineExceeded,
    grpc.StatusCode.UNAVAILABLE: errors.Unavailable,
    grpc.StatusCode.CANCELLED: errors.Unavailable,
    grpc.StatusCode.ABORTED: errors.Unavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.ResourceExhausted,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: errors.Unauthenticated,
}


def code_for(error: errors.GridopsError) -> grpc.StatusCode:
    """The status code for an error, by its nearest class in TO_CODE."""
    for cls in type(error).__mro__:
        code = TO_CODE.get(cls)
        if code is not None:
            return code
    return grpc.StatusCode.INTERNAL


def error_for(code: grpc.StatusCode, details: str) -> errors.GridopsError:
    """The gridops error a client raises for a status code it received."""
    if code is grpc.StatusCode.FAILED_PRECONDITION and details.startswith(errors.Fenced.PREFIX):
        return errors.Fenced(details)
    cls = FROM_CODE.get(code, errors.Internal)
    return cls(details or code.name)
