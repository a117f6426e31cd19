"""The writer lease of a strategy, decided without I/O: take it, renew it, wait, or lost.

A lease record says who holds a strategy, with which fencing token, renewed when, for how
long. It lives in a Kubernetes Lease or in a row of the engine's store; both keep it with
compare-and-swap, so two engines never both succeed in writing their claim. The token
only grows: a new holder takes `max(previous + 1, now in milliseconds)`, so it also grows
across a record that was deleted and made again (a strategy deleted and re-created), as
long as clocks do not run back by more than the time between the two.

Expiry compares the record's renewal time with this machine's clock: holders and takers
must agree on time within a small part of the lease (one node, or NTP).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    holder: str  #: "" once released
    token: int
    renewed_at: datetime
    seconds: int
    #: the holder also holds the store's file lock: a taker that gets that lock knows the
    #: holder's process is gone and need not wait for expiry (SQLite only)
    locked: bool = False

    def expires_at(self) -> datetime:
        return self.renewed_at + timedelta(seconds=self.seconds)


class Verdict(enum.Enum):
    TAKE = "take"  #: free, released, expired, or its holder is known dead: take it
    RENEW = "renew"  #: ours, with our token: renew it
    WAIT = "wait"  #: another holder's, live: stand by
    LOST = "lost"  #: we held it, and now another holder (or a newer token) has it


def decide(
    record: LeaseRecord | None,
    me: str,
    held_token: int | None,
    now: datetime,
    *,
    holder_dead: bool = False,
) -> Verdict:
    """What an engine identified as `me`, holding `held_token` (None: not yet), should do."""
    if held_token is not None:
        if record is not None and record.holder == me and record.token == held_token:
            return Verdict.RENEW
        return Verdict.LOST
    if record is None or not record.holder or holder_dead or record.expires_at() <= now:
        return Verdict.TAKE
    if record.holder == me:
        # Our own identity from an earlier process (a container restarted in its pod):
        # that process is gone, since identities are per pod and a pod runs one engine.
        return Verdict.TAKE
    return Verdict.WAIT


def next_token(record: LeaseRecord | None, now: datetime) -> int:
    millis = int(now.timestamp() * 1000)
    return max((record.token + 1) if record is not None else 1, millis)


def taken(
    record: LeaseRecord | None, me: str, seconds: int, now: datetime, locked: bool
) -> LeaseRecord:
    return LeaseRecord(me, next_token(record, now), now, seconds, locked)


def renewed(record: LeaseRecord, now: datetime, locked: bool) -> LeaseRecord:
    return replace(record, renewed_at=now, locked=locked)


def released(record: LeaseRecord, now: datetime) -> LeaseRecord:
    """Free at once for the next taker; the token stays, so the next one is higher."""
    return replace(record, holder="", renewed_at=now, locked=False)
