"""ccxt's exceptions as gridops errors: the one place that decides what a caller does.

Order matters: ccxt's classes nest (OrderNotFound is an InvalidOrder, PermissionDenied
an AuthenticationError, RateLimitExceeded a NetworkError), so the narrow ones come
first. Pure: the exception's text is redacted by the caller-supplied function.
"""

from __future__ import annotations

from collections.abc import Callable

import ccxt

from gridops.errors import (
    FailedPrecondition,
    GridopsError,
    Internal,
    InvalidArgument,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

#: (ccxt class, gridops class), narrowest first
_TABLE: tuple[tuple[type[Exception], type[GridopsError]], ...] = (
    (ccxt.OrderNotFound, NotFound),
    (ccxt.OrderImmediatelyFillable, FailedPrecondition),  # post-only would take
    (ccxt.InsufficientFunds, FailedPrecondition),
    (ccxt.BadSymbol, InvalidArgument),
    (ccxt.InvalidOrder, InvalidArgument),
    (ccxt.BadRequest, InvalidArgument),
    (ccxt.ArgumentsRequired, InvalidArgument),
    (ccxt.AuthenticationError, Unauthenticated),  # PermissionDenied, AccountSuspended too
    (ccxt.RateLimitExceeded, RateLimited),
    (ccxt.DDoSProtection, RateLimited),
    (ccxt.InvalidNonce, Unavailable),  # a clock step: the next request is signed afresh
    (ccxt.NetworkError, Unavailable),  # ExchangeNotAvailable, RequestTimeout, OnMaintenance
    (ccxt.OperationRejected, FailedPrecondition),
    (ccxt.NotSupported, InvalidArgument),
    (ccxt.BadResponse, Unavailable),
)


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def map_error(
    error: Exception, venue: str, redact: Callable[[str], str] = lambda text: text
) -> GridopsError:
    """The gridops error for a ccxt exception (Internal for anything unexpected)."""
    if isinstance(error, GridopsError):
        return error
    message = redact(_describe(error))
    if not message.startswith(venue):
        message = f"{venue}: {message}"
    for ccxt_class, gridops_class in _TABLE:
        if isinstance(error, ccxt_class):
            return gridops_class(message)
    if isinstance(error, ccxt.ExchangeError):
        return Internal(f"the venue refused the request: {message}")
    if isinstance(error, TimeoutError | ConnectionError | OSError):
        return Unavailable(f"{venue}: cannot reach the venue: {message}")
    return Internal(f"unexpected failure talking to the venue: {message}")


def is_auth_error(error: Exception) -> bool:
    return isinstance(error, ccxt.AuthenticationError)
