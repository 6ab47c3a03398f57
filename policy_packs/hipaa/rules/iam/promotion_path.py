"""DATA-04: what a notebook reads never comes straight from an identity that handles ePHI: a notebook identity reads
no datasets bucket, and no object it may read can be written by a training identity or by any identity that reads
datasets. Models reach notebooks through a promotion path: a prefix that only promotion identities write (they read
the training identities' candidates, and read no datasets themselves).

Identities are roles, classed by the namespaces of the ServiceAccounts they serve (annotated with them, or given
them by EKS Pod Identity): a notebooks-class namespace makes a notebook identity, a training-class one a training
identity; any role whose grants let it read an object of a datasets bucket (tagged enclave:purpose=datasets,
classified so by bucketClasses, or untagged and unclassified: it may hold them) handles ePHI too. A role's grants
are everything the stack gives it (framework.roles: inline and managed policies however attached, bucket policies
that name it), asked what they allow (framework.evaluator): reads are s3:GetObject / s3:GetObjectVersion, writes
s3:PutObject / s3:ReplicateObject, on object ARNs built from every pattern either side names (one object of each,
and of each pair), every bucket of the stack and one the policies do not name. A grant that cannot be read (an AWS
managed policy, a document not known yet) on either side cannot be shown out of the path: a finding, or not known
yet while the document is computed."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from framework import buckets, roles
from framework import evaluator as ev
from framework import types as t
from framework.kube import zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule

READS = ev.actions_matching("s3:GetObject", "s3:GetObjectVersion")
WRITES = ev.actions_matching("s3:PutObject", "s3:ReplicateObject")
PROBE = "enclave-probe"
UNNAMED_BUCKET = "enclave-probe-unnamed-bucket"
DATASETS = "datasets"


@dataclass
class Identity:
    role: Resource
    classes: set[str] = field(default_factory=set)  # zone classes of the namespaces it serves
    namespaces: set[str] = field(default_factory=set)
    own: list[Any] = field(default_factory=list)  # framework.documents statements, as the role's own
    unread: list[roles.Grant] = field(default_factory=list)

    @cached_property
    def parsed(self) -> list[Any]:
        """The statements as the evaluator reads them (asked for once `own` is filled, by _identities)."""
        return [s.parsed for s in self.own]

    def can(self, actions: frozenset[str], arn: str) -> bool:
        return any(ev.can_allow(self.parsed, ev.Request(a, arn, chosen=True)) for a in sorted(actions))

    def shown(self) -> str:
        where = ", ".join(sorted(self.namespaces))
        return f"{self.role.label()}" + (f" (serving {where})" if where else "")


def _instance(pattern: str, filler: str = PROBE) -> str:
    return pattern.replace("*", filler).replace("?", "x")


def _object_patterns(identity: Identity) -> list[str]:
    """The S3 object ARN patterns the role's statements name (Resource and NotResource)."""
    out = []
    for s in identity.own:
        for p in (*(s.parsed.resources or ()), *(s.parsed.not_resources or ())):
            if p.startswith("arn:") and ":s3:::" in p and "/" in p.partition(":s3:::")[2]:
                out.append(p)
    return out


def _probe_name(bucket: Resource) -> str:
    """The bucket's name, or for one not known yet a name it may get: its bucketPrefix and a probe, else a name no
    policy names (a grant that reaches it reaches whatever name the bucket gets)."""
    name = buckets.name(bucket)
    if name is not None:
        return name
    prefix = bucket.get("bucketPrefix")
    return f"{prefix}{PROBE}" if isinstance(prefix, str) and prefix else UNNAMED_BUCKET


def _probes(names: list[str], reader: Identity, writer: Identity) -> list[str]:
    """Object ARNs that the reader's reads and the writer's writes may both cover: one of each pattern, one of each
    pattern with its wildcards filled by the other side's literal tail, one under every bucket of the stack (`names`),
    and one in a bucket the policies do not name."""
    mine, theirs = _object_patterns(reader), _object_patterns(writer)
    out = [_instance(p) for p in (*mine, *theirs)]
    for a, b in ((mine, theirs), (theirs, mine)):
        for p in a:
            for q in b:
                tail = q.rsplit("*", 1)[-1] if "*" in q else q.partition(":s3:::")[2].partition("/")[2]
                out.append(_instance(p, tail or PROBE))
    out += [f"arn:aws:s3:::{n}/{PROBE}" for n in [*names, UNNAMED_BUCKET]]
    return list(dict.fromkeys(out))


