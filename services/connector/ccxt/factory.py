"""`gridops connector --exchange <ccxt id>`: settings in, a ready-to-start adapter out."""

from __future__ import annotations

from gridops.startup import StartupError

from ..settings import ConnectorSettings
from .adapter import CcxtAdapter
from .credentials import FLAG, Credentials, load_credentials
from .exchange import check_exchange_id, make_exchange

ENV_SOURCE = "GRIDOPS_CONNECTOR_API_KEY/GRIDOPS_CONNECTOR_API_SECRET"

_SIM_ONLY = {
    "sim_config": "--sim-config",
    "sim_state": "--sim-state",
    "sim_seed": "--sim-seed",
    "sim_tick_seconds": "--sim-tick-seconds",
}


def credentials_from(settings: ConnectorSettings) -> Credentials:
    """From --credentials-file, or GRIDOPS_CONNECTOR_API_KEY + _API_SECRET (a Secret's env)."""
    from_env = settings.api_key is not None or settings.api_secret is not None
    if settings.credentials_file is not None:
        if from_env:
            raise StartupError(
                f"{FLAG} and GRIDOPS_CONNECTOR_API_KEY/_API_SECRET: give the credentials once"
            )
        return load_credentials(settings.credentials_file)
    if settings.api_key is None or settings.api_secret is None:
        if from_env:
            raise StartupError(
                "GRIDOPS_CONNECTOR_API_KEY and GRIDOPS_CONNECTOR_API_SECRET go together"
            )
        raise StartupError(
            f"--exchange {settings.exchange} trades an account: give its keys with {FLAG} "
            "(YAML apiKey, secret) or GRIDOPS_CONNECTOR_API_KEY and GRIDOPS_CONNECTOR_API_SECRET"
        )
    key, secret = settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()
    if not key.strip() or not secret.strip():
        raise StartupError("GRIDOPS_CONNECTOR_API_KEY/_API_SECRET: empty")
    return Credentials(api_key=key.strip(), secret=secret.strip())


def parse_symbols(text: str | None) -> list[str] | None:
    if text is None or not text.strip():
        return None
    symbols = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in symbols if s.count("/") != 1 or s.startswith("/") or s.endswith("/")]
    if bad:
        raise StartupError(
            f"--symbols: {', '.join(bad)} not BASE/QUOTE (e.g. BTC/USDT,ETH/USDT; env "
            "GRIDOPS_CONNECTOR_SYMBOLS)"
        )
    return list(dict.fromkeys(symbols))


def make_ccxt_adapter(settings: ConnectorSettings) -> CcxtAdapter:
    check_exchange_id(settings.exchange)
    for field, flag in _SIM_ONLY.items():
        if getattr(settings, field) is not None:
            raise StartupError(f"{flag}: only for --exchange sim, not {settings.exchange}")
    symbols = parse_symbols(settings.symbols)
    credentials = credentials_from(settings)
    exchange = make_exchange(
        settings.exchange,
        credentials,
        api_url=settings.api_url,
        ws_url=settings.ws_url,
        sandbox=settings.sandbox,
    )
    from_file = settings.credentials_file is not None
    return CcxtAdapter(
        exchange,
        credentials,
        credentials_source=FLAG if from_file else ENV_SOURCE,
        account=settings.account,
        symbols=symbols,
        start_timeout=settings.start_timeout_seconds,
    )
