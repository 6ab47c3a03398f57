"""DETECT-08: reads and writes of an artifact bucket by a principal that is not one of its declared identities
raise an alarm: a metric filter on a log group a trail delivers to counts the bucket's S3 data events made by an
unknown role, an IAM user or an AWS service, and not another bucket's, with an alarm that notifies someone.
Artifact buckets are found as LOG-03 finds them (tags, else bucketClasses, else judged as one)."""

from collections.abc import Iterator

from framework import buckets
from framework import signal_samples as samples
from framework import types as t
from framework.alarms import trail_groups, watched
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

INTRUDER = "role/enclave-probe-intruder"


@stack_rule(
    "artifact-access-alarmed",
    "DETECT-08",
    "Artifact access by an undeclared principal raises an alarm",
    config={
        "artifactPurposes": buckets.ARTIFACT_PURPOSES_SCHEMA,
        "bucketClasses": buckets.CLASSES_SCHEMA,
    },
    subjects=t.BUCKET,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    groups = trail_groups(stack)
    for bucket, held in buckets.artifact_buckets(stack, config):
        name = buckets.name(bucket)
        if name is None:
            yield Finding(bucket.urn, f"{bucket.label()}: its name is not known yet", True)
            continue
        positive = [
            samples.s3_data_event(name, INTRUDER),
            samples.s3_data_event(name, "user/enclave-probe", name="PutObject"),
            samples.s3_data_event(name, "service:batchoperations.s3.amazonaws.com", name="GetObject"),
        ]
        negative = [samples.s3_data_event(f"{name}-enclave-probe-other", INTRUDER)]
        verdict = watched(stack, None, positive, negative, groups=groups)
        if verdict.watched is None:
            yield Finding(bucket.urn, f"{bucket.label()}: {verdict.why}", True)
        elif not verdict.watched:
            yield Finding(
                bucket.urn,
                f"{bucket.label()} holds {held}, but no metric filter on a trail's log group counts its object "
                "reads and writes by principals that are not its declared identities, with an alarm",
            )
