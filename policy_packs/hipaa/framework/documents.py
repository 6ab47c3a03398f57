"""IAM-style policy documents (key, bucket, endpoint, role and trust policies) as the rules read them: parsed by
the evaluator (framework/evaluator.py), with the engine's UNKNOWN / MISSING kept, and the questions rules ask
of them answered by evaluating requests, not by reading how a statement is written.

- `open_to_outsiders`: who outside the account a statement lets in (anyone, principals of any other account,
  an AWS service acting for another account), judged on condition values: `aws:SourceAccount: "*"` under
  StringLike scopes nothing, `ForAllValues` on an absent key holds, a network condition (`aws:SourceVpce`,
  `aws:SourceIp`) limits the path and not who.
- `web_identity_trusts`: what a trust policy lets assume the role with a web identity, per OIDC issuer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import evaluator as ev
from .values import MISSING, UNKNOWN, parse_json

OUTSIDER_ACCOUNT = "999999999999"
OUTSIDER_ROLE = f"arn:aws:iam::{OUTSIDER_ACCOUNT}:role/outsider"
# Keys that say who is calling: an outsider cannot choose them (their own values are fixed by who they are).
IDENTITY_KEYS = (
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "kms:calleraccount",
    "aws:principalservicename",
    "aws:principalisawsservice",
)


@dataclass(frozen=True)
class Statement:
    """One statement: the evaluator's parsed form (`parsed`) with the accessors the rules use."""

    parsed: ev.Statement

    @property
    def raw(self) -> Mapping[str, Any]:
        return self.parsed.raw

    @property
    def effect(self) -> str:
        return self.parsed.effect

    @property
    def sid(self) -> str:
        return self.parsed.sid

    @property
    def label(self) -> str:
        return self.parsed.label

    def actions(self) -> list[str]:
        return list(self.parsed.actions or ())

    def not_actions(self) -> list[str]:
        return list(self.parsed.not_actions or ())

    def resources(self) -> list[str]:
        return list(self.parsed.resources or ())

    def principals(self, kind: str) -> list[str]:
        """Principals of one kind ("AWS", "Service", "Federated"); '*' as Principal counts as AWS '*'."""
        return list(self.parsed.principal_values(kind))

    def condition_keys(self) -> set[str]:
        return self.parsed.condition_keys()

    def condition_values(self, key: str) -> list[str]:
        return self.parsed.condition_values(key)

    def allows(self, action: str) -> bool:
        """Whether the statement's Action / NotAction covers `action` (wildcards honoured, any case)."""
        return self.parsed.covers_action(action)

    def action_set(self) -> frozenset[str]:
        return self.parsed.action_set()


def statements(document: Any) -> list[Statement] | Any:
    """The statements of a policy document (string or object): a list, or UNKNOWN / MISSING / None (a document
    IAM would refuse; `problem` says why)."""
    doc = parse_json(document)
    if doc is UNKNOWN or doc is MISSING or doc is None:
        return doc
    if isinstance(doc, Mapping) and doc.get("Statement") is UNKNOWN:
        return UNKNOWN
    try:
        return [Statement(s) for s in ev.parse(doc)]
    except ev.PolicyError:
        return None


def problem(document: Any) -> str:
    """Why a document that `statements` refused is refused."""
    doc = parse_json(document)
    if doc is None:
        return "the policy is not valid JSON"
    try:
        ev.parse(doc)
    except ev.PolicyError as exc:
        return str(exc)
    return "the policy cannot be read"


def _any_action(s: Statement) -> str:
    covered = sorted(s.action_set())
    return covered[0] if covered else (s.actions() or ["*"])[0]


def _foreign_arn(service: str) -> str:
    name = service.split(".", 1)[0]
    return f"arn:aws:{name}:us-east-1:{OUTSIDER_ACCOUNT}:outsider"


def outsider_requests(s: Statement) -> Iterator[tuple[str, ev.Request]]:
    """(who, request) for every kind of outsider that could call with this statement's actions: anyone without
    credentials, a principal of another account, each AWS service the statement names acting for another
    account. Identity keys are the outsider's own; every other key is theirs to choose."""
    action = _any_action(s)
    absent: dict[str, Any] = {k: None for k in IDENTITY_KEYS}
    yield "anyone, without credentials", ev.Request(action, ev.ANY, context=absent, chosen=True)
    for org in (None, "o-outsider"):
        yield "principals of other accounts", ev.Request(
            action, ev.ANY, principal_arn=OUTSIDER_ROLE, chosen=True,
            context={**absent, "aws:principalaccount": OUTSIDER_ACCOUNT, "aws:principalarn": OUTSIDER_ROLE,
                     "aws:principalorgid": org, "kms:calleraccount": OUTSIDER_ACCOUNT,
                     "aws:principalisawsservice": "false"},
        )  # fmt: skip
    services = s.principals("Service") + (["an-aws-service.amazonaws.com"] if "*" in s.principals("AWS") else [])
    for service in services:
        context: dict[str, Any] = {
            **absent,
            "aws:sourceaccount": OUTSIDER_ACCOUNT,
            "aws:sourceowner": OUTSIDER_ACCOUNT,
            "aws:sourcearn": _foreign_arn(service),
            "kms:calleraccount": OUTSIDER_ACCOUNT,
            "aws:principalservicename": service,
            "aws:principalisawsservice": "true",
        }
        # an encryption context that names an AWS resource names the outsider's (SNS names its topic by
        # aws:sns:topicArn, the others by aws:<service>:arn)
        for key in s.condition_keys():
            if re.fullmatch(r"kms:encryptioncontext:aws:[^:]+:(arn|topicarn)", key):
                context[key] = _foreign_arn(key.split(":")[3])
        who = "AWS services" if service.startswith("an-aws-service") else service
        yield (
            f"{who} acting for other accounts",
            ev.Request(action, ev.ANY, principal_service=service, context=context, chosen=True),
        )


