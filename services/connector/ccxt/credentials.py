"""The API key and secret of the account, from a YAML file (a mounted Secret).

The secret never reaches a log line or an error message: errors name the file and the
flag, and `Credentials.__repr__` hides both values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gridops.startup import StartupError

FLAG = "--credentials-file (env GRIDOPS_CONNECTOR_CREDENTIALS_FILE)"


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)

    def redact(self, text: str) -> str:
        """`text` with the key and the secret blanked out (a venue may echo the key)."""
        for value in (self.secret, self.api_key):
            if value:
                text = text.replace(value, "***")
        return text


def load_credentials(path: Path) -> Credentials:
    """Read `apiKey` and `secret`; a StartupError naming the flag when that fails."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise StartupError(f"{FLAG} {path}: cannot read it: {reason}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        # The parser's message quotes the offending line, which may hold the secret.
        raise StartupError(f"{FLAG} {path}: not valid YAML") from None
    if not isinstance(document, dict):
        raise StartupError(f"{FLAG} {path}: must be a YAML mapping with apiKey and secret")
    unknown = sorted(str(k) for k in document if k not in ("apiKey", "secret"))
    if unknown:
        raise StartupError(
            f"{FLAG} {path}: unknown keys {', '.join(unknown)} (only apiKey and secret)"
        )
    values: dict[str, str] = {}
    for key in ("apiKey", "secret"):
        value = document.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise StartupError(f"{FLAG} {path}: {key} is missing or empty")
        if not isinstance(value, str):
            raise StartupError(f"{FLAG} {path}: {key} must be a string")
        values[key] = value.strip()
    return Credentials(api_key=values["apiKey"], secret=values["secret"])
