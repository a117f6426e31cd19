"""ccxt's exceptions, the real classes, mapped once to gridops errors."""

from __future__ import annotations

import ccxt
import pytest

from gridops import errors
from gridops.connector.ccxt.errors import map_error

CASES: list[tuple[type[Exception], type[errors.GridopsError]]] = [
    (ccxt.InvalidOrder, errors.InvalidArgument),
    (ccxt.BadRequest, errors.InvalidArgument),
    (ccxt.BadSymbol, errors.InvalidArgument),
    (ccxt.OrderNotFound, errors.NotFound),
    (ccxt.InsufficientFunds, errors.FailedPrecondition),
    (ccxt.OrderImmediatelyFillable, errors.FailedPrecondition),
    (ccxt.AuthenticationError, errors.Unauthenticated),
    (ccxt.PermissionDenied, errors.Unauthenticated),
    (ccxt.AccountSuspended, errors.Unauthenticated),
    (ccxt.RateLimitExceeded, errors.RateLimited),
    (ccxt.DDoSProtection, errors.RateLimited),
    (ccxt.NetworkError, errors.Unavailable),
    (ccxt.ExchangeNotAvailable, errors.Unavailable),
    (ccxt.OnMaintenance, errors.Unavailable),
    (ccxt.RequestTimeout, errors.Unavailable),
    (ccxt.InvalidNonce, errors.Unavailable),
    (ccxt.ExchangeError, errors.Internal),
]


@pytest.mark.parametrize(("ccxt_class", "gridops_class"), CASES)
def test_each_class_maps_to_its_own(
    ccxt_class: type[Exception], gridops_class: type[errors.GridopsError]
) -> None:
    mapped = map_error(ccxt_class('binance {"code":-1,"msg":"why"}'), "binance")
    assert type(mapped) is gridops_class
    assert "why" in str(mapped)


def test_messages_are_redacted_and_name_the_venue() -> None:
    secret = "abc-secret"
    mapped = map_error(
        ccxt.AuthenticationError(f"Invalid API-key abc-key {secret}"),
        "binance",
        lambda text: text.replace(secret, "***").replace("abc-key", "***"),
    )
    assert secret not in str(mapped)
    assert "abc-key" not in str(mapped)
    assert str(mapped).startswith("binance: ")


def test_gridops_errors_pass_through_and_os_errors_are_unavailable() -> None:
    own = errors.NotFound("x")
    assert map_error(own, "binance") is own
    assert isinstance(map_error(ConnectionResetError("reset"), "binance"), errors.Unavailable)
    assert isinstance(map_error(RuntimeError("bug"), "binance"), errors.Internal)
