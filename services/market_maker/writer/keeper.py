"""One writer per strategy: take the lease, claim the strategy at the connector, hold both.

`Writer.acquire()` waits (standby) until the lease is free, takes it with a new fencing
token, and claims the strategy at the connector with it; the connector then refuses any
older token. `Writer.hold()` renews both every third of the lease, and raises
`errors.Fenced` the moment the lease is found in another holder's hands, the connector
refuses the claim, or the lease could not be renewed before it ran out: the engine stops
trading then, without fighting back, and waits again as a standby.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gridops import errors
from gridops.market_maker.domain import lease as rules
from gridops.market_maker.domain.lease import LeaseRecord, Verdict

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_holder() -> str:
    """This process: the pod name in Kubernetes (set by the operator), else host:pid."""
    return os.environ.get("GRIDOPS_LEASE_HOLDER") or f"{socket.gethostname()}:{os.getpid()}"


class LeaseStore(Protocol):
    kind: str
    where: str

    async def read(self) -> tuple[LeaseRecord | None, Any]: ...

    async def write(self, record: LeaseRecord, version: Any) -> bool: ...

    async def try_lock(self) -> bool: ...

    async def unlock(self) -> None: ...

    async def close(self) -> None: ...


class Claims(Protocol):
    """The connector call a writer makes (ExchangePort has it)."""

    fencing_token: int

    async def claim_writer(
        self, prefix: str, token: int, holder: str, lease_seconds: int
    ) -> int: ...


class Writer:
    def __init__(
        self,
        store: LeaseStore,
        connector: Claims,
        prefix: str,
        seconds: int,
        *,
        holder: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.connector = connector
        self.prefix = prefix
        self.seconds = seconds
        self.holder = holder or default_holder()
        self.clock = clock
        #: the token of the lease we hold; None while standing by
        self.token: int | None = None
        #: who holds the lease while we wait, for /status
        self.other: str = ""
        #: when our lease runs out unless renewed
        self.expires_at: datetime | None = None
        self._version: Any = None

    @property
    def interval(self) -> float:
        return self.seconds / 3

    async def acquire(self) -> int:
        """Wait until this process holds the lease; claim the strategy; return the token."""
        announced = ""
        while True:
            locked = await self.store.try_lock()
            record, version = await self.store.read()
            now = self.clock()
            dead = record is not None and record.locked and locked and record.holder != self.holder
            verdict = rules.decide(record, self.holder, None, now, holder_dead=dead)
            if verdict is Verdict.TAKE:
                mine = rules.taken(record, self.holder, self.seconds, now, locked)
                if await self.store.write(mine, version):
                    if dead and record is not None:
                        log.info("lease: %s's process is gone (its lock is free): taking over",
                                 record.holder)  # fmt: skip
                    await self._took(mine)
                    return mine.token
                continue  # another engine won the race: read again
            if locked:
                await self.store.unlock()  # the holder's own, should it want it
            assert record is not None
            self.other = f"{record.holder} (token {record.token})"
            if announced != record.holder:
                announced = record.holder
                log.warning(
                    "standby: %s holds the writer lease of %s (%s) until %s; waiting",
                    record.holder, self.prefix, self.store.where, record.expires_at().isoformat(),
                )  # fmt: skip
            wait = (record.expires_at() - now).total_seconds()
            await asyncio.sleep(min(max(wait, 0.05), self.interval))

    async def _took(self, record: LeaseRecord) -> None:
        self.token = record.token
        self.other = ""
        self.expires_at = record.expires_at()
        self.connector.fencing_token = record.token
        log.info(
            "writer lease of %s taken (%s): fencing token %d, holder %s",
            self.prefix, self.store.where, record.token, self.holder,
        )  # fmt: skip
        await self.claim()

    async def claim(self) -> None:
        """Tell the connector (again) who writes: raises errors.Fenced if a newer one does.

        A connector that cannot be reached is left to the next renewal: the engine's own
        streams see the outage and it places nothing meanwhile.
        """
        if self.token is None:
            return
        try:
            await self.connector.claim_writer(self.prefix, self.token, self.holder, self.seconds)
        except errors.Fenced:
            self._lost()
            raise
        except errors.GridopsError as error:
            if isinstance(error, errors.InvalidArgument | errors.Unauthenticated):
                raise
            log.warning("claiming %s at the connector failed: %s", self.prefix, error)

    async def ensure_valid(self) -> None:
        """Before acting: a lease not renewed for longer than it should have been (this
        process was frozen, or the event loop stalled) is renewed first, or found lost.

        One clock read when all is well: it runs before every event the engine handles.
        """
        expires = self.expires_at
        if expires is not None and self.clock() >= expires - timedelta(seconds=self.seconds / 2):
            await self.renew()

    async def hold(self) -> None:
        """Renew the lease and the claim until one is lost: then raise errors.Fenced."""
        while True:
            await asyncio.sleep(self.interval)
            await self.renew()
            await self.claim()

    async def renew(self) -> None:
        assert self.token is not None
        try:
            for _ in range(3):
                locked = await self.store.try_lock()
                record, version = await self.store.read()
                now = self.clock()
                verdict = rules.decide(record, self.holder, self.token, now)
                if verdict is Verdict.LOST:
                    who = f"{record.holder} (token {record.token})" if record else "nobody"
                    self._lost()
                    raise errors.Fenced(
                        f"strategy {self.prefix!r}: the writer lease is now held by {who}"
                    )
                assert record is not None
                mine = rules.renewed(record, now, locked)
                if await self.store.write(mine, version):
                    self.expires_at = mine.expires_at()
                    return
        except errors.Fenced:
            raise
        except Exception as error:  # the lease store is down: keep trying until expiry
            log.warning("renewing the writer lease (%s) failed: %s", self.store.where, error)
        if self.expires_at is not None and self.clock() >= self.expires_at - timedelta(
            seconds=self.interval / 2
        ):
            self._lost()
            raise errors.Fenced(
                f"strategy {self.prefix!r}: the writer lease could not be renewed before it "
                "ran out; another engine may take it"
            )

    def _lost(self) -> None:
        self.token = None
        self.expires_at = None
        self.connector.fencing_token = 0

    async def release(self) -> None:
        """A clean stop: free the lease and the claim so a successor starts at once."""
        token = self.token
        if token is None:
            await self.store.unlock()
            return
        self._lost()
        try:
            record, version = await self.store.read()
            if record is not None and record.holder == self.holder and record.token == token:
                await self.store.write(rules.released(record, self.clock()), version)
            await self.store.unlock()
            await self.connector.claim_writer(self.prefix, token, self.holder, 0)
            log.info("writer lease of %s released", self.prefix)
        except Exception as error:  # leaving: the lease runs out by itself
            log.warning("releasing the writer lease of %s: %s", self.prefix, error)

    async def close(self) -> None:
        await self.store.close()
