"""Secrets in what the offline engine writes: a value the program marked secret (Output.secret, secret config,
additional_secret_outputs) is written as the engine's secret marker around `[secret]`, and its plaintext appears
nowhere else in the file (a message, an export, a string the program built from it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from components.pulumi_internals import SECRET_SIG, SECRET_SIG_KEY

REDACTED = "[secret]"
MIN_SUBSTRING = 4  # shorter plaintexts are redacted where they are a whole value only (else every "1" would go)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def wrap(value: Any) -> dict[str, Any]:
    """`value` in the engine's secret wire form (what the SDK sends for Output.secret)."""
    return value if is_secret(value) else {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def plaintexts(value: Any, found: set[str] | None = None) -> set[str]:
    """Every string held inside a secret anywhere in `value` (numbers and booleans are too common to look for
    elsewhere: the secret marker around them is what hides them)."""
    found = set() if found is None else found
    if is_secret(value):
        _leaves(value.get("value"), found)
    elif isinstance(value, dict):
        for v in value.values():
            plaintexts(v, found)
    elif isinstance(value, list):
        for v in value:
            plaintexts(v, found)
    return found


def _leaves(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _leaves(v, found)
    elif isinstance(value, list):
        for v in value:
            _leaves(v, found)
    elif isinstance(value, str) and value:
        found.add(value)


class Redactor:
    """Replaces secrets and their plaintexts in values about to be written."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.exact = {t for t in texts if t}
        self.long = sorted((t for t in self.exact if len(t) >= MIN_SUBSTRING), key=len, reverse=True)

    def text(self, value: str) -> str:
        if value in self.exact:
            return REDACTED
        for secret in self.long:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def __call__(self, value: Any) -> Any:
        if is_secret(value):
            return {SECRET_SIG_KEY: SECRET_SIG, "value": REDACTED}
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
