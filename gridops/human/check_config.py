"""`gridops check-config FILE [--connector HOST:PORT]`: every problem of a strategy file.

FILE is a market maker's config (the spec plus `name` and `connector`) or a GridStrategy
manifest (its `spec` and `metadata.name`). The model's errors come first, all of them,
worded as the market maker's loader words them; then, with `--connector`, the exchange's
rules (gridops.human.rules) at the current price. GRIDOPS_* environment variables are not
applied: this checks the file. Exit 0 when there is no error (warnings are printed),
2 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gridops import errors
from gridops.decimals import fmt
from gridops.models import SymbolInfo
from gridops.spec import GridSettings, StrategyConfig, StrategySpec
from gridops.spec.sim import SYMBOL_PATTERN

from .connector import connected, read_token, translated
from .errors import CliError
from .rules import Finding, error, exchange_findings, warning

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@dataclass(slots=True)
class FileCheck:
    """What the file alone says: the model's errors (loader wording) and warnings."""

    source: str
    model_errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    symbol: str | None = None
    grid: GridSettings | None = None
    connector: str | None = None
    summary: str = ""

    @property
    def valid(self) -> bool:
        return not self.model_errors and not any(f.severity == "error" for f in self.findings)


def validation_lines(error: ValidationError, under: str = "") -> list[str]:
    """One `field: message` line per problem, as the market maker's loader writes them;
    `under` names the object the fields are in (`spec` in a GridStrategy)."""
    lines = []
    for item in error.errors():
        parts = [under] if under else []
        parts += [str(part) for part in item["loc"]]
        lines.append(f"{'.'.join(parts) or '(top level)'}: {item['msg']}")
    return lines


def read_document(path: Path) -> dict[str, Any]:
    """The YAML mapping in `path`; CliError worded as the loader words it.

    A manifest of several documents (a Secret, then the GridStrategy, as in examples/) is
    checked for its one GridStrategy.
    """
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, yaml.YAMLError) as problem:
        raise CliError(f"cannot read config {path}: {problem}") from None
    if len(documents) > 1:
        strategies = [
            d for d in documents if isinstance(d, dict) and d.get("kind") == "GridStrategy"
        ]
        if len(strategies) != 1:
            raise CliError(
                f"config {path}: {len(documents)} YAML documents with {len(strategies)} "
                "GridStrategy among them; check-config reads one strategy per file"
            )
        documents = strategies
    data = documents[0] if documents else {}
    if not isinstance(data, dict):
        raise CliError(f"config {path}: expected a mapping, got {type(data).__name__}")
    return data


def check_document(data: dict[str, Any], source: str) -> FileCheck:
    """Validate a config file's or a GridStrategy manifest's contents (pure)."""
    check = FileCheck(source)
    if data.get("kind") == "GridStrategy":
        spec_data = data.get("spec")
        name = (data.get("metadata") or {}).get("name")
        if not isinstance(name, str) or len(name) > 63 or not _DNS_LABEL.fullmatch(name):
            check.model_errors.append(f"metadata.name: {name!r} is not a DNS label (e.g. btc-grid)")
        try:
            spec = StrategySpec.model_validate(spec_data if spec_data is not None else {})
        except ValidationError as problem:
            check.model_errors += validation_lines(problem, "spec")
            _salvage(check, spec_data if isinstance(spec_data, dict) else {})
        else:
            _accept(check, spec, str(name))
        return check
    try:
        config = StrategyConfig.model_validate(data)
    except ValidationError as problem:
        check.model_errors += validation_lines(problem)
        _salvage(check, data)
    else:
        check.connector = config.connector
        _accept(check, config, config.name)
    return check


def _accept(check: FileCheck, spec: StrategySpec, name: str) -> None:
    check.symbol, check.grid = spec.symbol, spec.grid
    grid = spec.grid
    check.summary = (
        f"strategy {name}, {spec.symbol}, {grid.mode} grid: levels {fmt(grid.price_interval)} "
        f"apart, {fmt(grid.order_quantity)} each, {grid.buy_window} buy / "
        f"{grid.sell_window if grid.mode == 'neutral' else 0} sell levels, {spec.engine.type} "
        "engine" + (", paused" if spec.paused else "")
    )
    url = spec.engine.database_url
    if url and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        check.findings.append(
            warning(
                "engine.databaseUrl",
                f"{url} is a path relative to the market maker's working directory; "
                f"sqlite:////{url.removeprefix('sqlite:///')} is absolute",
            )
        )


