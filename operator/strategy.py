"""A GridStrategy as the operator's pure code sees it, and the engine config it gets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gridops.spec import StrategySpec

from . import names
from .crd import GROUP, KIND, VERSION

Manifest = dict[str, Any]

#: where a market maker's state volume is mounted; the engine's dataDir under the operator
DATA_MOUNT = "/var/lib/gridops"
CONFIG_MOUNT = "/etc/gridops"
CONTROL_MOUNT = "/var/run/gridops/control"


@dataclass(frozen=True)
class Strategy:
    name: str
    namespace: str
    uid: str
    generation: int
    spec: StrategySpec

    def owner(self, *, controller: bool = True) -> Manifest:
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": controller,
            "blockOwnerDeletion": True,
        }

    @property
    def needs_volume(self) -> bool:
        """A state volume unless the durable engine's database is elsewhere (PostgreSQL).

        The simple engine keeps its risk journal in dataDir: a tripped breaker must
        survive a restart, so it gets a volume too.
        """
        engine = self.spec.engine
        return engine.type == "simple" or not (engine.database_url or engine.database_url_secret)


def engine_config(strategy: Strategy) -> Manifest:
    """The market maker's config file: the spec as is, plus name, connector and dataDir."""
    doc: Manifest = strategy.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    engine = doc["engine"]
    # the URL itself reaches the pod as GRIDOPS_ENGINE__DATABASE_URL from the Secret
    engine.pop("databaseUrlSecret", None)
    engine["dataDir"] = DATA_MOUNT
    address = names.connector_address(strategy.spec.exchange, strategy.namespace)
    return {"name": strategy.name, "connector": address, **doc}


def digest(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def config_hash(strategy: Strategy) -> str:
    """What rolls the market maker: its config without `paused` (pausing keeps the pod)."""
    config = engine_config(strategy)
    config.pop("paused")
    secret = strategy.spec.engine.database_url_secret
    return digest([config, secret.model_dump() if secret else None])


def exchange_document(strategy: Strategy) -> Manifest:
    """The account's connector settings; strategies sharing it must agree on them."""
    dumped: Manifest = strategy.spec.exchange.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return dumped


def exchange_hash(strategy: Strategy) -> str:
    return digest(exchange_document(strategy))
