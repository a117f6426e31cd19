"""Client creation: addresses, timeouts, TLS and the shared-token auth (seed §3.1)."""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gridops import errors
from gridops.client import ConnectorClient, TLSConfig
from gridops.connector.server import ConnectorServer
from tests.support.connector import running_connector


async def test_connect_to_a_running_connector(connector: ConnectorServer) -> None:
    client = await ConnectorClient.connect(connector.address, timeout=5)
    assert client.session_id == connector.session_id
    await client.close()


@pytest.mark.parametrize("address", ["", "   ", "localhost", "localhost:0", "no such:1", "h:99999"])
async def test_invalid_or_empty_address_is_an_error(address: str) -> None:
    with pytest.raises(errors.InvalidArgument, match="address"):
        await ConnectorClient.connect(address, timeout=1)


async def test_nothing_listening_fails_within_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match=r"not reachable within 0\.5s"):
        await ConnectorClient.connect("127.0.0.1:1", timeout=0.5)
    assert time.monotonic() - started < 3


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = shlex.split(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
    )
    subprocess.run(
        [*command, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_connection(tls_pair: tuple[Path, Path]) -> None:
    cert, key = tls_pair
    async with running_connector(tls_cert=cert, tls_key=key) as server:
        address = f"localhost:{server.port}"
        client = await ConnectorClient.connect(address, tls=TLSConfig(ca_cert=cert), timeout=5)
        assert (await client.get_account()).quote_asset == "USDT"
        await client.close()
        # A plaintext client cannot talk to the TLS server.
        with pytest.raises(errors.Unavailable):
            await ConnectorClient.connect(address, timeout=1)


async def test_token_auth_guards_every_call_but_health() -> None:
    async with running_connector(token="s3cret") as server:
        with pytest.raises(errors.Unauthenticated):
            await ConnectorClient.connect(server.address, timeout=5)
        with pytest.raises(errors.Unauthenticated):
            await ConnectorClient.connect(server.address, token="wrong", timeout=5)
        client = await ConnectorClient.connect(server.address, token="s3cret", timeout=5)
        assert (await client.get_account()).quote_asset == "USDT"
        await client.close()

        # A stream without the token fails for good; it does not retry forever.
        anonymous = ConnectorClient(server.address)
        with pytest.raises(errors.Unauthenticated):
            async for _ in anonymous.subscribe_orders():
                pass
        await anonymous.close()

        async with grpc.aio.insecure_channel(server.address) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="")
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
