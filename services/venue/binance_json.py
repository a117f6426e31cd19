"""The simulated market's objects in Binance spot's JSON shapes. Pure: no I/O.

Field names and types are Binance's: amounts are decimal strings with (at least) eight
decimals, ids and times are integers (milliseconds since the epoch).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops.models import Account, Fill, Order, Side, SymbolInfo

EIGHT = Decimal("1e-8")


def num(value: Decimal) -> str:
    """Binance's style, '0.01000000'; more decimals when the amount has them."""
    if value == value.quantize(EIGHT):
        return f"{value:.8f}"
    return format(value.normalize(), "f")


def ms(time: datetime) -> int:
    return int(time.timestamp() * 1000)


def market_id(symbol: str) -> str:
    """'BTC/USDT' -> 'BTCUSDT'."""
    return symbol.replace("/", "")


def order_number(order_id: str) -> int:
    """The simulator's 'sim-12' as Binance's integer orderId 12."""
    return int(order_id.rsplit("-", 1)[-1])


def trade_number(trade_id: str) -> int:
    return int(trade_id.rsplit("-", 1)[-1])


def public_client_id(internal: str) -> str:
    """A reused clientOrderId is kept as 'id#n' inside (see venue.py); clients see 'id'."""
    return internal.split("#", 1)[0]


def symbol_info(info: SymbolInfo) -> dict[str, Any]:
    return {
        "symbol": market_id(info.symbol),
        "status": "TRADING",
        "baseAsset": info.base_asset,
        "baseAssetPrecision": 8,
        "quoteAsset": info.quote_asset,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": False,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": num(info.tick_size),
                "maxPrice": "1000000000.00000000",
                "tickSize": num(info.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": num(max(info.min_quantity, info.step_size)),
                "maxQty": "9000000000.00000000",
                "stepSize": num(info.step_size),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": num(info.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"],
    }


def exchange_info(
    symbols: list[SymbolInfo], server_ms: int, weight_limit: int, order_limit: int
) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": weight_limit,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": order_limit,
            },
        ],
        "exchangeFilters": [],
        "symbols": [symbol_info(info) for info in symbols],
    }


def _quote_filled(order: Order) -> Decimal:
    return order.average_fill_price * order.filled_quantity


def order(order: Order) -> dict[str, Any]:
    """GET /api/v3/order's shape (also openOrders' and allOrders' items)."""
    created, updated = ms(order.created_at), ms(order.updated_at)
    return {
        "symbol": market_id(order.symbol),
        "orderId": order_number(order.order_id),
        "orderListId": -1,
        "clientOrderId": public_client_id(order.client_order_id),
        "price": num(order.price),
        "origQty": num(order.quantity),
        "executedQty": num(order.filled_quantity),
        "cummulativeQuoteQty": num(_quote_filled(order)),
        "status": order.status.value,
        "timeInForce": "GTC",
        "type": order.type.value,
        "side": order.side.value,
        "stopPrice": num(Decimal(0)),
        "icebergQty": num(Decimal(0)),
        "time": created,
        "updateTime": updated,
        "isWorking": True,
        "workingTime": created,
        "origQuoteOrderQty": num(Decimal(0)),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def order_fill(fill: Fill) -> dict[str, Any]:
    """One item of a FULL new-order response's `fills`."""
    return {
        "price": num(fill.price),
        "qty": num(fill.quantity),
        "commission": num(fill.fee),
        "commissionAsset": fill.fee_asset,
        "tradeId": trade_number(fill.trade_id),
    }


def new_order(placed: Order, fills: list[Fill], transact_ms: int) -> dict[str, Any]:
    """POST /api/v3/order with newOrderRespType FULL (ccxt's default for spot)."""
    body = order(placed)
    for name in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
        body.pop(name)
    body["transactTime"] = transact_ms
    body["fills"] = [order_fill(f) for f in fills]
    return body


def canceled(order_after: Order, cancel_client_id: str, transact_ms: int) -> dict[str, Any]:
    """DELETE /api/v3/order's shape (and each item of DELETE /api/v3/openOrders)."""
    return {
        "symbol": market_id(order_after.symbol),
        "origClientOrderId": public_client_id(order_after.client_order_id),
        "orderId": order_number(order_after.order_id),
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": transact_ms,
        "price": num(order_after.price),
        "origQty": num(order_after.quantity),
        "executedQty": num(order_after.filled_quantity),
        "cummulativeQuoteQty": num(_quote_filled(order_after)),
        "status": order_after.status.value,
        "timeInForce": "GTC",
        "type": order_after.type.value,
        "side": order_after.side.value,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def my_trade(fill: Fill) -> dict[str, Any]:
    return {
        "symbol": market_id(fill.symbol),
        "id": trade_number(fill.trade_id),
        "orderId": order_number(fill.order_id),
        "orderListId": -1,
        "price": num(fill.price),
        "qty": num(fill.quantity),
        "quoteQty": num(fill.price * fill.quantity),
        "commission": num(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": ms(fill.time),
        "isBuyer": fill.side is Side.BUY,
        "isMaker": fill.maker,
        "isBestMatch": True,
    }


def account(acct: Account, maker_fee: Decimal, taker_fee: Decimal, uid: int) -> dict[str, Any]:
    def bips(rate: Decimal) -> int:
        return int(rate * 10000)

    return {
        "makerCommission": bips(maker_fee),
        "takerCommission": bips(taker_fee),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": num(maker_fee),
            "taker": num(taker_fee),
            "buyer": num(Decimal(0)),
            "seller": num(Decimal(0)),
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": ms(acct.updated_at),
        "accountType": "SPOT",
        "balances": [
            {"asset": b.asset, "free": num(b.free), "locked": num(b.locked)} for b in acct.balances
        ],
        "permissions": ["SPOT"],
        "uid": uid,
    }


def ticker_24hr(symbol: str, price: Decimal, time_ms: int) -> dict[str, Any]:
    """The 24-hour statistics of a market that only knows its last price: no change."""
    zero = num(Decimal(0))
    last = num(price)
    return {
        "symbol": market_id(symbol),
        "priceChange": zero,
        "priceChangePercent": "0.000",
        "weightedAvgPrice": last,
        "prevClosePrice": last,
        "lastPrice": last,
        "lastQty": zero,
        "bidPrice": last,
        "bidQty": zero,
        "askPrice": last,
        "askQty": zero,
        "openPrice": last,
        "highPrice": last,
        "lowPrice": last,
        "volume": zero,
        "quoteVolume": zero,
        "openTime": time_ms - 86_400_000,
        "closeTime": time_ms,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


def book_ticker(symbol: str, price: Decimal) -> dict[str, Any]:
    last = num(price)
    zero = num(Decimal(0))
    return {
        "symbol": market_id(symbol),
        "bidPrice": last,
        "bidQty": zero,
        "askPrice": last,
        "askQty": zero,
    }


def price_ticker(symbol: str, price: Decimal) -> dict[str, Any]:
    return {"symbol": market_id(symbol), "price": num(price)}
