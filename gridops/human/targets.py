"""What TARGET names: a market maker's URL, or a GridStrategy in the cluster (pure).

- `http://host:8080` (or https): a market maker; its `/status` is read directly;
- `host:8080`: the same, over plain HTTP;
- `btc-grid` (a DNS label): a GridStrategy in the current (or `-n`) namespace;
- nothing: the demo's market maker, `http://127.0.0.1:8080`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import CliError

DEFAULT_URL = "http://127.0.0.1:8080"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_HOST_PORT = re.compile(r"[A-Za-z0-9.\-]+:[0-9]{1,5}|\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class UrlTarget:
    """A market maker's base URL, without a trailing slash."""

    url: str

    @property
    def status_url(self) -> str:
        return f"{self.url}/status"


@dataclass(frozen=True, slots=True)
class StrategyTarget:
    """A GridStrategy by name; the namespace is chosen when the cluster is reached."""

    name: str


Target = UrlTarget | StrategyTarget


def parse_target(text: str | None) -> Target:
    """The target `text` names; CliError when it is neither a URL nor a strategy name."""
    if text is None or text == "":
        return UrlTarget(DEFAULT_URL)
    if "://" in text:
        return UrlTarget(_base_url(text))
    if _HOST_PORT.fullmatch(text):
        return UrlTarget(_base_url(f"http://{text}"))
    if len(text) <= 63 and _DNS_LABEL.fullmatch(text):
        return StrategyTarget(text)
    raise CliError(
        f"TARGET {text!r} is neither a market maker's URL (e.g. {DEFAULT_URL}) nor a "
        "GridStrategy name (a DNS label such as btc-grid)"
    )


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"TARGET {text!r}: a market maker's URL is http://HOST:PORT")
    path = parts.path.rstrip("/")
    if path.endswith("/status"):  # pasted from a browser
        path = path[: -len("/status")]
    return f"{parts.scheme}://{parts.netloc}{path}"
