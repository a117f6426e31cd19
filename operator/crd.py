"""The GridStrategy CRD, generated from the pydantic models (pure; tools/gencrd.py writes it).

pydantic's JSON Schema is turned into the structural OpenAPI v3 schema the API server
wants: references inlined, `anyOf [X, null]` reduced to an optional X, JSON Schema 2020's
numeric exclusive bounds spelled the OpenAPI v3.0 way, titles dropped; the CEL rules,
patterns, enums, ranges, defaults and descriptions are kept. Unknown fields need no
`additionalProperties: false`: the API server prunes them, and kubectl's strict field
validation (its default) rejects them naming the field.
"""

from __future__ import annotations

from typing import Any

from gridops.spec import StrategySpec
from gridops.spec.status import StrategyStatus

GROUP = "gridops.io"
VERSION = "v1alpha1"
KIND = "GridStrategy"
PLURAL = "gridstrategies"
SINGULAR = "gridstrategy"
SHORT_NAMES = ["gs"]
CRD_NAME = f"{PLURAL}.{GROUP}"

#: The longest child name is `<strategy>-control` (8 more characters) and a Service name
#: is a DNS-1035 label of at most 63, so 50 leaves room for a suffix to come.
MAX_NAME = 50

Schema = dict[str, Any]

_DROP = {"title", "additionalProperties", "$defs"}
_FORMATS_KEPT = {"date-time", "int32", "int64", "byte"}


def _resolve(node: Any, defs: dict[str, Schema]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        # the field's own description and default win over the model's
        return _resolve({**target, **siblings}, defs)
    return {key: _resolve(value, defs) for key, value in node.items()}


def _is_optional(node: Schema) -> bool:
    return any(o.get("type") == "null" for o in node.get("anyOf", ()))


def _optional(node: Schema) -> Schema:
    """`anyOf: [X, {type: null}]` (an optional field) -> X with the field's own keys."""
    options = node.get("anyOf")
    if not options:
        return node
    kept = [o for o in options if o.get("type") != "null"]
    if len(kept) != 1:
        raise ValueError(f"cannot express a union in a structural schema: {options}")
    rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
    if node.get("default") is not None:
        rest["default"] = node["default"]
    return {**kept[0], **rest}


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = _optional(node)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP or (key == "format" and value not in _FORMATS_KEPT):
            continue
        if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "properties":
            required = set(node.get("required", ()))
            out[key] = {name: _property(child, name in required) for name, child in value.items()}
        else:
            out[key] = _structural(value)
    extra = node.get("additionalProperties")
    if node.get("type") == "object" and isinstance(extra, dict):
        out["additionalProperties"] = _structural(extra)  # a map, e.g. sim balances
    return out


def _property(node: Schema, required: bool) -> Schema:
    out: Schema = _structural(node)
    defaulted = not required and not _is_optional(node) and "default" not in out
    if defaulted and out.get("type") == "object" and "properties" in out:
        # A section with a default (risk, engine, ...) exists after admission, so
        # `kubectl get -o yaml` shows every setting in effect and CEL sees the defaults.
        out["default"] = {}
    return out


def model_schema(model: Any) -> Schema:
    """A pydantic model's schema in the structural OpenAPI v3 subset."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema = _structural(_resolve(raw, raw.get("$defs", {})))
    assert isinstance(schema, dict)
    schema.pop("default", None)  # the spec/status root takes no default
    return schema


def _name_rule() -> Schema:
    return {
        "rule": f"self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && "
        f"size(self.metadata.name) <= {MAX_NAME}",
        "message": f"metadata.name must start with a letter, hold only lowercase letters, "
        f"digits and '-', and be at most {MAX_NAME} characters (it names Services and "
        "client order ids)",
        "reason": "FieldValueInvalid",
    }


#: What a live strategy's orders and state are tied to: the symbol, the exchange account,
#: and the grid's lattice (a client order id names a level, and a level's price is
#: anchorPrice + level * priceInterval). Changing one means a new strategy.
IMMUTABLE = [
    ["symbol"],
    ["exchange", "name"],
    ["exchange", "account"],
    ["grid", "mode"],
    ["grid", "priceInterval"],
    ["grid", "anchorPrice"],
]


def _immutable(schema: Schema, path: list[str]) -> None:
    node = schema
    for part in path:
        node = node["properties"][part]
    node.setdefault("x-kubernetes-validations", []).append(
        {
            "rule": "self == oldSelf",
            "message": f"{'.'.join(path)} cannot change on a live strategy: delete the "
            "GridStrategy (its orders are cancelled) and create a new one",
        }
    )


def spec_schema() -> Schema:
    schema = model_schema(StrategySpec)
    for path in IMMUTABLE:
        _immutable(schema, path)
    return schema


PRINTER_COLUMNS = [
    {"name": "Symbol", "type": "string", "jsonPath": ".spec.symbol"},
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    {"name": "Price", "type": "string", "jsonPath": ".status.price"},
    {"name": "Position", "type": "string", "jsonPath": ".status.position"},
    {
        "name": "PnL",
        "type": "string",
        "jsonPath": ".status.realizedPnl",
        "description": "realized PnL (quote asset)",
    },
    {
        "name": "Unrealized",
        "type": "string",
        "jsonPath": ".status.unrealizedPnl",
        "priority": 1,
    },
    {"name": "Orders", "type": "integer", "jsonPath": ".status.openOrders", "priority": 1},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        "priority": 1,
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def crd() -> Schema:
    """The CustomResourceDefinition object."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": CRD_NAME,
            "labels": {"app.kubernetes.io/name": "gridops"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": SINGULAR,
                "shortNames": SHORT_NAMES,
                "categories": ["gridops"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A grid-trading strategy: the operator runs its "
                            "market maker, live server and the account's shared connector.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema(),
                                "status": model_schema(StrategyStatus),
                            },
                            "x-kubernetes-validations": [_name_rule()],
                        }
                    },
                }
            ],
        },
    }
