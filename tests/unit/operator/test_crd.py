"""The CRD generated from the models: fresh on disk, complete, and as strict as Python."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from gridops.operator.crd import crd
from gridops.operator.errors import Invalid
from gridops.operator.reconciler import parse
from gridops.spec import StrategySpec
from gridops.spec.types import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    FeeRate,
    NonNegativeDecimal,
    PositiveDecimal,
)
from tests.support.bad_specs import BAD_SPECS, BadSpec, good_spec

ROOT = Path(__file__).resolve().parents[3]
CRD_FILE = ROOT / "crds" / "gridstrategies.gridops.io.yaml"
CHART_COPY = ROOT / "charts" / "gridops" / "files" / "crds" / "gridstrategies.gridops.io.yaml"


def version() -> dict[str, Any]:
    found: dict[str, Any] = crd()["spec"]["versions"][0]
    return found


def spec_schema() -> dict[str, Any]:
    found: dict[str, Any] = version()["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return found


def test_crds_and_the_charts_copy_are_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "tools/gencrd.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert CRD_FILE.read_bytes() == CHART_COPY.read_bytes()
    assert yaml.safe_load(CRD_FILE.read_text()) == crd()


def test_names_scope_short_name_and_status_subresource() -> None:
    spec = crd()["spec"]
    assert crd()["metadata"]["name"] == "gridstrategies.gridops.io"
    assert spec["group"] == "gridops.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == "GridStrategy"
    assert spec["names"]["plural"] == "gridstrategies"
    assert spec["names"]["shortNames"] == ["gs"]
    assert version()["name"] == "v1alpha1"
    assert version()["subresources"] == {"status": {}}


def test_printer_columns() -> None:
    columns = [c["name"] for c in version()["additionalPrinterColumns"] if not c.get("priority")]
    assert columns == ["Symbol", "Phase", "Price", "Position", "PnL", "Age"]


def _fields(model: type[BaseModel], schema: dict[str, Any], path: str) -> list[str]:
    """Every field of the model, checked to be in the schema with a description."""
    seen = []
    for name, info in model.model_fields.items():
        alias = info.alias or name
        assert alias in schema["properties"], f"{path}.{alias} missing from the CRD"
        prop = schema["properties"][alias]
        assert prop.get("description"), f"{path}.{alias} has no description"
        seen.append(f"{path}.{alias}")
        annotation = info.annotation
        if get_origin(annotation) is list:
            (item,) = get_args(annotation)
            seen += _fields(item, prop["items"], f"{path}.{alias}[]")
            continue
        for candidate in get_args(annotation) or (annotation,):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                seen += _fields(candidate, prop, f"{path}.{alias}")
    return seen


def test_every_field_of_the_model_is_in_the_schema_with_its_description() -> None:
    seen = _fields(StrategySpec, spec_schema(), "spec")
    assert "spec.exchange.sim.symbols[].tickSize" in seen
    assert len(seen) > 40


def test_types_ranges_enums_and_decimal_patterns() -> None:
    grid = spec_schema()["properties"]["grid"]
    assert grid["required"] == ["priceInterval", "orderQuantity"]
    assert grid["properties"]["mode"]["enum"] == ["long", "neutral"]
    assert grid["properties"]["buyWindow"] == {
        **grid["properties"]["buyWindow"],
        "type": "integer",
        "minimum": 0,
        "maximum": 200,
    }
    assert grid["properties"]["priceInterval"]["type"] == "string"
    assert grid["properties"]["priceInterval"]["pattern"] == POSITIVE
    risk = spec_schema()["properties"]["risk"]["properties"]
    assert risk["moveWindowSeconds"]["exclusiveMinimum"] is True
    assert risk["maxPosition"]["pattern"] == NON_NEGATIVE
    sim = spec_schema()["properties"]["exchange"]["properties"]["sim"]["properties"]
    assert sim["makerFee"]["pattern"] == FRACTION
    assert sim["balances"]["additionalProperties"]["pattern"] == NON_NEGATIVE
    assert sim["symbols"]["x-kubernetes-list-type"] == "map"


def _rules(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in _rules(item)]
    if not isinstance(node, dict):
        return []
    found = [r["rule"] for r in node.get("x-kubernetes-validations", ())]
    return found + [r for value in node.values() for r in _rules(value)]


def test_cross_field_rules_are_cel_and_identity_fields_are_immutable() -> None:
    rules = _rules(crd())
    assert any("buyWindow" in r for r in rules)
    assert any("databaseUrlSecret" in r for r in rules)
    assert any("self.metadata.name" in r for r in rules)
    # symbol, exchange name and account, the grid's mode, interval and anchor
    assert rules.count("self == oldSelf") == 6


@pytest.mark.parametrize("bad", BAD_SPECS, ids=[b.id for b in BAD_SPECS])
def test_python_refuses_every_bad_spec_naming_the_field(bad: BadSpec) -> None:
    with pytest.raises(Invalid) as info:
        parse("g", "ns", "uid", 1, bad.spec())
    message = str(info.value)
    section, _, last = bad.field.rpartition(".")
    assert section in message or bad.field in message, message
    assert last in message, message


def test_the_good_spec_passes() -> None:
    assert parse("g", "ns", "uid", 1, good_spec()).spec.grid.buy_window == 3


class _Positive(BaseModel):
    value: PositiveDecimal


class _NonNegative(BaseModel):
    value: NonNegativeDecimal


class _Fraction(BaseModel):
    value: FeeRate


def _python_accepts(model: type[BaseModel], text: str) -> bool:
    try:
        model.model_validate({"value": text})
    except ValueError:
        return False
    return True


@given(st.text(alphabet="0123456789.-+eE x", max_size=8))
def test_the_crd_pattern_and_python_agree_on_every_decimal(text: str) -> None:
    for pattern, model in (
        (POSITIVE, _Positive),
        (NON_NEGATIVE, _NonNegative),
        (FRACTION, _Fraction),
    ):
        api_accepts = re.fullmatch(pattern.strip("^$"), text) is not None
        assert _python_accepts(model, text) == api_accepts, (pattern, text)
        if api_accepts and pattern == POSITIVE:
            assert Decimal(text) > 0
