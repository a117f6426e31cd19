"""The one error the human commands raise on purpose: something the user can fix."""

from __future__ import annotations


class CliError(Exception):
    """Printed as `gridops: <message>` (one line, or a list), exit code 2, no traceback."""
