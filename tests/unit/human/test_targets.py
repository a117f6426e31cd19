"""TARGET: a market maker's URL, HOST:PORT, or a GridStrategy name."""

from __future__ import annotations

import pytest

from gridops.human.errors import CliError
from gridops.human.targets import DEFAULT_URL, StrategyTarget, UrlTarget, parse_target


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (None, DEFAULT_URL),
        ("", DEFAULT_URL),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/status", "http://127.0.0.1:8080"),
        ("https://mm.example.com/btc/", "https://mm.example.com/btc"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
        ("[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_urls_and_host_port_are_market_makers(text: str | None, url: str) -> None:
    target = parse_target(text)
    assert target == UrlTarget(url)
    assert isinstance(target, UrlTarget)
    assert target.status_url == f"{url}/status"


@pytest.mark.parametrize("name", ["btc-grid", "a", "grid2", "x" * 63])
def test_a_dns_label_is_a_grid_strategy(name: str) -> None:
    assert parse_target(name) == StrategyTarget(name)


@pytest.mark.parametrize("text", ["BTC-grid", "btc_grid", "-btc", "x" * 64, "a/b", "ftp://host:1"])
def test_anything_else_is_refused_saying_what_a_target_is(text: str) -> None:
    with pytest.raises(CliError) as info:
        parse_target(text)
    message = str(info.value)
    assert text in message or repr(text) in message
    assert "http://" in message