def _salvage(check: FileCheck, data: dict[str, Any]) -> None:
    """The symbol and grid when they are valid on their own, so the exchange can still
    be asked about them although another part of the file is wrong."""
    symbol = data.get("symbol")
    if isinstance(symbol, str) and re.fullmatch(SYMBOL_PATTERN, symbol):
        check.symbol = symbol
    try:
        check.grid = GridSettings.model_validate(data.get("grid"))
    except ValidationError:
        check.grid = None


async def exchange_check(
    check: FileCheck, address: str, token: str | None
) -> tuple[list[Finding], str]:
    """The exchange's rules for the file's symbol and grid; and a line describing them.

    The connector is asked even when the file has errors, so an unreachable one is
    reported with them; the rules need a valid symbol, and a valid grid to apply to.
    """
    try:
        async with connected(address, token) as client:
            if check.symbol is None:
                return [], f"exchange rules not checked: the symbol is invalid ({address} answers)"
            symbol = check.symbol
            with translated(address):
                try:
                    info = await client.get_symbol_info(symbol)
                    ticker = await client.get_ticker(symbol)
                except (errors.NotFound, errors.InvalidArgument) as problem:
                    said = str(problem).removeprefix("symbol: ")
                    listed = f"{symbol} is not listed on the connector at {address} ({said})"
                    return [error("symbol", listed)], ""
    except CliError as problem:
        return [error("", str(problem))], ""
    rules = describe_rules(info, ticker.price, address)
    if check.grid is None:
        return [], f"{rules}; the grid's rules not checked: the grid is invalid"
    return exchange_findings(check.grid, info, ticker.price), rules


def describe_rules(info: SymbolInfo, price: Decimal, address: str) -> str:
    quote = info.quote_asset
    fee = f", maker fee {fmt(info.maker_fee * 100)} %" if info.maker_fee else ""
    return (
        f"exchange: {info.symbol} on {address}: price {fmt(price)} {quote}, tick "
        f"{fmt(info.tick_size)}, step {fmt(info.step_size)}, min quantity "
        f"{fmt(info.min_quantity)}, min notional {fmt(info.min_notional)} {quote}{fee}"
    )


def report(
    check: FileCheck, exchange: list[Finding], rules: str, connector_given: bool
) -> list[str]:
    """The lines printed, errors first; pure."""
    lines: list[str] = []
    if check.model_errors:
        lines.append(f"invalid config {check.source}:")
        lines += [f"  {line}" for line in check.model_errors]
    elif check.summary:
        lines.append(f"{check.source}: valid ({check.summary})")
    if rules:
        lines.append(rules)
    findings = check.findings + exchange
    lines += [f"error: {f}" for f in findings if f.severity == "error"]
    lines += [f"warning: {f}" for f in findings if f.severity == "warning"]
    if not connector_given:
        hint = f" (this file's connector: {check.connector})" if check.connector else ""
        lines.append(
            "exchange rules (tick, step, min notional, fees) not checked: pass --connector "
            f"HOST:PORT{hint}"
        )
    errors_count = len(check.model_errors) + sum(f.severity == "error" for f in findings)
    warnings_count = sum(f.severity == "warning" for f in findings)
    lines.append(
        f"{check.source}: {errors_count} error{'s' * (errors_count != 1)}, "
        f"{warnings_count} warning{'s' * (warnings_count != 1)}"
    )
    return lines


def run(ns: argparse.Namespace) -> None:
    path = Path(ns.file)
    check = check_document(read_document(path), str(path))
    exchange: list[Finding] = []
    rules = ""
    if ns.connector:
        token = read_token(ns.token_file)
        exchange, rules = asyncio.run(exchange_check(check, ns.connector, token))
    print("\n".join(report(check, exchange, rules, bool(ns.connector))))
    if not check.valid or any(f.severity == "error" for f in exchange):
        raise SystemExit(2)
