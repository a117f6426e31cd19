"""Loading the engine's config file: YAML, then GRIDOPS_* environment over it.

The model itself (StrategyConfig = the GridStrategy spec + name + connector) is shared
code in gridops.spec, so the operator and the CRD use the very same one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic.alias_generators import to_camel, to_snake
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from gridops.spec import StrategyConfig


class ConfigError(ValueError):
    """A config that cannot be used; the message names every bad field."""


ENV_PREFIX = "GRIDOPS_"

#: what a config needs at least, as environment variables
REQUIRED_ENV = "GRIDOPS_NAME, GRIDOPS_SYMBOL, GRIDOPS_GRID__PRICE_INTERVAL and "
REQUIRED_ENV += "GRIDOPS_GRID__ORDER_QUANTITY"


def env_variable(loc: tuple[int | str, ...], environ: Mapping[str, str]) -> str | None:
    """The GRIDOPS_* variable that set the field at `loc` (or a level above it), if any.

    Fields are camelCase in errors and snake_case in variable names, which are matched
    without regard to case, as pydantic-settings reads them.
    """
    names = {key.upper(): key for key in environ if key.upper().startswith(ENV_PREFIX)}
    parts = [to_snake(str(part)).upper() for part in loc if isinstance(part, str)]
    for end in range(len(parts), 0, -1):
        found = names.get(ENV_PREFIX + "__".join(parts[:end]))
        if found is not None:
            return found
    return None


def describe(
    error: ValidationError, source: str, environ: Mapping[str, str] | None = None
) -> ConfigError:
    """One line per bad field; a value that came from the environment names its variable
    (never its value: a database URL may carry a password)."""
    environ = os.environ if environ is None else environ
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        variable = env_variable(item["loc"], environ)
        origin = f" (set by the environment variable {variable})" if variable else ""
        lines.append(f"  {where}: {item['msg']}{origin}")
    over = " with GRIDOPS_* environment variables over it" if "(set by" in "".join(lines) else ""
    return ConfigError("\n".join([f"invalid config {source}{over}:", *lines]))


def _nothing_given(error: ValidationError, path: Path | None) -> ConfigError | None:
    """No --config and required fields missing: say what is needed, not which field."""
    if path is not None:
        return None
    missing = [
        ".".join(str(part) for part in item["loc"])
        for item in error.errors()
        if item["type"] == "missing"
    ]
    if not missing:
        return None
    return ConfigError(
        "no strategy config: pass --config FILE (a YAML strategy, see docs/market-maker.md), "
        f"or set at least {REQUIRED_ENV} (missing: {', '.join(missing)})"
    )


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
        except OSError as error:
            raise ConfigError(
                f"--config {path}: cannot read it: {error.strerror or error}"
            ) from None
        except yaml.YAMLError as error:
            raise ConfigError(f"--config {path}: not valid YAML: {error}") from None
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
        raise _nothing_given(error, path) or describe(
            error, str(path) if path else "(environment)"
        ) from None
    except SettingsError as error:
        # A nested field given whole as JSON (GRIDOPS_GRID='{...}') that does not parse.
        field = str(error).split('"')[1] if str(error).count('"') >= 2 else ""
        variable = env_variable((field,), os.environ) if field else None
        raise ConfigError(
            f"invalid config: the environment variable {variable or ENV_PREFIX + '*'} "
            f"is not valid JSON for {field or 'its field'} ({error.__cause__ or error})"
        ) from None
