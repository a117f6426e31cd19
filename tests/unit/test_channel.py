"""gridops.client.channel.check_address: HOST:PORT or [V6]:PORT, errors naming the input."""

from __future__ import annotations

import pytest

from gridops.client.channel import CHANNEL_OPTIONS, check_address
from gridops.errors import InvalidArgument


@pytest.mark.parametrize(
    "address",
    [
        "localhost:50051",
        "127.0.0.1:1",
        "[::1]:50051",
        "conn.ns.svc.cluster.local:50051",
        "localhost:65535",
        "[2001:db8::1]:443",
        "connector-0.connector:50051",
    ],
)
def test_accepts(address: str) -> None:
    assert check_address(address) == address


def test_accepts_and_strips_surrounding_space() -> None:
    assert check_address("  localhost:50051\n") == "localhost:50051"


@pytest.mark.parametrize("address", ["", "   ", "\t"])
def test_rejects_empty(address: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_address(address)
    message = str(info.value)
    assert "connector address" in message
    assert "empty" in message


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("localhost", "HOST:PORT"),
        (":50051", "HOST:PORT"),
        ("localhost:0", "port"),
        ("localhost:65536", "port"),
        ("localhost:abc", "port"),
        ("localhost:", "port"),
        ("localhost:-1", "port"),
        ("bad host:1", "host"),
        ("[zz]:1", "IPv6"),
        ("-bad:1", "host"),
        ("under_score:1", "host"),
    ],
)
def test_rejects_naming_the_address(address: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_address(address)
    message = str(info.value)
    assert repr(address) in message
    assert reason in message


def test_keepalive_and_reconnect_options_are_set() -> None:
    options = dict(CHANNEL_OPTIONS)
    assert options["grpc.max_reconnect_backoff_ms"] <= 2_000
    assert options["grpc.keepalive_time_ms"] > 0
    assert options["grpc.keepalive_permit_without_calls"] == 1


def test_streams_retry_at_least_once_a_second_once_the_connector_is_gone() -> None:
    from gridops.client.client import stream_backoff

    backoff = stream_backoff()
    delays = [backoff.next_delay() for _ in range(10)]
    assert delays[0] <= 0.1
    assert max(delays) <= 1.0
    assert sum(delays[:6]) <= 4.0  # six tries within the first 4 s of an outage
