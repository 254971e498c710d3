"""What never reaches a report or an error message: values of secret-looking columns.

Reports and errors end up in Ansible output and logs; the snapshot and the
lost-values file (0600) keep such values whole.
"""

from __future__ import annotations

from typing import Any

SECRET_WORDS = ("password", "secret", "token", "session_data", "api_key")
HIDDEN = "<hidden>"


def is_secret(name: str | None) -> bool:
    return name is not None and any(word in name.lower() for word in SECRET_WORDS)


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """A row for a message, with values of secret-looking columns hidden."""
    return {name: HIDDEN if is_secret(name) else value for name, value in values.items()}
