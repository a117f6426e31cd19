"""The connector as the human commands use it: `--connector`, `--token-file`, errors as
one line naming the address and the flag."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from gridops import errors
from gridops.client import ConnectorClient, check_address

from .arguments import TOKEN_ENV
from .errors import CliError

CONNECT_TIMEOUT = 5.0


def read_token(path: str | None) -> str | None:
    """The token from --token-file, else $GRIDOPS_CONNECTOR_TOKEN, else None."""
    if path is None:
        return os.environ.get(TOKEN_ENV) or None
    try:
        token = Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise CliError(f"--token-file {path}: cannot read the token file: {reason}") from None
    if not token:
        raise CliError(f"--token-file {path}: the token file is empty")
    return token


@contextmanager
def translated(address: str) -> Iterator[None]:
    """The connector's errors as CliErrors naming `address` and the flag that sets it."""
    try:
        yield
    except errors.Unauthenticated as error:
        raise CliError(
            f"the connector at {address} (--connector) refused the call: {error}; pass its "
            f"token with --token-file FILE (or {TOKEN_ENV})"
        ) from None
    except errors.Unavailable as error:
        text = str(error)
        if address in text:  # the client's own message names it already
            raise CliError(f"{text} (--connector)") from None
        raise CliError(f"no connector at {address} (--connector): {text}") from None
    except errors.GridopsError as error:
        raise CliError(f"the connector at {address} (--connector): {error}") from None


@asynccontextmanager
async def connected(address: str, token: str | None) -> AsyncIterator[ConnectorClient]:
    """A connected client; CliError when the address is bad or nothing answers there."""
    try:
        check_address(address)
    except errors.InvalidArgument as error:
        raise CliError(f"--connector: {error}") from None
    await _probe(address)
    with translated(address):
        client = await ConnectorClient.connect(address, timeout=CONNECT_TIMEOUT, token=token)
    try:
        yield client
    finally:
        await client.close()


async def _probe(address: str) -> None:
    """Fail at once on a refused or unresolvable address (gRPC would retry it until the
    connect timeout): one TCP connection, closed again."""
    host, _, port = address.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host.strip("[]"), int(port)), CONNECT_TIMEOUT
        )
    except TimeoutError:
        raise CliError(
            f"no connector at {address} (--connector): no answer within {CONNECT_TIMEOUT:g} s"
        ) from None
    except OSError as error:
        # asyncio words a refusal "Connect call failed (...)": say what the errno means
        code = error.errno or 0
        reason = os.strerror(code) if code > 0 else (error.strerror or str(error))
        raise CliError(f"no connector at {address} (--connector): {reason}") from None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
