"""IAM-02: identity policies name their actions and resources: no statement grants every action of a service,
and data actions (S3 objects and listings, KMS encryption) reach only buckets and keys a statement names.

Decided by evaluating each statement against the IAM action catalog and probe resources: `s3:Get*`, `NotAction`,
upper case and single-statement documents count for what they grant; a bucket is named when its name has no
wildcard (`prod-*` covers buckets nobody named); a key may be named by alias (this account's key/* narrowed by
kms:ResourceAliases values that name an alias)."""

from collections.abc import Iterator

from framework import evaluator as ev
from framework import types as t
from framework.data_actions import DATA_PREFIXES
from framework.documents import Statement, problem, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN, as_list

DATA = frozenset(a for p in DATA_PREFIXES for a in ev.expand_actions(f"{p}*"))
UNNAMED = "enclave-unnamed"
UNNAMED_ALIAS = f"alias/{UNNAMED}"
S3_PROBES = (f"arn:aws:s3:::{UNNAMED}-bucket", f"arn:aws:s3:::{UNNAMED}-bucket/{UNNAMED}")
KMS_PROBE = f"arn:aws:kms:us-east-1:000000000000:key/{UNNAMED}"


def documents(r: Resource) -> list:
    if r.type in t.ROLE:
        return [p.get("policy") for p in as_list(r.get("inlinePolicies")) if isinstance(p, dict)]
    return [r.get("policy")]


def whole_services(s: Statement) -> list[str]:
    """The services every action of which the statement grants ('*' when it is every action)."""
    granted = s.action_set()
    if granted >= ev.all_actions():
        return ["*"]
    return [f"{svc}:*" for svc in ev.services() if (acts := ev.service_actions(svc)) and granted >= acts.keys()]


def _substitute(pattern: str) -> str:
    return pattern.replace("*", UNNAMED).replace("?", "x")


def _bucket_wildcard(pattern: str) -> bool:
    if not pattern.startswith("arn:") or ":s3:::" not in pattern:
        return False
    bucket = pattern.split(":::", 1)[1].split("/", 1)[0]
    return "*" in bucket or "?" in bucket


def probe_resources(s: Statement) -> list[str]:
    """Concrete ARNs of buckets and keys the statement does not name, which it may still cover."""
    out = [*S3_PROBES, KMS_PROBE]
    for p in s.resources():
        if _bucket_wildcard(p) or (":kms:" in p and any(ch in p.rsplit(":", 1)[-1] for ch in "*?")):
            out.append(_substitute(p))
    return out


def unnamed_data(s: Statement) -> dict[str, list[str]]:
    """resource probe -> data actions the statement grants on it."""
    data = sorted(s.action_set() & DATA) or [a for a in s.actions() if a.lower().startswith(DATA_PREFIXES)]
    out: dict[str, list[str]] = {}
    for arn in probe_resources(s):
        service = arn.split(":")[2]
        for action in (a for a in data if a.split(":")[0] == service):
            request = ev.Request(action, arn, context={"kms:resourcealiases": [UNNAMED_ALIAS]}, chosen=True)
            if ev.applies(s.parsed, request) is not False:
                out.setdefault(arn, []).append(action)
    return out


def _shown(actions: list[str], limit: int = 4) -> str:
    more = f" and {len(actions) - limit} more" if len(actions) > limit else ""
    return ", ".join(actions[:limit]) + more


@resource_rule(
    "iam-policies-name-actions-and-resources",
    "IAM-02",
    "Identity policies name their actions and resources",
    (*t.IDENTITY_POLICIES, *t.ROLE),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    for document in documents(r):
        found = statements(document)
        if found is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: the policy document is not known yet", True)
            continue
        if found is None:
            yield Finding(r.urn, f"{r.label()}: a policy document is refused by AWS ({problem(document)})")
        if not isinstance(found, list):
            continue
        for s in found:
            if s.effect != "Allow":
                continue
            wide = whole_services(s)
            if wide:
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {s.label} grants every action of {', '.join(wide)}; name the actions",
                )
            # One finding per kind of resource: a bucket's probes (the bucket, an object in it) share their fix.
            by_kind: dict[str, tuple[list[str], list[str]]] = {}
            for arn, granted in unnamed_data(s).items():
                actions, named = by_kind.setdefault("key" if ":kms:" in arn else "bucket", ([], []))
                actions.extend(a for a in granted if a not in actions)
                named.extend(p for p in s.resources() if ev.glob(p, arn) and p not in named)
            for kind, (actions, named) in by_kind.items():
                fix = "key or narrow by kms:ResourceAliases" if kind == "key" else "bucket and prefix"
                named = named or ["NotResource"]
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {s.label} allows {_shown(actions)} on a {kind} it does not name "
                    f"(through {', '.join(named)}); name the {fix}",
                )
