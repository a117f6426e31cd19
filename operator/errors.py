"""What went wrong, grouped by what the operator should do about it.

The I/O modules raise these; operator/handlers.py maps them to kopf in one place.
"""

from __future__ import annotations


class OperatorError(Exception):
    """Base of the operator's own errors."""


class Temporary(OperatorError):
    """Try again later: the API server, the connector or a pod is not there yet."""

    def __init__(self, message: str, delay: float = 5.0) -> None:
        super().__init__(message)
        self.delay = delay


class Unreachable(Temporary):
    """The connector (or its exchange) does not answer: it may come back, or never."""


class WriterLive(Temporary):
    """A market maker's claim on the strategy is still live at the connector: it ends by
    itself within the strategy's engine.leaseSeconds."""


class Invalid(OperatorError):
    """The object cannot be acted on as it is: retrying changes nothing until it changes."""


class StartupError(OperatorError):
    """The operator cannot start as configured (no kubeconfig, a busy port): exit 2."""
