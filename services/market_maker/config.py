"""Loading the engine's config file: YAML, then GRIDOPS_* environment over it.

The model itself (StrategyConfig = the GridStrategy spec + name + connector) is shared
code in gridops.spec, so the operator and the CRD use the very same one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from gridops.spec import StrategyConfig


class ConfigError(ValueError):
    """A config that cannot be used; the message names every bad field."""


def describe(error: ValidationError, source: str) -> ConfigError:
    lines = [f"invalid config {source}:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return ConfigError("\n".join(lines))


def _camelize(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(key): _camelize(item) for key, item in value.items()}
    return value


class _CamelCaseSource(PydanticBaseSettingsSource):
    """The environment, keyed like the file (camelCase), so the two merge key by key.

    GRIDOPS_GRID__BUY_WINDOW comes out of the env source as grid.buy_window; left so, it
    would sit beside the file's grid.buyWindow instead of replacing it.
    """

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return {key: _camelize(value) for key, value in self.inner().items()}


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> StrategyConfig:
    """Build the config: `overrides` > GRIDOPS_* environment > the YAML file at `path`.

    Environment variables use snake_case paths with `__` between levels, e.g.
    GRIDOPS_SYMBOL, GRIDOPS_GRID__PRICE_INTERVAL, GRIDOPS_ENGINE__TYPE.
    """
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"cannot read config {path}: {error}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config {path}: expected a mapping, got {type(data).__name__}")
    else:
        data = {}

    class FileConfig(StrategyConfig, BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix="GRIDOPS_", env_nested_delimiter="__", extra="forbid"
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                _CamelCaseSource(settings_cls, env_settings),
                InitSettingsSource(settings_cls, data),
            )

    try:
        return FileConfig(**(overrides or {}))
    except ValidationError as error:
        raise describe(error, str(path) if path else "(environment)") from None
