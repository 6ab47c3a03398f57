"""IAM-02: identity policies name their actions and resources: no service-wide actions, no '*' resource for
data actions (S3 objects and listings, KMS encryption), no bucket wildcard. A KMS key may be named by alias:
this account's key/* narrowed by kms:ResourceAliases."""

from collections.abc import Iterator

from framework import types as t
from framework.data_actions import DATA_PREFIXES
from framework.documents import is_wildcard_action, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN, as_list


def _documents(r: Resource) -> list:
    if r.type in t.ROLE:
        return [p.get("policy") for p in as_list(r.get("inlinePolicies")) if isinstance(p, dict)]
    return [r.get("policy")]


@resource_rule(
    "iam-policies-name-actions-and-resources",
    "IAM-02",
    "Identity policies name their actions and resources",
    (*t.IDENTITY_POLICIES, *t.ROLE),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    for document in _documents(r):
        found = statements(document)
        if found is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: the policy document is not known yet", True)
            continue
        if found is None:
            yield Finding(
                r.urn, f"{r.label()}: a policy document is not a valid JSON policy document (AWS would refuse it)"
            )
        if not isinstance(found, list):
            continue
        for s in found:
            if s.effect != "Allow":
                continue
            sid = s.sid or "(no Sid)"
            wide = [a for a in s.actions() if is_wildcard_action(a)] + (["NotAction"] if s.not_actions() else [])
            if wide:
                yield Finding(r.urn, f"{r.label()}: statement {sid} allows {', '.join(wide)}; name the actions")
            data = [a for a in s.actions() if a.lower().startswith(DATA_PREFIXES)]
            if not data:
                continue
            for resource in s.resources():
                if resource == "*" or resource.startswith("arn:aws:s3:::*") or resource.endswith(":s3:::*"):
                    yield Finding(
                        r.urn,
                        f"{r.label()}: statement {sid} allows {', '.join(data)} on {resource}; name the bucket and "
                        "prefix or key",
                    )
                elif resource.endswith(":key/*") and not s.condition_values("kms:ResourceAliases"):
                    yield Finding(
                        r.urn,
                        f"{r.label()}: statement {sid} allows {', '.join(data)} on every key of the account; name the "
                        "key or narrow by kms:ResourceAliases",
                    )