def _identities(stack: Stack) -> dict[str, Identity]:
    namespaces = zone_namespaces(stack)
    out: dict[str, Identity] = {}
    for role in stack.of_type(*t.ROLE):
        identity = Identity(role)
        for namespace, _ in roles.service_accounts(stack, role):
            zone = namespaces.get(namespace or "")
            if zone is not None and zone.zone_class is not None:
                identity.classes.add(zone.zone_class)
                identity.namespaces.add(zone.name)
        identity.own, identity.unread = roles.permissions(stack, role)
        out[role.urn] = identity
    return out


def _datasets(stack: Stack, classes: Any) -> list[Resource]:
    return [b for b, _ in buckets.of_purposes(stack, classes, [DATASETS])]


def _reads_datasets(identity: Identity, datasets: list[Resource]) -> list[Resource]:
    """The datasets buckets the identity may read an object of: one object of the bucket, and one under each
    pattern of its statements whose bucket part matches the bucket's name (or the name it may get: _probe_name)."""
    out = []
    patterns = _object_patterns(identity)
    for bucket in datasets:
        name = _probe_name(bucket)
        keys = [PROBE] + [
            _instance(p.partition(":s3:::")[2].partition("/")[2])
            for p in patterns
            if ev.glob(p.partition(":s3:::")[2].partition("/")[0], name)
        ]
        if any(identity.can(READS, f"arn:aws:s3:::{name}/{key}") for key in keys):
            out.append(bucket)
    return out


def _unread(identity: Identity, what: str) -> Iterator[Finding]:
    for g in identity.unread:
        if g.managed is not None:
            yield Finding(
                g.holder.urn,
                f"{g.holder.label()} attaches AWS managed policy {g.managed} to {what} {identity.shown()}: its grants "
                "cannot be read here, so what it moves to notebooks cannot be shown; grant what it needs inline",
            )
        else:
            yield Finding(g.holder.urn, f"{g.holder.label()}: the grants of {what} {identity.shown()} are not known "
                          "yet", True)  # fmt: skip


@stack_rule(
    "notebooks-read-promoted-data-only",
    "DATA-04",
    "Notebooks read no datasets, and nothing a training identity writes",
    config={"bucketClasses": buckets.CLASSES_SCHEMA},
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    identities = _identities(stack)
    notebooks = [i for i in identities.values() if "notebooks" in i.classes]
    if not notebooks:
        return
    datasets = _datasets(stack, config.get("bucketClasses"))
    handlers = []
    for identity in identities.values():
        if "notebooks" in identity.classes:
            continue
        read = _reads_datasets(identity, datasets)
        if "training" in identity.classes or read:
            why = "training identity" if "training" in identity.classes else f"reader of {read[0].label()}"
            handlers.append((identity, why))
    for identity, _why in handlers:
        if "training" in identity.classes:
            yield from _unread(identity, "training identity")
    names = [_probe_name(b) for b in stack.of_type(*t.BUCKET)]  # the stack's buckets, for every pair's probes
    for nb in notebooks:
        yield from _unread(nb, "notebook identity")
        for bucket in _reads_datasets(nb, datasets):
            yield Finding(
                nb.role.urn,
                f"notebook identity {nb.shown()} may read objects of {bucket.label()}, which holds datasets (or is "
                "unclassified: it may); notebooks read promoted models only: take the datasets grant away",
            )
        for writer, why in handlers:
            shared = [p for p in _probes(names, nb, writer) if nb.can(READS, p) and writer.can(WRITES, p)]
            if shared:
                yield Finding(
                    nb.role.urn,
                    f"notebook identity {nb.shown()} may read {shared[0]}, which {writer.shown()} ({why}) may write: "
                    "ePHI reaches notebooks without promotion; let notebooks read only a prefix that only promotion "
                    "identities write",
                )