def open_to_outsiders(s: Statement) -> list[str]:
    """Who outside the account an Allow statement lets in, judged by evaluating it ([] when nobody)."""
    if s.effect != "Allow" or (s.parsed.principal is None and s.parsed.not_principal is None):
        return []
    found: list[str] = []
    for who, request in outsider_requests(s):
        if who not in found and ev.applies(s.parsed, request) is not False:
            found.append(who)
    return found


def named_accounts(s: Statement) -> set[str]:
    """Accounts of the AWS principals a statement names (ids, roots, role and user ARNs)."""
    return {a for p in s.principals("AWS") if (a := ev.account_of(p))}


def is_root(principal: str) -> bool:
    return bool(re.fullmatch(r"\d{12}", principal)) or bool(re.fullmatch(r"arn:[\w-]+:iam::\d{12}:root", principal))


# --- web identity trust (IRSA) ------------------------------------------------------------------------------

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SA_PREFIX = "system:serviceaccount:"
STRAY_SUBJECT = "system:serviceaccount:enclave-probe:stray"
STRAY_AUDIENCE = "enclave-probe-audience"


@dataclass(frozen=True)
class WebTrust:
    """What a trust policy lets assume the role through one OIDC issuer."""

    issuer: str
    statements: tuple[Statement, ...]
    subjects: tuple[str, ...]  # subjects named exactly (StringEquals / ForAnyValue:StringEquals)
    stray_subject: bool  # a subject it does not name gets in
    stray_audience: bool  # a named subject gets in with another audience

    @property
    def kubernetes(self) -> bool:
        """Whether the issuer is a Kubernetes cluster's (EKS, or subjects that are ServiceAccounts)."""
        return ".eks." in self.issuer or any(s.startswith(SA_PREFIX) for s in self.subjects)


def _exact(c: ev.Condition) -> bool:
    """A condition that names values exactly (a StringLike value without a wildcard is one value too)."""
    if c.base in ("StringEquals", "StringEqualsIgnoreCase"):
        return True
    return c.base == "StringLike" and not any(ch in v for v in c.values for ch in "*?")


def _issuer(provider: str) -> str | None:
    found = re.fullmatch(r"arn:[\w-]+:iam::\d{12}:oidc-provider/(.+)", provider)
    return found[1] if found else None


def web_identity_trusts(found: Iterable[Statement]) -> list[WebTrust]:
    """Per OIDC issuer a trust policy names, who it admits (a wildcard Federated principal counts as an issuer
    '*' that admits any token)."""
    found = list(found)
    by_issuer: dict[str, list[Statement]] = {}
    for s in found:
        if s.effect != "Allow" or not s.allows(WEB_IDENTITY):
            continue
        providers = s.principals("Federated") + (["*"] if "*" in s.principals("AWS") else [])
        for provider in providers:
            issuer = "*" if provider == "*" else _issuer(provider)
            if issuer is not None:
                by_issuer.setdefault(issuer, []).append(s)
    out = []
    for issuer, stmts in by_issuer.items():
        sub = f"{issuer}:sub".lower()
        subjects = tuple(
            dict.fromkeys(
                v for s in stmts for c in s.parsed.conditions
                if c.key == sub and c.qualifier != "ForAllValues" and _exact(c) for v in c.values
            )
        )  # fmt: skip

        # subjects it does not name: the probe's, and one matching each wildcard pattern it gives
        strays = [STRAY_SUBJECT] + [
            v.replace("*", "enclave-stray").replace("?", "x")
            for s in stmts for c in s.parsed.conditions if c.key == sub for v in c.values if "*" in v or "?" in v
        ]  # fmt: skip
        stray_sub = any(_admits(stmts, issuer, x, "sts.amazonaws.com") for x in strays if x not in subjects)
        stray_aud = any(_admits(stmts, issuer, x, STRAY_AUDIENCE) for x in [*subjects, *strays])
        out.append(WebTrust(issuer, tuple(stmts), subjects, stray_sub, stray_aud))
    return out


def _admits(stmts: list[Statement], issuer: str, subject: str, audience: str) -> bool:
    """Whether a web-identity token of `issuer` for `subject` and `audience` may assume the role."""
    provider = f"arn:aws:iam::{OUTSIDER_ACCOUNT}:oidc-provider/{issuer}"
    context = {f"{issuer}:sub".lower(): subject, f"{issuer}:aud".lower(): audience, **{k: None for k in IDENTITY_KEYS}}
    request = ev.Request(WEB_IDENTITY, ev.ANY, principal_federated=provider, chosen=True, context=context)
    return any(_federated_applies(s, request, issuer) for s in stmts)


def _federated_applies(s: Statement, request: ev.Request, issuer: str) -> bool:
    """The statement admits the web-identity request of this issuer (its provider ARN's account is ours, which
    the probe cannot know: the Federated principal is matched by issuer)."""
    if s.parsed.principal is not None and "*" not in s.parsed.principal:
        named = [p for p in s.principals("Federated") if _issuer(p) == issuer]
        if not named:
            return False
        request = ev.Request(request.action, request.resource, principal_federated=named[0],
                             context=request.context, chosen=request.chosen)  # fmt: skip
    return ev.applies(s.parsed, request) is not False
