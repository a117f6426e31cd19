"""How a user changes a strategy from here: the market maker's endpoints, or kubectl (pure).

Under the operator `spec.paused` and the clear-halt annotation are the controls (BRIEF §6);
a market maker run by hand takes POST /resume and /risk/clear.
"""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_NOTE = "add -H 'authorization: Bearer <control token>' when it has one"


@dataclass(frozen=True, slots=True)
class Controls:
    """One of: `url` (a market maker run by hand), or `name` + `namespace` (a GridStrategy)."""

    url: str | None = None
    name: str | None = None
    namespace: str | None = None

    def _kubectl(self, verb: str) -> str:
        return f"kubectl -n {self.namespace} {verb}"

    def clear_halt(self) -> str:
        if self.name is not None:
            return self._kubectl(f"annotate gs {self.name} gridops.io/clear-halt=now")
        return f"curl -X POST {self.url}/risk/clear ({TOKEN_NOTE})"

    def resume(self) -> str:
        if self.name is not None:
            patch = """'{"spec":{"paused":false}}'"""
            return self._kubectl(f"patch gs {self.name} --type merge -p {patch}")
        return f"curl -X POST {self.url}/resume ({TOKEN_NOTE})"

    def pause(self) -> str:
        if self.name is not None:
            patch = """'{"spec":{"paused":true}}'"""
            return self._kubectl(f"patch gs {self.name} --type merge -p {patch}")
        return f"curl -X POST {self.url}/pause ({TOKEN_NOTE})"
