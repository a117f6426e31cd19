"""Errors grouped by what the caller should do about them.

The connector maps each class to one gRPC status code (gridops.connector.status) and the
client maps codes back to these classes (gridops.client), so both ends of the wire
speak the same vocabulary.
"""

from __future__ import annotations


class GridopsError(Exception):
    """Base class of every error gridops raises on purpose."""


class InvalidArgument(GridopsError):
    """The request is malformed or breaks a rule: fix it, don't retry it."""


class NotFound(GridopsError):
    """The order, symbol or object does not exist."""


class FailedPrecondition(GridopsError):
    """Valid request, wrong state: insufficient balance, post-only would take, ..."""


class Fenced(GridopsError):
    """Another writer holds this strategy (a higher fencing token): stop trading, do not
    retry. On the wire: FAILED_PRECONDITION with a message that starts "fenced:"."""

    PREFIX = "fenced:"

    def __init__(self, message: str) -> None:
        # The prefix is how a client tells this FAILED_PRECONDITION from the others.
        if not message.startswith(self.PREFIX):
            message = f"{self.PREFIX} {message}"
        super().__init__(message)


class Unavailable(GridopsError):
    """Temporary: the exchange or the connector is down. Retry with backoff."""


class DeadlineExceeded(Unavailable):
    """Temporary: no answer within the deadline."""


class RateLimited(GridopsError):
    """Temporary: too many requests. Back off before retrying."""


class Unauthenticated(GridopsError):
    """Missing or wrong credentials."""


class ResourceExhausted(GridopsError):
    """A subscriber fell too far behind and was ended: resubscribe and resync."""


class Internal(GridopsError):
    """A bug or an unexpected failure on the far side."""
