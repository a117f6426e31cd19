"""The connector's client, used by the market maker, the live server and the tests."""

from .channel import TLSConfig, check_address
from .client import ConnectorClient
from .simulator import SimulatorClient
from .streams import (
    Disconnected,
    OrderChange,
    Resync,
    ResyncReason,
    StreamItem,
    Subscribed,
    Update,
)

__all__ = [
    "ConnectorClient",
    "Disconnected",
    "OrderChange",
    "Resync",
    "ResyncReason",
    "SimulatorClient",
    "StreamItem",
    "Subscribed",
    "TLSConfig",
    "Update",
    "check_address",
]
