"""The cluster path: the API paths, the kubeconfig and namespace choice, API messages."""

from __future__ import annotations

import json
from pathlib import Path

from gridops.human.kube import (
    _names_an_object,
    api_message,
    context_namespace,
    engine_status_path,
    kubeconfig_files,
    strategy_path,
)


def test_the_grid_strategy_path() -> None:
    assert (
        strategy_path("trading", "btc-grid")
        == "/apis/gridops.io/v1alpha1/namespaces/trading/gridstrategies/btc-grid"
    )


def test_the_engine_status_goes_through_the_service_proxy_of_name_mm_port_8080() -> None:
    assert (
        engine_status_path("trading", "btc-grid")
        == "/api/v1/namespaces/trading/services/btc-grid-mm:8080/proxy/status"
    )


def test_kubeconfig_files_follow_kubeconfig_then_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    assert kubeconfig_files({}, home) == []
    (home / ".kube" / "config").write_text("{}")
    assert kubeconfig_files({}, home) == [str(home / ".kube" / "config")]
    one, two = tmp_path / "one", tmp_path / "two"
    two.write_text("{}")
    # $KUBECONFIG wins, and only the files that exist count
    assert kubeconfig_files({"KUBECONFIG": f"{one}:{two}"}, home) == [str(two)]
    assert kubeconfig_files({"KUBECONFIG": str(one)}, home) == []


def test_the_namespace_is_the_contexts_or_default() -> None:
    context = {"name": "kind", "context": {"cluster": "kind", "namespace": "trading"}}
    assert context_namespace(context) == "trading"
    assert context_namespace({"name": "kind", "context": {"cluster": "kind"}}) == "default"
    assert context_namespace(None) == "default"


def test_api_messages_quote_the_status_message() -> None:
    status = {"kind": "Status", "message": 'services "x-mm" not found', "code": 404}
    assert api_message(404, json.dumps(status).encode()) == 'HTTP 404: services "x-mm" not found'
    assert api_message(503, b"no endpoints available") == "HTTP 503: no endpoints available"
    assert api_message(500, b"") == "HTTP 500"


def test_a_missing_object_is_told_from_a_missing_resource_type() -> None:
    missing_object = {
        "kind": "Status",
        "reason": "NotFound",
        "details": {"name": "nope", "group": "gridops.io", "kind": "gridstrategies"},
    }
    missing_crd = {"kind": "Status", "reason": "NotFound", "details": {}}
    assert _names_an_object(json.dumps(missing_object).encode())
    assert not _names_an_object(json.dumps(missing_crd).encode())
    assert not _names_an_object(b"404 page not found")
