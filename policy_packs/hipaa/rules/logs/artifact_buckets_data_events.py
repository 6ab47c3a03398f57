"""LOG-03: S3 object reads and writes of every artifact bucket (datasets, models, checkpoints, and any bucket
neither tagged nor classified by the pack config's bucketClasses: it may hold them) are recorded by a trail: an
advanced event selector for data events on AWS::S3::Object, no readOnly restriction, whose
resources.ARN prefixes cover the bucket (by its known name, or by depending on it). A stack that joins a
platform whose trail records its buckets (a team's zone: the platform's trail selects `<env>-<zone>-`) names
those prefixes in `recordedByOtherStacks`; its buckets must then be named under them."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import buckets
from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list


def _fields(selector: Mapping) -> dict[str, Mapping]:
    return {str(f.get("field")): f for f in as_list(selector.get("fieldSelectors")) if isinstance(f, Mapping)}


def _covers(trail: Resource, bucket: Resource, selector: Any) -> bool | None:
    if not isinstance(selector, Mapping):
        return False
    fields = _fields(selector)
    category, rtype = fields.get("eventCategory", {}), fields.get("resources.type", {})
    if "Data" not in as_list(category.get("equals")) or "AWS::S3::Object" not in as_list(rtype.get("equals")):
        return False
    if "readOnly" in fields:
        return False  # a readOnly selector records only reads or only writes
    arn = fields.get("resources.ARN")
    if arn is None:
        return True  # every object of every bucket
    prefixes = arn.get("startsWiths")
    if prefixes is UNKNOWN or UNKNOWN in as_list(prefixes):
        return True if trail.depends_on(bucket.urn, "advancedEventSelectors") else None
    name = buckets.name(bucket)
    return name is not None and any(
        f"arn:aws:s3:::{name}/".startswith(str(p)) or str(p).endswith(f":::{name}/") for p in as_list(prefixes)
    )


@stack_rule(
    "cloudtrail-artifact-data-events",
    "LOG-03",
    "Reads and writes of every artifact bucket are recorded",
    config={
        "artifactPurposes": buckets.ARTIFACT_PURPOSES_SCHEMA,
        "bucketClasses": buckets.CLASSES_SCHEMA,
        "recordedByOtherStacks": {
            "type": "array",
            "items": {"type": "string", "pattern": "^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$"},
            "default": [],
            "description": "resources.ARN prefixes (e.g. 'arn:aws:s3:::prod-vision-') that a trail of another "
            "stack records (the platform's, for a team zone it lists in team_zones): a bucket whose name falls "
            "under one is recorded. Said here, reviewed with the config.",
        },
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    elsewhere = [str(p) for p in as_list(config.get("recordedByOtherStacks"))]
    trails = stack.of_type(*t.TRAIL)
    for bucket, held in buckets.artifact_buckets(stack, config):
        name = buckets.name(bucket)
        if elsewhere and name is not None and any(f"arn:aws:s3:::{name}/".startswith(p) for p in elsewhere):
            continue
        verdicts = [_covers(trail, bucket, s) for trail in trails for s in as_list(trail.get("advancedEventSelectors"))]
        if True in verdicts:
            continue
        if None in verdicts:
            yield Finding(
                bucket.urn, f"{bucket.label()}: whether a trail records its object events is not known yet", True
            )
        else:
            yield Finding(bucket.urn, f"{bucket.label()} holds {held} but no trail records its object reads and writes")
