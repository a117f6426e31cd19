"""The --keys file: a YAML mapping of API key to secret, each key one account."""

from __future__ import annotations

from pathlib import Path

import yaml

from gridops.startup import StartupError


def load_keys(path: Path) -> dict[str, str]:
    """The keys in file order (the first is the Simulator's default account)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StartupError(f"--keys {path}: cannot read it: {error.strerror or error}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise StartupError(f"--keys {path}: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not data:
        raise StartupError(
            f"--keys {path}: expected a mapping of API key to secret, e.g. 'my-key: my-secret'"
        )
    keys: dict[str, str] = {}
    for key, secret in data.items():
        if not isinstance(key, str) or not key or not key.isascii() or " " in key:
            raise StartupError(f"--keys {path}: API key {key!r} must be a non-empty ASCII word")
        if not isinstance(secret, str) or not secret:
            # never echo a secret: name the key whose secret is wrong
            raise StartupError(f"--keys {path}: the secret of {key!r} must be a non-empty string")
        keys[key] = secret
    return keys
