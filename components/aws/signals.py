"""The CloudWatch Logs filter patterns of the security alarms, as pure functions of what the stack declares.

Each pattern is tested against the record shapes the sources write (tests/components/aws/test_signals.py): the
VPC CNI network-policy agent's CloudWatch line, VPC flow-log lines in FLOW_LOG_FORMAT, CloudTrail events, and
Envoy's JSON access log as Container Insights' Fluent Bit ships it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence

MAX_PATTERN = 1024  # PutMetricFilter's limit on filterPattern

# VPC flow-log fields, in order (the default format plus where the flow came from and went).
FLOW_LOG_FIELDS = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
    "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "flow-direction", "pkt-srcaddr",
    "pkt-dstaddr",
)  # fmt: skip
FLOW_LOG_FORMAT = " ".join(f"${{{f}}}" for f in FLOW_LOG_FIELDS)
FLOW_LOG_FORMAT_SHAPE = r"(\$\{[a-z0-9-]+\} ?)+"  # what a flow log's log_format argument accepts

# The VPC CNI network-policy agent's CloudWatch line: "Node: <n>;SIP: <ip>;...;PolicyVerdict: DENY[;Tier: <t>]".
DENIED_FLOW_PATTERN = '"PolicyVerdict: DENY"'
ALL_EVENTS = ""

# (signal, CloudTrail event source, event names): changes to what keeps the platform closed.
SECURITY_CHANGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("kms-key-policy-changed", "kms.amazonaws.com",
     ("PutKeyPolicy", "ScheduleKeyDeletion", "DisableKey", "CreateGrant")),
    ("trail-changed", "cloudtrail.amazonaws.com",
     ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")),
    ("bucket-policy-changed", "s3.amazonaws.com",
     ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "DeleteBucketPublicAccessBlock",
      "PutBucketPublicAccessBlock")),
    ("security-group-changed", "ec2.amazonaws.com",
     ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress", "ModifySecurityGroupRules", "CreateSecurityGroup", "DeleteSecurityGroup")),
    ("eks-access-changed", "eks.amazonaws.com",
     ("CreateAccessEntry", "UpdateAccessEntry", "DeleteAccessEntry", "AssociateAccessPolicy",
      "DisassociateAccessPolicy")),
)  # fmt: skip


class SignalError(ValueError):
    """A pattern that would not fit CloudWatch's limit (the message names what to shorten)."""


def _q(value: str) -> str:
    return json.dumps(value)


def _fits(pattern: str, what: str) -> str:
    if len(pattern) > MAX_PATTERN:
        raise SignalError(
            f"the {what} filter pattern is {len(pattern)} characters; CloudWatch accepts {MAX_PATTERN}: "
            f"{pattern[:80]}..."
        )
    return pattern


def cidr_globs(cidrs: Iterable[str]) -> list[str]:
    """Address globs covering exactly `cidrs` on octet boundaries ('10.20.*' for 10.20.0.0/16; a /20 gives its
    sixteen /24s), since filter patterns compare text: no CIDR arithmetic."""
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        if net.version != 4:
            raise SignalError(f"{cidr}: only IPv4 networks are matched in flow logs here")
        if net.prefixlen == 0:
            return ["*"]
        boundary = -(-net.prefixlen // 8) * 8
        for sub in net.subnets(new_prefix=boundary) if boundary != net.prefixlen else [net]:
            octets = str(sub.network_address).split(".")[: boundary // 8]
            out.append(".".join(octets) + (".*" if boundary < 32 else ""))
    return list(dict.fromkeys(out))


def _flow_pattern(conditions: dict[str, str]) -> str:
    names = [f.replace("-", "_") for f in FLOW_LOG_FIELDS]
    return "[" + ", ".join(f"{n}{conditions[n]}" if n in conditions else n for n in names) + "]"


def _outside(cidrs: Sequence[str]) -> str:
    return " && ".join(f"dstaddr!={g}" for g in cidr_globs(cidrs))


def egress_refused_pattern(inside: Sequence[str]) -> str:
    """Flow-log REJECTs of connections leaving for addresses outside `inside` (the VPC's CIDRs)."""
    pattern = _flow_pattern({"dstaddr": _outside(inside)[len("dstaddr") :], "action": "=REJECT",
                             "flow_direction": "=egress"})  # fmt: skip
    return _fits(pattern, "egress-refused")


def transfer_out_pattern(inside: Sequence[str]) -> str:
    """Accepted egress flows to addresses outside `inside` (the VPC's CIDRs and the routed networks); the metric
    value is `$bytes`, the dimension `$subnet_id`."""
    pattern = _flow_pattern({"dstaddr": _outside(inside)[len("dstaddr") :], "action": "=ACCEPT",
                             "flow_direction": "=egress"})  # fmt: skip
    return _fits(pattern, "large-transfer-out")


def mesh_drop_pattern(namespaces: Sequence[str]) -> str:
    """Envoy access-log records (JSON, shipped by Fluent Bit with Kubernetes metadata and the parsed line under
    `log_processed`) of a zone's sidecars dropping a connection REGISTRY_ONLY does not allow: Istio sends it to
    the BlackHoleCluster (TCP, TLS) or the `block_all` route (plain HTTP, 502)."""
    ns = " || ".join(f"$.kubernetes.namespace_name = {_q(n)}" for n in namespaces)
    pattern = (
        f'{{ ({ns}) && $.kubernetes.container_name = "istio-proxy" && '
        '($.log_processed.upstream_cluster = "BlackHoleCluster" || $.log_processed.route_name = "block_all") }'
    )
    return _fits(pattern, "mesh-drop")


def assumed_role_globs(account_id: str, role_arns: Iterable[str], partition: str = "aws") -> list[str]:
    """The session ARNs (`arn:aws:sts::<account>:assumed-role/<name>/*`) of each role (its path is dropped)."""
    return [f"arn:{partition}:sts::{account_id}:assumed-role/{arn.rsplit('/', 1)[-1]}/*" for arn in role_arns]


def _not_by(sessions: Sequence[str]) -> str:
    """` && ` a principal that is none of `sessions` (an AWS service, with no userIdentity.arn, is none of them);
    nothing when there are none (every principal counts)."""
    if not sessions:
        return ""
    others = " && ".join(f"$.userIdentity.arn != {_q(s)}" for s in sessions)
    return f" && ($.userIdentity.arn NOT EXISTS || ({others}))"


def undeclared_access_pattern(bucket: str, sessions: Sequence[str]) -> str:
    """S3 data events on `bucket` by a principal that is not one of its declared identities' sessions."""
    pattern = (
        f'{{ $.eventCategory = "Data" && $.eventSource = "s3.amazonaws.com" && '
        f"$.requestParameters.bucketName = {_q(bucket)}{_not_by(sessions)} }}"
    )
    return _fits(pattern, f"undeclared-access of {bucket}")


def security_change_pattern(
    source: str, events: Sequence[str], account_id: str, deployer_arns: Sequence[str], partition: str = "aws"
) -> str:
    """`events` of `source` made by anyone but the deployment roles' sessions and the account's service-linked
    roles (AWS acting for its own service: EKS managing the cluster security group, GuardDuty its endpoint's)."""
    names = " || ".join(f"$.eventName = {e}" for e in events)
    sessions = [*assumed_role_globs(account_id, deployer_arns, partition),
                f"arn:{partition}:sts::{account_id}:assumed-role/AWSServiceRoleFor*"]  # fmt: skip
    pattern = f"{{ $.eventSource = {_q(source)} && ({names}){_not_by(sessions)} }}"
    return _fits(pattern, f"{source} changes")
