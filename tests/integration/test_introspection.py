"""Reflection (a generic client can list and call services) and the metrics endpoint."""

from __future__ import annotations

import asyncio
import urllib.request

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from prometheus_client.parser import text_string_to_metric_families

from gridops.client import ConnectorClient
from gridops.connector.server import ConnectorServer


async def test_reflection_lists_and_calls_services(connector: ConnectorServer) -> None:
    # The reflection client is synchronous: run it off the loop the server runs on.
    simulated = connector.adapter.name == "sim"
    await asyncio.to_thread(_reflect_and_call, connector.address, simulated)


def _reflect_and_call(address: str, simulated: bool) -> None:
    with grpc.insecure_channel(address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert {"gridops.v1.ExchangeConnector", "grpc.health.v1.Health"} <= services
        # The Simulator drives the in-process sim only; a real venue has none.
        assert ("gridops.v1.Simulator" in services) == simulated
        # Build the call from reflected descriptors only: no generated code involved.
        pool = descriptor_pool.DescriptorPool(database)
        service = pool.FindServiceByName("gridops.v1.ExchangeConnector")
        method = service.methods_by_name["GetSymbolInfo"]
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        call = channel.unary_unary(
            "/gridops.v1.ExchangeConnector/GetSymbolInfo",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        reply = call(request_cls(symbol="ETH/USDT"), timeout=5)
        assert getattr(reply, "tick_size") == "0.01"  # noqa: B009 - a reflected type


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_endpoint(connector: ConnectorServer, client: ConnectorClient) -> None:
    await client.get_account()
    assert connector.metrics_port
    samples = _scrape(connector.metrics_port)
    exchange = (("exchange", connector.adapter.name),)
    assert samples[("gridops_connector_upstream_connections", exchange)] == 1
    assert samples[("gridops_connector_upstream_connects_total", exchange)] == 1
    assert samples[("gridops_connector_subscribers", (("stream", "orders"),))] == 0
    ok = (("code", "OK"), ("method", "GetAccount"))
    assert samples[("gridops_connector_rpcs_total", ok)] >= 1
    assert (
        samples[("gridops_connector_rpc_duration_seconds_count", (("method", "GetAccount"),))] >= 1
    )
