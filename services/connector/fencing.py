"""Single writer per strategy: the connector refuses a stale writer's mutating calls.

A market maker holds a writer lease for its strategy (a Kubernetes Lease, or a row in its
store) whose fencing token only grows. It claims the strategy here with that token
(ClaimWriter) before it trades and again at every renewal, and sends the token with every
PlaceOrder, CancelOrder and CancelAllOrders. The connector keeps, per strategy (client
order id prefix), the highest token it has seen and until when the last claim is live:

- a call or claim with a lower token is refused (`errors.Fenced`): an engine that was
  paused while another took its lease over cannot place or cancel anything on return;
- a call with no token is refused while a claim is live, unless it carries an override
  (the operator's finalizer, `gridops cancel --force`): nothing but the writer trades;
- a call with no token, for a strategy without a live claim, passes (the finalizer after
  the engine stopped, tests and tools that place by hand).

Kept in memory: after a connector restart the table is empty until the writers claim
again (they do so at once, since a new session makes them resync). docs/market-maker.md
("One writer") says what that window allows. Pure: no I/O; the clock is passed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gridops import errors, order_ids

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Writer:
    """The strategy's highest token so far, who claimed it, and until when."""

    token: int
    holder: str
    #: monotonic time the last claim ends; 0: no live claim (released, or only seen in calls)
    live_until: float = 0.0


class Fencing:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._writers: dict[str, Writer] = {}
        #: refusals so far, by (strategy prefix, what was refused): read by the metrics
        self.refused: dict[tuple[str, str], int] = {}

    def writers(self) -> Iterator[tuple[str, Writer]]:
        return iter(self._writers.items())

    def any_live(self) -> bool:
        return any(self.live(w) for w in self._writers.values())

    def live(self, writer: Writer) -> bool:
        return writer.live_until > self._clock()

    def claim(self, prefix: str, token: int, holder: str, lease_seconds: int) -> Writer:
        """Take (or renew, or with 0 lease seconds release) the strategy for `token`."""
        if not prefix or not order_ids.is_valid_prefix(prefix):
            raise errors.InvalidArgument("client_order_id_prefix: a strategy's prefix is required")
        if token <= 0:
            raise errors.InvalidArgument("fencing_token: must be greater than 0")
        prefix = order_ids.normalize_prefix(prefix)
        writer = self._writers.get(prefix)
        if writer is not None and token < writer.token:
            self._refuse(prefix, "ClaimWriter")
            raise errors.Fenced(
                f"strategy {prefix!r} is held by "
                f"{writer.holder or 'another writer'} with fencing token {writer.token}; "
                f"{holder or 'this claim'}'s token {token} is older"
            )
        live_until = self._clock() + lease_seconds if lease_seconds > 0 else 0.0
        if writer is None or token > writer.token:
            if writer is not None:
                log.warning(
                    "strategy %s: writer %s takes over with fencing token %d (was %s, token %d)",
                    prefix, holder or "?", token, writer.holder or "?", writer.token,
                )  # fmt: skip
            else:
                log.info("strategy %s: writer %s claims with fencing token %d",
                         prefix, holder or "?", token)  # fmt: skip
            writer = self._writers[prefix] = Writer(token, holder, live_until)
            return writer
        if lease_seconds <= 0 and writer.live_until:
            log.info("strategy %s: writer %s released its claim", prefix, holder or "?")
        writer.holder = holder or writer.holder
        writer.live_until = live_until
        return writer

    def check_all(self, override: str, what: str) -> None:
        """A call on every strategy at once (CancelAllOrders without a prefix): refused
        while any writer's claim is live, unless overridden. A token does not help: it
        is one strategy's, and says nothing about the others."""
        for name, held in self._writers.items():
            if self.live(held):
                self._token_less(name, held, override, what)

    def check(self, prefix: str, token: int, override: str, what: str) -> None:
        """Raise errors.Fenced unless `what` (an RPC name), for strategy `prefix`, may pass.

        The hot path (PlaceOrder) is one dict lookup and a comparison.
        """
        writer = self._writers.get(prefix)
        if token:
            if writer is None:
                self._writers[prefix] = Writer(token, "")
            elif token < writer.token:
                self._refuse(prefix, what)
                raise errors.Fenced(
                    f"strategy {prefix!r} is held by "
                    f"{writer.holder or 'another writer'} with fencing token {writer.token}; "
                    f"{what} with the older token {token} is refused"
                )
            elif token > writer.token:
                # A newer writer that has not claimed yet: the strategy stays held (its
                # claim's time left is kept) until that writer claims or it runs out.
                writer.token, writer.holder = token, ""
            return
        if writer is not None and self.live(writer):
            self._token_less(prefix, writer, override, what)

    def _token_less(self, prefix: str, writer: Writer, override: str, what: str) -> None:
        if override:
            log.warning(
                "strategy %s: %s without a fencing token passes the live writer %s "
                "(token %d) by override: %s",
                prefix, what, writer.holder or "?", writer.token, override,
            )  # fmt: skip
            return
        self._refuse(prefix, what)
        left = max(0.0, writer.live_until - self._clock())
        raise errors.Fenced(
            f"strategy {prefix!r} has a live writer "
            f"({writer.holder or 'a market maker'}, fencing token {writer.token}, claim "
            f"live for {left:.0f}s more): {what} without its token is refused; stop the "
            f"market maker first{', or cancel with an override' if 'Cancel' in what else ''}"
        )

    def _refuse(self, prefix: str, what: str) -> None:
        key = (prefix, what)
        self.refused[key] = self.refused.get(key, 0) + 1
