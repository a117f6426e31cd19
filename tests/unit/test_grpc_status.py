"""gridops.grpc_status: errors to status codes and back."""

from __future__ import annotations

import inspect

import grpc
import pytest

from gridops import errors
from gridops.grpc_status import FROM_CODE, TO_CODE, code_for, error_for

# class -> (its status code, the class a client gets back for that code)
EXPECTED: dict[type[errors.GridopsError], tuple[grpc.StatusCode, type[errors.GridopsError]]] = {
    errors.InvalidArgument: (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgument),
    errors.NotFound: (grpc.StatusCode.NOT_FOUND, errors.NotFound),
    errors.FailedPrecondition: (grpc.StatusCode.FAILED_PRECONDITION, errors.FailedPrecondition),
    errors.Unavailable: (grpc.StatusCode.UNAVAILABLE, errors.Unavailable),
    errors.DeadlineExceeded: (grpc.StatusCode.DEADLINE_EXCEEDED, errors.DeadlineExceeded),
    # Both share RESOURCE_EXHAUSTED; the client cannot tell them apart.
    errors.RateLimited: (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhausted),
    errors.ResourceExhausted: (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhausted),
    errors.Unauthenticated: (grpc.StatusCode.UNAUTHENTICATED, errors.Unauthenticated),
    errors.Internal: (grpc.StatusCode.INTERNAL, errors.Internal),
    # A FAILED_PRECONDITION told apart by its message ("fenced: ...").
    errors.Fenced: (grpc.StatusCode.FAILED_PRECONDITION, errors.Fenced),
    # The bare base class is "something unexpected".
    errors.GridopsError: (grpc.StatusCode.INTERNAL, errors.Internal),
}


def test_every_error_class_is_covered_here() -> None:
    defined = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.GridopsError) and cls.__module__ == errors.__name__
    }
    assert defined == set(EXPECTED), "a new error class needs a status code and a test"


@pytest.mark.parametrize(("cls", "code"), [(cls, code) for cls, (code, _) in EXPECTED.items()])
def test_code_for(cls: type[errors.GridopsError], code: grpc.StatusCode) -> None:
    assert code_for(cls("boom")) is code


@pytest.mark.parametrize(("cls", "back"), [(cls, back) for cls, (_, back) in EXPECTED.items()])
def test_round_trip(cls: type[errors.GridopsError], back: type[errors.GridopsError]) -> None:
    sent = cls("details here")
    error = error_for(code_for(sent), str(sent))
    assert type(error) is back
    assert str(error) == str(sent)


def test_a_fenced_refusal_is_told_from_other_failed_preconditions() -> None:
    assert str(errors.Fenced("strategy 'btc' is held")) == "fenced: strategy 'btc' is held"
    assert str(errors.Fenced("fenced: as sent")) == "fenced: as sent"
    code = grpc.StatusCode.FAILED_PRECONDITION
    assert type(error_for(code, "insufficient balance: fenced: no")) is errors.FailedPrecondition


@pytest.mark.parametrize("cls", list(TO_CODE))
def test_every_sent_code_decodes_to_a_class_sending_that_code(
    cls: type[errors.GridopsError],
) -> None:
    code = TO_CODE[cls]
    assert code_for(error_for(code, "x")) is code


def test_subclasses_use_their_nearest_mapped_parent() -> None:
    class OrderMissing(errors.NotFound):
        pass

    class SlowExchange(errors.DeadlineExceeded):
        pass

    class Maintenance(errors.Unavailable):
        pass

    class Tripped(errors.RateLimited):
        pass

    class Unmapped(errors.GridopsError):
        pass

    assert code_for(OrderMissing("x")) is grpc.StatusCode.NOT_FOUND
    # DeadlineExceeded is an Unavailable, but its own mapping is nearer.
    assert code_for(SlowExchange("x")) is grpc.StatusCode.DEADLINE_EXCEEDED
    assert code_for(Maintenance("x")) is grpc.StatusCode.UNAVAILABLE
    assert code_for(Tripped("x")) is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert code_for(Unmapped("x")) is grpc.StatusCode.INTERNAL


def test_every_received_code_is_one_gridops_can_send() -> None:
    # Except the aliases below, a decoded class re-encodes to the code it came from.
    aliases = {
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.PERMISSION_DENIED,
    }
    for code, cls in FROM_CODE.items():
        if code not in aliases:
            assert code_for(cls("x")) is code


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.OUT_OF_RANGE, errors.InvalidArgument),
        (grpc.StatusCode.ALREADY_EXISTS, errors.FailedPrecondition),
        (grpc.StatusCode.CANCELLED, errors.Unavailable),
        (grpc.StatusCode.ABORTED, errors.Unavailable),
        (grpc.StatusCode.PERMISSION_DENIED, errors.Unauthenticated),
    ],
)
def test_nearest_class_for_codes_gridops_never_sends(
    code: grpc.StatusCode, cls: type[errors.GridopsError]
) -> None:
    assert type(error_for(code, "x")) is cls


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
    ],
)
def test_unknown_codes_are_internal(code: grpc.StatusCode) -> None:
    assert type(error_for(code, "x")) is errors.Internal


def test_retryable_codes_decode_to_unavailable_family() -> None:
    for code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        assert isinstance(error_for(code, "x"), errors.Unavailable)


def test_empty_details_fall_back_to_the_code_name() -> None:
    error = error_for(grpc.StatusCode.NOT_FOUND, "")
    assert isinstance(error, errors.NotFound)
    assert str(error) == "NOT_FOUND"
