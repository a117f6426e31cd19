"""Everything one GridStrategy should have in the cluster (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from . import access, connector, live_server, market_maker
from .pods import Manifest
from .settings import OperatorSettings
from .strategy import Strategy


@dataclass(frozen=True)
class Desired:
    """The children to apply; the shared ones (connector, access) under the strategy's
    own field manager, the access first (the market maker's pod names its account)."""

    own: list[Manifest]
    connector: list[Manifest]
    #: kinds/names that must NOT exist (e.g. a live server that was disabled)
    absent: list[tuple[str, str]]
    #: the market maker's ServiceAccount, Role and RoleBinding, shared in the namespace
    access: list[Manifest]


def desired(strategy: Strategy, settings: OperatorSettings, *, use_claim: bool) -> Desired:
    own = [market_maker.config_map(strategy)]
    if use_claim:
        own.append(market_maker.data_claim(strategy, settings))
    own += [
        market_maker.service(strategy),
        market_maker.deployment(strategy, settings, use_claim=use_claim),
    ]
    absent: list[tuple[str, str]] = []
    live = [live_server.deployment(strategy, settings), live_server.service(strategy)]
    if strategy.spec.live_server.enabled:
        own += live
    else:
        absent += [(m["kind"], m["metadata"]["name"]) for m in live]
    shared = [connector.deployment(strategy, settings), connector.service(strategy)]
    sim = connector.config_map(strategy)
    if sim is not None:
        shared.insert(0, sim)
    return Desired(own=own, connector=shared, absent=absent, access=access.manifests(strategy))
