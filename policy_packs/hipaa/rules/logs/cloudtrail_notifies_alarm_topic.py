"""DETECT-05: the trail notifies the security-alarm topic of each log file it delivers (a trail that stops, or
delivers to a bucket someone changed, shows there)."""

from framework.rules import Expect, property_rule
from framework.types import TRAIL


def _set(value: object) -> bool:
    return isinstance(value, str) and bool(value)


property_rule(
    "cloudtrail-notifies-alarm-topic",
    "DETECT-05",
    "The trail notifies the security-alarm topic",
    TRAIL,
    [Expect("snsTopicName", _set, "an SNS topic", "Set sns_topic_name to the alarm topic's ARN.", unknown_ok=True)],
)
