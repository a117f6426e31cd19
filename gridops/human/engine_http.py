"""A market maker's `/status` over HTTP, its failures as one-line CliErrors."""

from __future__ import annotations

import os
from typing import Any

import aiohttp

from .errors import CliError

TIMEOUT_SECONDS = 5.0


def check_status_document(document: object, where: str) -> dict[str, Any]:
    """The document when it looks like a market maker's /status; CliError otherwise."""
    if not isinstance(document, dict) or "synced" not in document or "name" not in document:
        raise CliError(f"{where} did not answer with a gridops market maker's status")
    return document


async def fetch_status(status_url: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """GET `status_url`: the engine's /status document."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(status_url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status != 200:
                raise CliError(f"{status_url} answered HTTP {response.status} {response.reason}")
            document = await response.json(content_type=None)
    except TimeoutError:  # before ClientConnectionError: ServerTimeoutError is both
        raise CliError(
            f"the market maker at {status_url} (TARGET) did not answer within {timeout:g} s"
        ) from None
    except (aiohttp.ClientConnectionError, OSError) as error:
        raise CliError(
            f"no market maker at {status_url} (TARGET): {_reason(error)}; is it running? "
            "(gridops market-maker --http-port, or gridops demo)"
        ) from None
    except (aiohttp.ClientError, ValueError) as error:
        raise CliError(f"{status_url} (TARGET): {_reason(error)}") from None
    return check_status_document(document, status_url)


def _reason(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        error = error.os_error
    if isinstance(error, OSError):
        # asyncio words a refusal "Connect call failed (...)": say what the errno means
        code = error.errno or 0
        return os.strerror(code) if code > 0 else (error.strerror or str(error))
    return str(error) or type(error).__name__
