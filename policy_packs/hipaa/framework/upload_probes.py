"""The uploads a bucket policy is asked about (S3-07): which it must let through and which it must refuse.

Standard library only and free of the rest of the framework, so `enclave audit` loads this file by path and asks
a live bucket policy exactly what the pack's rule asks a declared one (`request` builds the probe for either).

A probe is one of the bucket's own workloads uploading: a role of the account, calling over TLS from inside the
data perimeter. Its encryption headers are fixed (present or absent); the keys that say where it calls from and
who it is (the perimeter's: VPC endpoint, organisation, account, principal) are satisfied whatever a perimeter
deny asks of them, unless the pack config pins them (`context`), so a bucket with the recommended data-perimeter
deny is judged on what it does with encryption headers, not on where the probe comes from.
"""

from collections.abc import Mapping
from typing import Any

ALG = "s3:x-amz-server-side-encryption"
KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"
HEADERS = (ALG, KEY, SSE_C)
PROBE_ROLE = "arn:aws:iam::000000000000:role/enclave-policy-probe"
FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/00000000-0000-4000-8000-000000000000"
# The perimeter's keys: the probe satisfies them (the requester "chooses" them) unless the config pins them.
PERIMETER_KEYS = (
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalTag/*",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:ViaAWSService",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "s3:ResourceAccount",
)

MUST_PASS: dict[str, dict[str, str]] = {"an upload with no encryption headers": {}}
MUST_DENY = {
    "an upload asking for aws:kms without a key id (S3 would use aws/s3)": {ALG: "aws:kms"},
    "an upload encrypted with another account's key": {ALG: "aws:kms", KEY: FOREIGN_KEY},
    "an upload with a customer-provided key (SSE-C)": {SSE_C: "AES256"},
}
KMS_BUCKET_DENY = {"an upload asking for SSE-S3 (AES256)": {ALG: "AES256"}}
LOG_BUCKET_DENY = {"an upload asking for aws:kms (log delivery needs SSE-S3)": {ALG: "aws:kms"}}


def request(make: Any, object_arn: str, headers: Mapping[str, str], given: Mapping[str, Any] | None = None) -> Any:
    """The probe upload of `object_arn` with `headers`, built with the evaluator's Request class (`make`).

    `given`: the pack config's `uploadProbe` ({"principalArn": ..., "context": {key: value}}): what it pins is
    fixed; the other perimeter keys are the probe's to satisfy; the service-principal keys are absent (the probe
    is a role)."""
    given = given or {}
    pinned = {str(k).lower(): v for k, v in (given.get("context") or {}).items()}
    context: dict[str, Any] = {h: headers.get(h) for h in HEADERS}
    context.update({"aws:SecureTransport": "true", **pinned})  # no aws:PrincipalServiceName: the probe is a role
    chosen = list(PERIMETER_KEYS)  # the probe's to satisfy; a key the config pins is in the context, which wins
    principal = str(given.get("principalArn") or PROBE_ROLE)
    return make("s3:PutObject", object_arn, principal_arn=principal, context=context, chosen=chosen)
