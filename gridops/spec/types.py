"""Field types shared by the strategy and simulator models, and by the CRD generated from them.

Amounts are decimal strings in plain notation ("0.001"): no sign, no exponent, no float.
The same regular expression is the API server's check (the CRD's `pattern`) and Python's,
so `gridops check-config` and `kubectl apply` accept exactly the same specs. An integer
is also accepted in a hand-written file (`priceInterval: 50` is unambiguous); a YAML
float (`0.1`) is refused, since it went through binary floating point on its way here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

#: a decimal >= 0 in plain notation
NON_NEGATIVE = r"^[0-9]+(\.[0-9]+)?$"
#: a decimal > 0 in plain notation (not every digit a zero)
POSITIVE = r"^([0-9]*[1-9][0-9]*(\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*)$"
#: a decimal in [0, 1) in plain notation (fee rates)
FRACTION = r"^0+(\.[0-9]+)?$"
#: a name usable as a DNS label and a label value (RFC 1123)
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#: a Kubernetes object name such as a Secret's (RFC 1123 subdomain)
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def _decimal_text(pattern: str, meaning: str) -> BeforeValidator:
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f'must be {meaning} written as a string, e.g. "0.5"')
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, float):
            raise ValueError(
                f'must be {meaning} written as a string ("{value}"): a YAML float loses '
                "decimal precision"
            )
        if isinstance(value, Decimal):
            value = format(value, "f")
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f'must be {meaning} in plain notation, e.g. "0.5"; got {value!r}')
        return value

    return BeforeValidator(check)


def _decimal(pattern: str, meaning: str) -> Any:
    return Annotated[
        Decimal,
        _decimal_text(pattern, meaning),
        WithJsonSchema({"type": "string", "pattern": pattern}),
    ]


PositiveDecimal = _decimal(POSITIVE, "a decimal number greater than 0")
NonNegativeDecimal = _decimal(NON_NEGATIVE, "a decimal number >= 0")
FeeRate = _decimal(FRACTION, "a rate from 0 up to (not including) 1")

DnsLabel = Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]
ObjectName = Annotated[str, Field(pattern=DNS_SUBDOMAIN, max_length=253)]


class SpecModel(BaseModel):
    """camelCase outside (YAML, env, the CRD), snake_case in Python; typos are errors."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class SecretKeyRef(SpecModel):
    """A key of a Secret in the strategy's namespace."""

    name: ObjectName = Field(description="Secret name")
    key: str = Field(
        pattern=r"^[-._a-zA-Z0-9]+$", max_length=253, description="key within the Secret"
    )
