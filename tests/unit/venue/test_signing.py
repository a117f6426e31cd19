"""Signed-request checks: Binance's payloads, codes and windows."""

from __future__ import annotations

import pytest

from gridops.venue import signing
from gridops.venue.errors import BinanceError

SECRET = "s3cret"


def _code(call: object) -> int:
    with pytest.raises(BinanceError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code


def test_rest_signature_covers_query_then_body() -> None:
    query = "symbol=BTCUSDT&timestamp=1000"
    body = "side=BUY&quantity=1"
    signature = signing.hmac_hex(SECRET, query + body)
    signing.check_rest_signature(query, f"{body}&signature={signature}", SECRET)
    signing.check_rest_signature(f"{query}&signature={signature}", body, SECRET)
    assert _code(lambda: signing.check_rest_signature(query, body, SECRET)) == -1102
    tampered = f"symbol=ETHUSDT&timestamp=1000&signature={signature}"
    assert _code(lambda: signing.check_rest_signature(tampered, body, SECRET)) == -1022
    assert (
        _code(lambda: signing.check_rest_signature(query + f"&signature={signature}", body, "x"))
        == -1022
    )


def test_rest_params_merge_query_and_body() -> None:
    params = signing.rest_params("a=1&b=2", "b=3&c=4")
    assert params == {"a": "1", "b": "3", "c": "4"}


def test_ws_signature_is_over_sorted_params() -> None:
    params = {"timestamp": 5, "apiKey": "k", "recvWindow": 100}
    payload = signing.ws_payload(params)
    assert payload == "apiKey=k&recvWindow=100&timestamp=5"
    signing.check_ws_signature({**params, "signature": signing.hmac_hex(SECRET, payload)}, SECRET)
    bad = {**params, "signature": signing.hmac_hex("other", payload)}
    assert _code(lambda: signing.check_ws_signature(bad, SECRET)) == -1022


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, -1102),
        ({"timestamp": "abc"}, -1100),
        ({"timestamp": "100000", "recvWindow": "70000"}, -1131),
        ({"timestamp": str(100_000 - 5_001)}, -1021),  # older than the default 5 s window
        ({"timestamp": str(100_000 + 1_000)}, -1021),  # a second or more ahead
    ],
)
def test_timestamps_outside_the_window_are_refused(params: dict[str, str], code: int) -> None:
    assert _code(lambda: signing.check_timestamp(params, 100_000)) == code


def test_timestamps_inside_the_window_pass() -> None:
    signing.check_timestamp({"timestamp": str(100_000 - 5_000)}, 100_000)
    signing.check_timestamp({"timestamp": str(100_000 + 999)}, 100_000)
    signing.check_timestamp({"timestamp": "40000", "recvWindow": "60000"}, 100_000)
