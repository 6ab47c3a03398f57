"""DETECT-03: the trail also delivers to CloudWatch Logs, where metric filters and alarms can watch it."""

from framework.rules import Expect, property_rule
from framework.types import TRAIL


def _set(value: object) -> bool:
    return isinstance(value, str) and bool(value)


property_rule(
    "cloudtrail-streams-to-cloudwatch",
    "DETECT-03",
    "The trail streams to CloudWatch Logs",
    TRAIL,
    [
        Expect("cloudWatchLogsGroupArn", _set, "a log group ARN", "Set cloud_watch_logs_group_arn.", unknown_ok=True),
        Expect("cloudWatchLogsRoleArn", _set, "a role ARN", "Set cloud_watch_logs_role_arn.", unknown_ok=True),
    ],
)
