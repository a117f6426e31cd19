"""Binance's error answers: an HTTP status plus a body `{"code": -NNNN, "msg": "..."}`.

The codes and messages are the real venue's, so that ccxt raises its own typed
exceptions (its `exceptions` table maps both the codes and some exact messages).
"""

from __future__ import annotations

from typing import Any


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def missing(name: str) -> BinanceError:
    return BinanceError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def bad_value(name: str) -> BinanceError:
    return BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.")


def bad_key_format() -> BinanceError:
    return BinanceError(401, -2014, "API-key format invalid.")


def unknown_key() -> BinanceError:
    return BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def bad_signature() -> BinanceError:
    return BinanceError(400, -1022, "Signature for this request is not valid.")


def stale_timestamp() -> BinanceError:
    return BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def bad_recv_window() -> BinanceError:
    return BinanceError(400, -1131, "recvWindow must be less than 60000")


def unknown_symbol() -> BinanceError:
    return BinanceError(400, -1121, "Invalid symbol.")


def bad_order_type() -> BinanceError:
    return BinanceError(400, -1116, "Invalid orderType.")


def bad_side() -> BinanceError:
    return BinanceError(400, -1117, "Invalid side.")


def bad_time_in_force() -> BinanceError:
    return BinanceError(400, -1115, "Invalid timeInForce.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(400, -1013, f"Filter failure: {name}")


def insufficient_balance() -> BinanceError:
    return BinanceError(400, -2010, "Account has insufficient balance for requested action.")


def duplicate_order() -> BinanceError:
    return BinanceError(400, -2010, "Duplicate order sent.")


def would_take() -> BinanceError:
    return BinanceError(400, -2010, "Order would immediately match and take.")


def order_not_found() -> BinanceError:
    return BinanceError(400, -2013, "Order does not exist.")


def cancel_unknown() -> BinanceError:
    return BinanceError(400, -2011, "Unknown order sent.")


def too_much_weight(limit: int) -> BinanceError:
    return BinanceError(
        429,
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 "
        "MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
    )


def banned(until_ms: int) -> BinanceError:
    return BinanceError(
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. Please use "
        "WebSocket Streams for live updates to avoid bans.",
    )


def unknown_path() -> BinanceError:
    return BinanceError(404, -1000, "An unknown error occurred while processing the request.")
