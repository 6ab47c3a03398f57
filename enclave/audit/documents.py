"""Policy documents as the audit reads them: every legal shape normalized (a Statement object or list, a bare
'*' Principal, string or list Action), anything else a MalformedPolicy the caller reports, never a pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


class MalformedPolicy(Exception):
    """The document is not a policy the audit can reason about: reported as a finding by the caller."""


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise MalformedPolicy(
        f"{where} is {type(value).__name__} {json.dumps(value)[:80]}, not a string or list of strings"
    )


@dataclass
class Statement:
    sid: str
    effect: str
    actions: list[str]
    not_actions: list[str]
    principals: dict[str, list[str]]  # "*" becomes {"AWS": ["*"]}
    not_principal: bool
    resources: list[str]
    conditions: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # operator -> key (lower) -> values

    @property
    def public(self) -> bool:
        return self.not_principal or "*" in self.principals.get("AWS", []) or "*" in self.principals.get("*", [])

    def condition_values(self, key: str) -> list[str]:
        return [v for op in self.conditions.values() for k, vals in op.items() if k == key.lower() for v in vals]

    def has_condition(self, *keys: str) -> bool:
        wanted = {k.lower() for k in keys}
        return any(k in wanted for op in self.conditions.values() for k in op)

    def allows_action(self, action: str) -> bool:
        """Whether the statement's Action (or NotAction) covers `action` (service:name, with * patterns)."""
        if self.not_actions:
            return not any(_match(p, action) for p in self.not_actions)
        return any(_match(p, action) for p in self.actions)

    def label(self) -> str:
        return self.sid or "(no Sid)"


def _match(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def parse(document: Any) -> list[Statement]:
    """The statements of a policy (a JSON string, URL-encoded JSON as IAM returns it, or a parsed dict)."""
    if isinstance(document, str):
        text = document
        try:
            data = json.loads(text)
        except ValueError:
            try:
                data = json.loads(unquote(text))
            except json.JSONDecodeError as exc:
                raise MalformedPolicy(f"not valid JSON ({exc.msg} at char {exc.pos})") from None
    else:
        data = document
    if not isinstance(data, dict):
        raise MalformedPolicy(f"the document is a JSON {type(data).__name__}, not an object")
    raw = data.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise MalformedPolicy("Statement is missing or neither an object nor a non-empty list")
    out = []
    for i, s in enumerate(raw):
        where = f"Statement[{i}]"
        if not isinstance(s, dict):
            raise MalformedPolicy(f"{where} is {type(s).__name__}, not an object")
        effect = s.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise MalformedPolicy(f"{where}.Effect is {effect!r}, not Allow or Deny")
        if ("Action" in s) == ("NotAction" in s):
            raise MalformedPolicy(f"{where} needs exactly one of Action and NotAction")
        principals: dict[str, list[str]] = {}
        not_principal = "NotPrincipal" in s
        principal = s.get("Principal", s.get("NotPrincipal"))
        if principal == "*":
            principals = {"AWS": ["*"]}
        elif isinstance(principal, dict):
            principals = {str(k): _strings(v, f"{where}.Principal.{k}") for k, v in principal.items()}
        elif principal is not None:
            raise MalformedPolicy(f"{where}.Principal is {json.dumps(principal)[:80]}, not '*' or an object")
        conditions: dict[str, dict[str, list[str]]] = {}
        condition = s.get("Condition", {})
        if not isinstance(condition, dict):
            raise MalformedPolicy(f"{where}.Condition is {type(condition).__name__}, not an object")
        for op, entries in condition.items():
            if not isinstance(entries, dict):
                raise MalformedPolicy(f"{where}.Condition.{op} is {type(entries).__name__}, not an object")
            block: dict[str, list[str]] = {}
            for key, value in entries.items():
                values = value if isinstance(value, list) else [value]
                if not all(isinstance(v, str | bool | int | float) and v is not None for v in values):
                    raise MalformedPolicy(f"{where}.Condition.{op}.{key} holds {json.dumps(value)[:80]}")
                block[str(key).lower()] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
            conditions[str(op)] = block
        out.append(
            Statement(
                sid=str(s.get("Sid", "")),
                effect=effect,
                actions=_strings(s["Action"], f"{where}.Action") if "Action" in s else [],
                not_actions=_strings(s["NotAction"], f"{where}.NotAction") if "NotAction" in s else [],
                principals=principals,
                not_principal=not_principal,
                resources=_strings(s.get("Resource", s.get("NotResource", [])), f"{where}.Resource"),
                conditions=conditions,
            )
        )
    return out
