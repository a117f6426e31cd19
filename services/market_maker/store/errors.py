"""The store's own error: a database it cannot (or must not) use."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Unsupported URL, a schema newer than this code, a strategy saved without meta."""
