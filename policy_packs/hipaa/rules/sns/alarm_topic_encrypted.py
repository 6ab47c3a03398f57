"""DETECT-04: an SNS topic encrypts with a customer key. AWS's own key (alias/aws/sns) cannot be used by CloudWatch
alarms, EventBridge or CloudTrail, which then drop what they publish: alarms nobody hears."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import SNS_TOPIC
from framework.values import MISSING, UNKNOWN

AWS_MANAGED = ("alias/aws/sns", "aws/sns")


@resource_rule("alarm-topic-encrypted", "DETECT-04", "SNS topics encrypt with a customer key", SNS_TOPIC)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    key = r.get("kmsMasterKeyId")
    if key is UNKNOWN:
        return  # set, to a key this stack creates (its ARN comes at creation)
    if key is MISSING or key is None or key == "":
        yield Finding(r.urn, f"{r.label()} is not encrypted; set kms_master_key_id to a customer key")
    elif not isinstance(key, str) or key.endswith(AWS_MANAGED):
        yield Finding(
            r.urn,
            f"{r.label()} uses {key!r}, AWS's SNS key, which CloudWatch, EventBridge and CloudTrail cannot use: their "
            "messages would be dropped; use a customer key whose policy lets them (components.aws.alarms)",
        )
