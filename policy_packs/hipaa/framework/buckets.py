"""A bucket and its separate resources (encryption, public access block, policy, ...), found the way a first
preview allows: the companion's `bucket` input depends on the bucket, or names it (a known name)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from . import types as t
from .documents import statements
from .model import Resource, Stack
from .values import MISSING, UNKNOWN

LOG_DELIVERY = "logging.s3.amazonaws.com"
PURPOSE_TAG, STAGE_TAG = "enclave:purpose", "enclave:stage"
UNCLASSIFIED = "unclassified"  # no tag, no config pattern: judged as the strictest class (it may hold ePHI)
CLASSES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"pattern": {"type": "string"}, "purpose": {"type": "string"}, "stage": {"type": "string"}},
        "required": ["pattern", "purpose"],
        "additionalProperties": False,
    },
    "default": [],
    "description": "Buckets classified by name pattern (glob) for stacks that do not tag them enclave:purpose / "
    "enclave:stage; a bucket neither tagged nor matched is judged as the strictest class (it may hold ePHI).",
}


ARTIFACT_PURPOSES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "default": ["datasets", "models", "checkpoints"],
    "description": "Values of the enclave:purpose tag (or of a bucketClasses entry's purpose) that mark a bucket "
    "holding artifacts, and with them ePHI.",
}
UNCLASSIFIED_TEXT = "unclassified data (no enclave:purpose tag, no bucketClasses pattern)"


def of_purposes(
    stack: Stack, classes: Any, purposes: Iterable[str], stage: str | None = None
) -> Iterator[tuple[Resource, str]]:
    """(bucket, purpose) of every bucket classified (tags, else bucketClasses) as one of `purposes` (at `stage`, when
    given), and of every bucket not classified at all (UNCLASSIFIED): it may hold any of them, and is judged as one
    (at production)."""
    wanted = set(purposes)
    for bucket in stack.of_type(*t.BUCKET):
        purpose, at = classify(bucket, classes)
        if purpose == UNCLASSIFIED or (purpose in wanted and stage in (None, at)):
            yield bucket, purpose


def artifact_buckets(stack: Stack, config: Any) -> Iterator[tuple[Resource, str]]:
    """Every bucket that holds artifacts, with what it holds for a message: classified by its tags or the config's
    bucketClasses as one of `artifactPurposes`, or not classified at all (it may hold them: judged as one)."""
    for bucket, purpose in of_purposes(stack, config.get("bucketClasses"), config.get("artifactPurposes") or []):
        yield bucket, UNCLASSIFIED_TEXT if purpose == UNCLASSIFIED else purpose


def name(bucket: Resource) -> str | None:
    value = bucket.get("bucket")
    return value if isinstance(value, str) else None


def classify(bucket: Resource, classes: Any) -> tuple[str, str]:
    """(purpose, stage) of a bucket: its tags, else the first config pattern its name matches, else
    (UNCLASSIFIED, 'production')."""
    purpose, stage = bucket.tag(PURPOSE_TAG), bucket.tag(STAGE_TAG)
    if isinstance(purpose, str):
        return purpose, stage if isinstance(stage, str) else "production"
    bucket_name = name(bucket) or bucket.name
    for entry in classes or []:
        if isinstance(entry, dict) and fnmatch.fnmatchcase(bucket_name, str(entry.get("pattern"))):
            return str(entry.get("purpose")), str(entry.get("stage") or "production")
    return UNCLASSIFIED, "production"


def companions(stack: Stack, bucket: Resource, types: tuple[str, ...]) -> list[Resource]:
    found = {r.urn: r for r in stack.users(bucket.urn, *types, prop="bucket")}
    bucket_name = name(bucket)
    if bucket_name is not None:
        for r in stack.of_type(*types):
            if r.get("bucket") == bucket_name:
                found[r.urn] = r
    return list(found.values())


def duplicated(stack: Stack, bucket: Resource, types: tuple[str, ...], inline: bool = False) -> str | None:
    """A message when the bucket has two companions of one kind (or one and the same setting inline): S3 keeps
    one configuration of each kind, so which one holds depends on the order of apply. None otherwise."""
    found = companions(stack, bucket, types)
    if len(found) + int(inline) < 2:
        return None
    names = ", ".join(sorted(r.name for r in found)) + (" and its own inline setting" if inline else "")
    kind = types[0].rsplit(":", 1)[-1]
    return (
        f"{bucket.label()} has {len(found) + int(inline)} {kind} configurations ({names}); S3 keeps one, and which "
        "depends on the order of apply: keep exactly one"
    )


def policy_documents(stack: Stack, bucket: Resource) -> list[Any]:
    """The bucket's policy documents: its BucketPolicy resources' and its own inline `policy`."""
    docs = [p.get("policy") for p in companions(stack, bucket, t.BUCKET_POLICY)]
    inline = bucket.get("policy")
    if inline is not MISSING and inline is not None:
        docs.append(inline)
    return docs


def is_log_destination(stack: Stack, bucket: Resource) -> bool | None:
    """Whether the bucket is an S3 server-access-log destination: its policy lets S3 log delivery write, or
    another bucket's logging targets it. None when its policy is not known yet and nothing targets it."""
    bucket_name = name(bucket)
    for logging in stack.of_type(*t.BUCKET_LOGGING):
        if logging.depends_on(bucket.urn, "targetBucket") or (
            bucket_name and logging.get("targetBucket") == bucket_name
        ):
            return True
    unknown = False
    for doc in policy_documents(stack, bucket):
        found = statements(doc)
        if found is UNKNOWN:
            unknown = True
        elif isinstance(found, list) and any(
            s.effect == "Allow" and LOG_DELIVERY in s.principals("Service") for s in found
        ):
            return True
    return None if unknown else False


def named_principals(docs: list[Any]) -> list[str]:
    """Every role or account ARN the policies name: aws:PrincipalArn values and Allow statements' AWS principals."""
    out: list[str] = []
    for doc in docs:
        for s in statements(doc) or []:
            out += [str(v) for v in s.condition_values("aws:PrincipalArn") if isinstance(v, str)]
            if s.effect == "Allow":
                out += [p for p in s.principals("AWS") if p.startswith("arn:")]
    return sorted({a for a in out if "*" not in a and (":role/" in a or a.endswith(":root"))})
