"""A small IAM policy evaluator: what one resource or identity policy decides for one request.

Rules use it to check what a policy means rather than how it is written (a bucket policy must let a
header-less upload through and refuse a foreign key); the project's tests use it for the components' policies.

It covers what the project's policies use (Principal / Action / Resource / NotResource, and the String*,
Arn*, Bool and Null condition operators with their IfExists forms), with AWS's documented semantics:

- statements: an explicit Deny wins over any Allow; no match is an implicit deny;
- conditions: operators are ANDed, keys within an operator are ANDed, values of one key are ORed;
- a key absent from the request makes a positive operator false and a negated one (`...Not...`) true;
  an `...IfExists` operator is true when the key is absent; `Null: "true"` means the key is absent;
- `ForAnyValue:` holds when some value of a multivalued key matches (never for an absent key),
  `ForAllValues:` when every value does (always for an absent key).

Anything outside this subset raises ValueError instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["Allow", "Deny", "ImplicitDeny"]


@dataclass(frozen=True)
class Request:
    """One API call: who (a service principal, an IAM ARN, or anonymous), what, on which resource, and the
    request context (condition keys; absent keys are absent)."""

    action: str
    resource: str
    principal_service: str | None = None
    principal_arn: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


def principal_context(principal_arn: str | None = None, service: str | None = None) -> dict[str, str]:
    """The keys AWS puts in every request's context for its principal (IAM user guide, global condition keys):
    aws:PrincipalArn and aws:PrincipalAccount for an IAM principal (a role session's is the role's ARN),
    aws:PrincipalServiceName for a service principal, aws:PrincipalIsAWSService for both. Merge it into a
    Request's context so conditions on the principal (a data perimeter) are judged as AWS judges them."""
    if service is not None:
        return {"aws:PrincipalServiceName": service, "aws:PrincipalIsAWSService": "true"}
    out = {"aws:PrincipalIsAWSService": "false"}
    if principal_arn is not None:
        out["aws:PrincipalArn"] = principal_arn
        parts = principal_arn.split(":")
        if len(parts) > 4 and parts[4]:
            out["aws:PrincipalAccount"] = parts[4]
    return out


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None


def _principal_matches(principal: Any, req: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        raise ValueError(f"unsupported Principal {principal!r}")
    for kind, values in principal.items():
        for value in _listify(values):
            if kind == "AWS" and (value == "*" or value == req.principal_arn):
                return True
            if kind == "AWS" and req.principal_arn and value.endswith(":root"):
                account = value.split(":")[4]
                if req.principal_arn.split(":")[4] == account:
                    return True
            if kind == "Service" and value == req.principal_service:
                return True
            if kind not in ("AWS", "Service"):
                raise ValueError(f"unsupported principal kind {kind!r}")
    return False


def _matches_any(patterns: Any, value: str, case_sensitive: bool) -> bool:
    return any(_glob(p, value, case_sensitive) for p in _listify(patterns))


OPERATORS = {
    "StringEquals": (lambda p, v: str(v) == p, False),
    "StringNotEquals": (lambda p, v: str(v) == p, True),
    "StringEqualsIgnoreCase": (lambda p, v: str(v).lower() == p.lower(), False),
    "StringLike": (lambda p, v: _glob(p, str(v)), False),
    "StringNotLike": (lambda p, v: _glob(p, str(v)), True),
    "ArnEquals": (lambda p, v: str(v) == p, False),
    "ArnLike": (lambda p, v: _glob(p, str(v)), False),
    "ArnNotEquals": (lambda p, v: str(v) == p, True),
    "ArnNotLike": (lambda p, v: _glob(p, str(v)), True),
    "Bool": (lambda p, v: str(v).lower() == str(p).lower(), False),
}


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    qualifier, _, operator = operator.rpartition(":")
    if qualifier:  # a set operator over a multivalued key (kms:ResourceAliases, aws:TagKeys)
        values = _listify(context.get(key, []))
        holds = [_condition_holds(operator, key, expected, {key: v}) for v in values]
        if qualifier == "ForAnyValue":
            return any(holds)
        if qualifier == "ForAllValues":
            return all(holds)
        raise ValueError(f"unsupported set qualifier {qualifier!r}")
    present = key in context
    if operator == "Null":
        want_absent = str(expected).lower() == "true"
        return want_absent != present
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in OPERATORS:
        raise ValueError(f"unsupported condition operator {operator!r}")
    if not present:
        return if_exists or OPERATORS[base][1]
    match, negated = OPERATORS[base]
    values = _listify(context[key])
    hit = any(match(str(p), v) for p in _listify(expected) for v in values)
    return not hit if negated else hit


def _statement_applies(stmt: Mapping[str, Any], req: Request) -> bool:
    if "NotPrincipal" in stmt or "NotAction" in stmt:
        raise ValueError("NotPrincipal / NotAction are not used by the project's policies")
    if "Principal" in stmt and not _principal_matches(stmt["Principal"], req):
        return False
    if not _matches_any(stmt["Action"], req.action, case_sensitive=False):
        return False
    if "Resource" in stmt and not _matches_any(stmt["Resource"], req.resource, case_sensitive=True):
        return False
    if "NotResource" in stmt and _matches_any(stmt["NotResource"], req.resource, case_sensitive=True):
        return False
    for operator, keys in (stmt.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, req.context):
                return False
    return True


def evaluate(policy: Mapping[str, Any], req: Request) -> Decision:
    """The decision of `policy` alone for `req`."""
    decision: Decision = "ImplicitDeny"
    for stmt in _listify(policy["Statement"]):
        if _statement_applies(stmt, req):
            if stmt["Effect"] == "Deny":
                return "Deny"
            decision = "Allow"
    return decision


def denying_statements(policy: Mapping[str, Any], req: Request) -> list[str]:
    """Sids of the Deny statements that apply to `req` (for assertion messages)."""
    return [
        s.get("Sid", "?") for s in _listify(policy["Statement"]) if s["Effect"] == "Deny" and _statement_applies(s, req)
    ]


__all__ = ["Request", "denying_statements", "evaluate", "principal_context"]
