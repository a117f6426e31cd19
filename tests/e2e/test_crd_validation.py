"""The API server itself refuses bad GridStrategies, naming the field (schema + CEL).

The same bad specs are refused by the Python model in tests/unit/operator/test_crd.py.
"""

from __future__ import annotations

import json

import pytest

from tests.support.bad_specs import BAD_SPECS, BadSpec, good_spec

from .conftest import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def document(name: str, spec: dict[str, object]) -> str:
    return json.dumps(
        {
            "apiVersion": "gridops.io/v1alpha1",
            "kind": "GridStrategy",
            "metadata": {"name": name},
            "spec": spec,
        }
    )


def apply(kc: Kubectl, name: str, spec: dict[str, object]) -> tuple[int, str]:
    # kubectl's default field validation is Strict: an unknown field is an error too
    result = kc.run("apply", "-f", "-", input=document(name, spec), check=False)
    return result.returncode, result.stderr


def test_every_bad_spec_is_rejected_naming_the_field(
    namespace: Kubectl, operator_chart: str
) -> None:
    failures = []
    for bad in BAD_SPECS:
        code, message = apply(namespace, f"bad-{bad.id}", bad.spec())
        if code == 0 or bad.field not in message:
            failures.append(f"{bad.id} ({bad.why}): rc={code} {message.strip()}")
    assert not failures, "\n".join(failures)
    assert len(BAD_SPECS) >= 12
    listed = namespace.json("get", "gridstrategies")["items"]
    assert listed == [], "a bad spec was stored"


@pytest.mark.parametrize("name", ["1grid", "Grid", "grid_1", "g" * 51])
def test_a_bad_name_is_rejected(namespace: Kubectl, operator_chart: str, name: str) -> None:
    code, message = apply(namespace, name, good_spec())
    assert code != 0
    assert "metadata.name" in message or "name" in message.lower(), message


def test_symbol_account_and_lattice_cannot_change_on_a_live_strategy(
    namespace: Kubectl, operator_chart: str
) -> None:
    code, message = apply(namespace, "fixed", good_spec())
    assert code == 0, message
    for change, field in (
        ({"symbol": "ETH/USDT"}, "spec.symbol"),
        ({"exchange": {"account": "other"}}, "spec.exchange.account"),
        ({"grid": {**good_spec()["grid"], "priceInterval": "300"}}, "spec.grid.priceInterval"),
    ):
        code, message = apply(namespace, "fixed", {**good_spec(), **change})
        assert code != 0
        assert field in message, message
        assert "cannot change" in message


def test_a_good_spec_is_stored_with_its_defaults(namespace: Kubectl, operator_chart: str) -> None:
    code, message = apply(namespace, "defaults", good_spec())
    assert code == 0, message
    spec = namespace.json("get", "gs", "defaults")["spec"]
    assert spec["grid"]["mode"] == "long"
    assert spec["engine"]["type"] == "durable"
    assert spec["exchange"] == {"account": "default", "name": "sim"}
    assert spec["risk"]["maxMovePercent"] == "5"
    assert spec["paused"] is False


def test_bad_spec_ids_are_unique() -> None:
    ids = [b.id for b in BAD_SPECS]
    assert len(ids) == len(set(ids))
    assert all(isinstance(b, BadSpec) for b in BAD_SPECS)
