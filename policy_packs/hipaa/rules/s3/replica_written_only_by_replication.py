"""RECOVER-05: a backup replica (the destination of a replication rule of the stack) can be written, overwritten and
deleted only by the roles that replicate into it, and those are not refused; judged by asking its bucket policy.

Who writes a replica is its bucket policy's decision, not IAM's alone: an admin role with s3:* (the deployment
role, a break-glass role) or any role of the account a future policy grants would otherwise be able to overwrite
or delete the copy, and with it the backup. So every principal but the replication roles (the `role` of the
replication configurations writing into the bucket) must be refused explicitly, whatever it chooses to send
(network path, service path, tags): a stranger role of the account, and every principal the policy names. The
probes: uploads, deletes, version deletes, retention changes and replication. The replication roles' own
s3:ReplicateObject from S3's network (no VPC endpoint, not through another service) must not be denied.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import buckets, replication
from framework import types as t
from framework.documents import statements
from framework.evaluator import PolicyError, Request, always_denies, evaluate
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.upload_probes import PERIMETER_KEYS
from framework.values import UNKNOWN, parse_json

WRITES = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:ReplicateObject")
STRANGER = "enclave-replica-probe"
# What a probe principal cannot choose: who it is.
FIXED = ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:userid", "aws:username")
CHOSEN = [k for k in PERIMETER_KEYS if k not in FIXED]
TLS = {"aws:SecureTransport": "true"}


@stack_rule(
    "s3-replica-written-only-by-replication",
    "RECOVER-05",
    "Backup replicas are written only by their replication role",
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    writers: dict[str, list[Any]] = {}
    for holder in (*stack.of_type(*t.BUCKET_REPLICATION), *stack.of_type(*t.BUCKET)):
        for urn in _destinations(stack, holder):
            writers.setdefault(urn, []).append(_role(holder))
    for urn, roles in sorted(writers.items()):
        yield from _check_replica(stack, stack.by_urn[urn], roles)


def _role(holder: Resource) -> Any:
    if holder.type in t.BUCKET_REPLICATION:
        return holder.get("role")
    config = holder.get("replicationConfiguration")
    if isinstance(config, Mapping):
        return config.get("role")
    found = [c.get("role") for c in holder.get("replicationConfigurations") or [] if isinstance(c, Mapping)]
    return found[0] if len(found) == 1 else UNKNOWN


def _destinations(stack: Stack, holder: Resource) -> set[str]:
    """The buckets of the stack a holder's replication rules write into."""
    out: set[str] = set()
    sources = [holder] if holder.type in t.BUCKET else [
        b for b in stack.of_type(*t.BUCKET) if holder in buckets.companions(stack, b, t.BUCKET_REPLICATION)
    ]  # fmt: skip
    by_arn = {f"arn:aws:s3:::{n}": b.urn for b in stack.of_type(*t.BUCKET) if (n := buckets.name(b))}
    for source in sources:
        for rule in replication.rules(stack, source):
            if rule.holder is not holder:
                continue
            if isinstance(rule.destination, str) and rule.destination in by_arn:
                out.add(by_arn[rule.destination])
    for prop in ("rules", "replicationConfiguration", "replicationConfigurations"):
        out |= {u for u in holder.property_dependencies.get(prop, []) if u in stack.by_urn
                and stack.by_urn[u].type in t.BUCKET and u != holder.urn}  # fmt: skip
    return out


def _check_replica(stack: Stack, replica: Resource, roles: list[Any]) -> Iterator[Finding]:
    raw = buckets.policy_documents(stack, replica)
    known_roles = [r for r in roles if isinstance(r, str) and r]
    if any(statements(d) is UNKNOWN for d in raw) or len(known_roles) < len(roles):
        yield Finding(replica.urn, f"{replica.label()} is a backup replica; its bucket policy or its replication role "
                      "is not known yet", True)  # fmt: skip
        return
    docs = [p for p in (parse_json(d) for d in raw) if isinstance(p, Mapping) and "Statement" in p]
    if not docs:
        yield Finding(replica.urn, f"{replica.label()} is a backup replica with no bucket policy: any role IAM lets "
                      "write may overwrite or delete the copy; deny writes unless aws:PrincipalArn is the replication "
                      "role (backups)")  # fmt: skip
        return
    arn = f"arn:aws:s3:::{buckets.name(replica) or 'bucket'}"
    named = buckets.named_principals(docs)
    account = next((a.split(":")[4] for a in [*known_roles, *named] if a.count(":") >= 5 and a.split(":")[4]),
                   "111122223333")  # fmt: skip
    others = [p for p in [f"arn:aws:iam::{account}:role/{STRANGER}", *named] if p not in known_roles]
    try:
        let_in = sorted({
            f"{p.rsplit('/', 1)[-1]} {action}" for p in others for action in WRITES
            if not any(always_denies(d, Request(action, f"{arn}/x", principal_arn=p, context=dict(TLS),
                                                chosen=CHOSEN)) for d in docs)
        })  # fmt: skip
        refused = [
            r for r in known_roles
            if any(evaluate(d, Request("s3:ReplicateObject", f"{arn}/x", principal_arn=r,
                                       context={**TLS, "aws:ViaAWSService": "false"})) == "Deny" for d in docs)
        ]  # fmt: skip
    except (PolicyError, ValueError, TypeError, KeyError, AttributeError) as exc:
        yield Finding(replica.urn, f"{replica.label()}: its bucket policy cannot be evaluated ({exc})")
        return
    if let_in:
        yield Finding(replica.urn, f"{replica.label()} is a backup replica, but its policy does not refuse "
                      f"{', '.join(let_in)}; deny writes (PutObject*, DeleteObject*, Replicate*) unless "
                      "aws:PrincipalArn is the replication role")  # fmt: skip
    if refused:
        yield Finding(replica.urn, f"{replica.label()}: its policy denies s3:ReplicateObject to its replication "
                      f"role {', '.join(refused)}, so the backup is not written; admit it")  # fmt: skip
