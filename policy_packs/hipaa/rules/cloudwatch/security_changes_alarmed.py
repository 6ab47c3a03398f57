"""DETECT-10: changes to what keeps the platform closed raise an alarm unless the deployment roles make them: for
each kind (KMS key policies and deletion, the trail, bucket policies and public-access blocks, security groups, EKS
access entries), a metric filter on a log group a trail delivers to counts the change made by another role, an IAM
user or the root user, with an alarm that notifies someone. Read-only calls are not counted; nor, when the pack
config names them (deploymentRoles), are the deployment roles' own changes."""

from collections.abc import Iterator

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import groups_of_trail, watched
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

KINDS = (
    ("KMS key policy", "kms.amazonaws.com", ("PutKeyPolicy", "ScheduleKeyDeletion")),
    ("trail", "cloudtrail.amazonaws.com", ("StopLogging", "UpdateTrail", "DeleteTrail")),
    ("bucket policy", "s3.amazonaws.com", ("PutBucketPolicy", "DeleteBucketPolicy")),
    ("security group", "ec2.amazonaws.com", ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress")),
    ("EKS access entry", "eks.amazonaws.com", ("CreateAccessEntry", "AssociateAccessPolicy")),
)
OTHERS = ("role/enclave-probe-intruder", "user/enclave-probe", "root")


@stack_rule(
    "security-changes-alarmed",
    "DETECT-10",
    "Security configuration changes by anyone but the deployment roles raise an alarm",
    config={
        "deploymentRoles": {
            "type": "array",
            "items": {"type": "string", "pattern": "^arn:aws[a-z-]*:iam::\\d{12}:role/.+$"},
            "default": [],
            "description": "Role ARNs `pulumi up` runs as: their changes must not be counted (no alarm on every "
            "deployment).",
        }
    },
    subjects=t.TRAIL,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    trails = [tr for tr in stack.of_type(*t.TRAIL) if tr.get("cloudWatchLogsGroupArn") not in (None, "")]
    # (account, role path/name) of each deployment role: its changes are made in its own account.
    deployers = [(str(a).split(":")[4], str(a).split(":role/", 1)[1]) for a in config.get("deploymentRoles") or []]
    accounts = sorted({samples.ACCOUNT, *(acct for acct, _ in deployers)})
    for trail in trails:
        for kind, source, events in KINDS:
            positive = [
                samples.trail_event(source, e, who, acct) for e in events for who in OTHERS for acct in accounts
            ]
            negative = [samples.trail_event(source, f"Describe{events[0]}", OTHERS[0])]
            negative += [samples.trail_event(source, e, f"role/{d}", acct) for e in events for acct, d in deployers]
            verdict = watched(stack, None, positive, negative, groups=groups_of_trail(stack, trail))
            if verdict.watched is None:
                yield Finding(trail.urn, f"{trail.label()}: {kind} changes: {verdict.why}", True)
            elif not verdict.watched:
                yield Finding(
                    trail.urn,
                    f"{trail.label()}: no metric filter on its log group counts {kind} changes "
                    f"({', '.join(events)}) by "
                    "principals other than the deployment roles"
                    + (" (and not theirs)" if deployers else "")
                    + ", with an alarm that notifies someone",
                )
