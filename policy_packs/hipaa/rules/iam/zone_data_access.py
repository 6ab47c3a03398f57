"""DATA-03: inference identities are read-only, and notebook identities never reach production model storage.

A workload role's zone is its ServiceAccount's namespace's class; its grants are its inline policies; a
production models bucket is one tagged enclave:purpose=models and enclave:stage=production, reached by name
in a statement or by dependency."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.documents import allow_statements
from framework.kube import namespace_of, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

WRITES = (
    "s3:putobject",
    "s3:deleteobject",
    "s3:deleteobjectversion",
    "s3:putobjectacl",
    "s3:restoreobject",
    "kms:generatedatakey",
    "kms:encrypt",
    "s3:*",
    "kms:*",
    "*",
)


def _production_models(stack: Stack) -> list[Resource]:
    return [
        b
        for b in stack.of_type(*t.BUCKET)
        if b.tag("enclave:purpose") == "models" and b.tag("enclave:stage") == "production"
    ]


@stack_rule("zone-data-access", "DATA-03", "Inference is read-only; notebooks never reach production models")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    namespaces = zone_namespaces(stack)
    prod_models = _production_models(stack)
    for sa in stack.of_type(*t.SERVICE_ACCOUNT):
        ns = namespaces.get(namespace_of(sa) or "")
        if ns is None or ns.zone_class not in ("inference", "notebooks"):
            continue
        for role in stack.sources(sa, "metadata", *t.ROLE):
            for policy in stack.users(role.urn, *t.ROLE_POLICY, prop="role"):
                yield from _check_policy(ns.zone_class, ns.name, policy, prod_models)


def _check_policy(
    zone_class: str | None, namespace: str, policy: Resource, prod_models: list[Resource]
) -> Iterator[Finding]:
    document = policy.get("policy")
    if document is UNKNOWN and zone_class == "inference":
        yield Finding(policy.urn, f"{policy.label()}: the grants of an inference identity are not known yet", True)
    if zone_class == "inference":
        for s in allow_statements(document):
            writes = [a for a in s.actions() if a.lower().startswith(WRITES)]
            if writes:
                yield Finding(
                    policy.urn,
                    f"{policy.label()} lets inference identity in {namespace} write ({', '.join(writes)}); inference "
                    "is read-only",
                )
        return
    for bucket in prod_models:
        name = buckets.name(bucket)
        named = name is not None and any(name in res for s in allow_statements(document) for res in s.resources())
        if named or policy.depends_on(bucket.urn, "policy"):
            yield Finding(
                policy.urn,
                f"{policy.label()} gives notebook identity in {namespace} access to production models bucket "
                f"{bucket.name}",
            )
