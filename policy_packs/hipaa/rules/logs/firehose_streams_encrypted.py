"""LOG-08: every Kinesis Data Firehose stream keeps what it buffers encrypted with a customer key (server-side
encryption, where Firehose offers it: not for a stream fed by Kinesis or MSK, whose source holds the records) and
writes S3 objects with SSE-KMS of a customer key; a destination whose encryption at rest the pack cannot judge
(HTTP endpoints, Splunk, Redshift, ...) is a finding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.keys import customer_key
from framework.log_stores import destination_bucket, encryption_problem
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN

S3_DESTINATIONS = ("extended_s3", "s3")
SOURCED = ("kinesisSourceConfiguration", "mskSourceConfiguration")


def _sse(stack: Stack, stream: Resource) -> Iterator[Finding]:
    if any(stream.get(source) not in (MISSING, None) for source in SOURCED):
        return  # Firehose refuses server-side encryption when a Kinesis or MSK stream is its source
    sse = stream.get("serverSideEncryption")
    label = stream.label()
    if sse is UNKNOWN:
        yield Finding(stream.urn, f"{label}: its server-side encryption is not known yet", True)
        return
    if not isinstance(sse, Mapping) or sse.get("enabled") is not True:
        if isinstance(sse, Mapping) and sse.get("enabled") is UNKNOWN:
            yield Finding(stream.urn, f"{label}: whether server-side encryption is on is not known yet", True)
            return
        yield Finding(stream.urn, f"{label} buffers records unencrypted: set server_side_encryption enabled true")
        return
    kind = sse.get("keyType", MISSING)
    if kind is UNKNOWN:
        yield Finding(stream.urn, f"{label}: its server-side encryption key type is not known yet", True)
    elif kind != "CUSTOMER_MANAGED_CMK":
        shown = "AWS_OWNED_CMK (the default)" if kind is MISSING else repr(kind)
        yield Finding(stream.urn, f"{label}: server-side encryption key type is {shown}; use CUSTOMER_MANAGED_CMK")
    else:
        customer = customer_key(stack, stream, sse.get("keyArn", MISSING), "serverSideEncryption")
        if customer is None:
            yield Finding(stream.urn, f"{label}: its server-side encryption key is not known yet", True)
        elif not customer:
            yield Finding(stream.urn, f"{label}: server-side encryption names no customer key (key_arn)")


def _destination(stack: Stack, stream: Resource) -> Iterator[Finding]:
    destination, label = stream.get("destination"), stream.label()
    if destination is UNKNOWN:
        yield Finding(stream.urn, f"{label}: its destination is not known yet", True)
        return
    if destination not in S3_DESTINATIONS:
        yield Finding(
            stream.urn,
            f"{label} delivers to {destination!r}, whose encryption at rest the pack cannot judge: deliver to S3 with "
            "SSE-KMS of a customer key",
        )
        return
    key = stream.get("extendedS3Configuration.kmsKeyArn")
    if key is not MISSING and key is not None:
        customer = customer_key(stack, stream, key, "extendedS3Configuration")
        if customer is None:
            yield Finding(stream.urn, f"{label}: the S3 destination's KMS key is not known yet", True)
        elif not customer:
            yield Finding(stream.urn, f"{label}: the S3 destination's kms_key_arn {key!r} is not a customer key")
        return
    # No key on the stream: its objects take the bucket's default encryption, which is decidable only for a bucket
    # of this stack.
    bucket, outside = destination_bucket(
        stack, stream, "extendedS3Configuration", stream.get("extendedS3Configuration.bucketArn")
    )
    problem = encryption_problem(stack, bucket) if bucket is not None else None
    if bucket is None:
        where = f"bucket {outside!r} outside this stack" if outside else "a bucket the pack cannot find"
        yield Finding(
            stream.urn, f"{label} sets no kms_key_arn and writes to {where}: set kms_key_arn to a customer key"
        )
    elif problem is not None:
        yield Finding(stream.urn, f"{label} sets no kms_key_arn, and {problem[0]}", problem[1])


@stack_rule(
    "firehose-streams-encrypted",
    "LOG-08",
    "Log delivery streams are encrypted with a customer key",
    subjects=t.FIREHOSE_STREAM,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for stream in stack.of_type(*t.FIREHOSE_STREAM):
        yield from _sse(stack, stream)
        yield from _destination(stack, stream)
