"""DATA-03: inference identities are read-only, and notebook identities never reach production model storage.

A role's zone is the class of the namespace of the ServiceAccounts it serves (annotated with it, or given it by an
EKS Pod Identity association). Its permissions are everything the stack gives it (framework.roles: inline
policies, managed policies however attached, bucket policies that name it), and they are asked what they allow:
inference may write nothing (no catalog write on an S3 object, no KMS encryption), on any resource; a notebook
may read, list or write no object of a production models bucket (tagged enclave:purpose=models and
enclave:stage=production, classified by the pack config's bucketClasses, or untagged: the strictest class). An
AWS managed policy on such a role is a finding: its grants cannot be read here."""

from collections.abc import Iterator
from typing import Any

from framework import buckets, roles
from framework import evaluator as ev
from framework import types as t
from framework.documents import statements
from framework.kube import zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

WRITES = frozenset(
    a for a in ev.expand_actions("s3:*") if "object" in ev.resource_types(a) and "Read" not in ev.access_level(a)
    and "List" not in ev.access_level(a) and "Tagging" not in ev.access_level(a)
) | ev.actions_matching("kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")  # fmt: skip
READS = ev.actions_matching("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject")


def production_models(stack: Stack, classes: object) -> list[Resource]:
    return [b for b, _ in buckets.of_purposes(stack, classes, ["models"], stage="production")]


def bucket_probes(found: list, name: str) -> list[str]:
    """ARNs in the bucket that the statements may cover: the bucket, any object, and one object under each
    pattern whose bucket part matches the bucket's name."""
    out = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/enclave-probe"]
    for s in found:
        for pattern in s.resources():
            head, _, key = pattern.partition(":s3:::")[2].partition("/")
            if key and ev.glob(head, name):
                out.append(f"arn:aws:s3:::{name}/{key.replace('*', 'enclave-probe').replace('?', 'x')}")
    return out


def _granted(docs: list, actions: frozenset[str], resource: Any) -> list[str]:
    found = [s.parsed for d in docs for s in d]
    names = {**ev.service_actions("s3"), **ev.service_actions("kms")}
    return [names.get(a, a) for a in sorted(actions) if ev.can_allow(found, ev.Request(a, resource, chosen=True))]


@stack_rule(
    "zone-data-access",
    "DATA-03",
    "Inference is read-only; notebooks never reach production models",
    config={"bucketClasses": buckets.CLASSES_SCHEMA},
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    namespaces = zone_namespaces(stack)
    prod_models = production_models(stack, config.get("bucketClasses"))
    for role in stack.of_type(*t.ROLE):
        zones = {
            ns.zone_class: ns.name
            for namespace, _ in roles.service_accounts(stack, role)
            if (ns := namespaces.get(namespace or "")) and ns.zone_class in ("inference", "notebooks")
        }
        for zone_class, namespace in zones.items():
            yield from _check_role(stack, role, zone_class, namespace, prod_models)


def _check_role(
    stack: Stack, role: Resource, zone_class: str, namespace: str, prod: list[Resource]
) -> Iterator[Finding]:
    granted = roles.grants(stack, role)
    docs = []
    for g in granted:
        if g.managed is not None:
            yield Finding(
                g.holder.urn,
                f"{g.holder.label()} attaches AWS managed policy {g.managed} to the {zone_class} identity of "
                f"{namespace} ({role.name}): its grants cannot be read here; grant what it needs inline",
            )
            continue
        found = statements(g.document)
        if found is UNKNOWN:
            if zone_class == "inference":
                yield Finding(
                    g.holder.urn, f"{g.holder.label()}: the grants of an inference identity are not known yet", True
                )
            continue
        if isinstance(found, list):
            docs.append((g.holder, roles.as_own(g.holder, found, role)))
    for holder, found in docs:
        if zone_class == "inference":
            writes = _granted([found], WRITES, ev.ANY)
            if writes:
                shown = ", ".join(writes[:4]) + (f" and {len(writes) - 4} more" if len(writes) > 4 else "")
                yield Finding(
                    holder.urn,
                    f"{holder.label()} lets inference identity in {namespace} write ({shown}); inference is read-only",
                )
            continue
        for bucket in prod:
            name = buckets.name(bucket)
            reached = name is not None and any(_granted([found], READS, arn) for arn in bucket_probes(found, name))
            if reached or holder.depends_on(bucket.urn, "policy"):
                yield Finding(
                    holder.urn,
                    f"{holder.label()} gives notebook identity in {namespace} access to production models bucket "
                    f"{bucket.name}",
                )
