"""The market maker's HTTP API as the operator uses it: /status, and the control endpoints.

No keep-alive: a Service that answered before kube-proxy routed it to the market maker
must not pin a connection to the wrong place (the live server once did exactly that).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from .errors import Temporary

TIMEOUT = aiohttp.ClientTimeout(total=3)


class EngineHttp:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True), timeout=TIMEOUT
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def status(self, base_url: str) -> dict[str, Any]:
        """The /status document; Temporary when the market maker does not answer it."""
        try:
            async with self._client().get(f"{base_url}/status") as response:
                if response.status != 200:
                    raise Temporary(f"{base_url}/status answered HTTP {response.status}")
                document = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Temporary(f"{base_url}/status: {error or type(error).__name__}") from error
        if not isinstance(document, dict) or "synced" not in document:
            raise Temporary(f"{base_url}/status is not a market maker's status")
        return document

    async def control(self, base_url: str, action: str, token: str) -> None:
        """POST /pause, /resume or /risk/clear with the control token."""
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._client().post(f"{base_url}/{action}", headers=headers) as response:
                if response.status >= 300:
                    text = (await response.text())[:200]
                    raise Temporary(f"POST {base_url}/{action}: HTTP {response.status} {text}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Temporary(f"POST {base_url}/{action}: {error or type(error).__name__}") from error
