"""IAM-style policy documents (key, bucket, endpoint, role and trust policies) read defensively."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .values import MISSING, UNKNOWN, as_list, parse_json

# Condition keys that pin a statement to one account (or one resource of it): a statement for '*' that
# carries one of them is not public.
ACCOUNT_SCOPING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalArn",
        "aws:ResourceAccount",
        "aws:SourceVpce",
        "aws:SourceVpc",
        "kms:CallerAccount",
    )
)


@dataclass(frozen=True)
class Statement:
    raw: Mapping[str, Any]

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", ""))

    @property
    def sid(self) -> str:
        return str(self.raw.get("Sid", ""))

    def actions(self) -> list[str]:
        return [str(a) for a in as_list(self.raw.get("Action", MISSING)) if isinstance(a, str)]

    def not_actions(self) -> list[str]:
        return [str(a) for a in as_list(self.raw.get("NotAction", MISSING)) if isinstance(a, str)]

    def resources(self) -> list[str]:
        return [str(r) for r in as_list(self.raw.get("Resource", MISSING)) if isinstance(r, str)]

    def principal(self) -> Any:
        return self.raw.get("Principal", MISSING)

    def principals(self, kind: str) -> list[str]:
        """Principals of one kind ("AWS", "Service", "Federated"); '*' as Principal counts as AWS '*'."""
        p = self.principal()
        if p == "*":
            return ["*"] if kind == "AWS" else []
        if isinstance(p, Mapping):
            return [str(v) for v in as_list(p.get(kind, MISSING))]
        return []

    def is_everyone(self) -> bool:
        return "*" in self.principals("AWS") or self.raw.get("NotPrincipal", MISSING) is not MISSING

    def conditions(self) -> dict[str, dict[str, Any]]:
        c = self.raw.get("Condition", {})
        return {str(op): dict(v) for op, v in c.items() if isinstance(v, Mapping)} if isinstance(c, Mapping) else {}

    def condition_keys(self) -> set[str]:
        return {str(k).lower() for block in self.conditions().values() for k in block}

    def condition_values(self, key: str) -> list[Any]:
        """Every value given for condition key `key` (case-insensitive), under any operator."""
        out: list[Any] = []
        for block in self.conditions().values():
            for k, v in block.items():
                if str(k).lower() == key.lower():
                    out += as_list(v)
        return out

    def scoped_to_account(self) -> bool:
        return bool(self.condition_keys() & ACCOUNT_SCOPING_KEYS)

    def allows(self, action: str) -> bool:
        """Whether the statement's Action covers `action` (wildcards in the statement honoured)."""
        return any(fnmatch.fnmatch(action.lower(), a.lower()) for a in self.actions())


def statements(document: Any) -> list[Statement] | Any:
    """The statements of a policy document (string or object): a list, or UNKNOWN / MISSING / None (invalid)."""
    doc = parse_json(document)
    if doc is UNKNOWN or doc is MISSING or doc is None:
        return doc
    if not isinstance(doc, Mapping):
        return None
    raw = doc.get("Statement", MISSING)
    if raw is UNKNOWN:
        return UNKNOWN
    items = as_list(raw)
    if not all(isinstance(s, Mapping) for s in items):
        return None  # a statement that is not an object: AWS refuses the document, and so do the rules
    return [Statement(s) for s in items]


def allow_statements(document: Any) -> Iterator[Statement]:
    found = statements(document)
    if isinstance(found, list):
        yield from (s for s in found if s.effect == "Allow")


def is_wildcard_action(action: str) -> bool:
    """'*', or a whole service ('s3:*', 'kms:*', 'iam:*')."""
    return action == "*" or action.endswith(":*")
