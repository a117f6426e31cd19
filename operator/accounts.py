"""Strategies that share an exchange account must agree on its settings (pure).

The account's connector runs with the settings of its oldest live strategy; a strategy
whose exchange settings differ gets ConnectorReady=False/ConflictingExchangeSettings and
no market maker, instead of silently trading through settings it did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Peer:
    """What the operator needs to know of one GridStrategy in a namespace."""

    name: str
    created: str  #: creationTimestamp (RFC 3339 UTC, so it sorts as text)
    account: str  #: `<exchange>-<account>`
    settings_hash: str
    deleting: bool = False


def reference(account: str, peers: Iterable[Peer]) -> Peer | None:
    """The strategy whose settings the account's connector runs with."""
    live = [p for p in peers if p.account == account and not p.deleting]
    return min(live, key=lambda p: (p.created, p.name)) if live else None


def conflict(me: Peer, peers: Iterable[Peer]) -> str | None:
    """Why `me` cannot use its account's connector, or None when it can."""
    ref = reference(me.account, [me, *peers])
    if ref is None or ref.name == me.name or ref.settings_hash == me.settings_hash:
        return None
    return (
        f"the connector of exchange account {me.account} runs with the exchange settings of "
        f"GridStrategy {ref.name}, and this spec's differ: make spec.exchange equal to "
        f"{ref.name}'s, or use another exchange.account"
    )


def blocked_by(
    me: Peer, peers: Iterable[Peer], exchange: str, supported: frozenset[str]
) -> tuple[str, str] | None:
    """(reason, message) when the strategy's market maker must not run, else None."""
    if exchange not in supported:
        return (
            "UnsupportedExchange",
            f"spec.exchange.name: {exchange!r} is neither 'sim' nor an exchange id of ccxt "
            "(the list: python -c 'import ccxt; print(ccxt.exchanges)')",
        )
    message = conflict(me, peers)
    if message is not None:
        return "ConflictingExchangeSettings", message
    return None
