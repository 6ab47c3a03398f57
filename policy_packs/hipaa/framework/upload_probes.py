"""The uploads a bucket policy is asked about (S3-07): which it must let through and which it must refuse.

Standard library only and free of the rest of the framework, so `enclave audit` loads this file by path and asks
a live bucket policy exactly what the pack's rule asks a declared one.
"""

ALG = "s3:x-amz-server-side-encryption"
KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"
PROBE_ROLE = "arn:aws:iam::000000000000:role/enclave-policy-probe"
FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/00000000-0000-4000-8000-000000000000"

MUST_PASS: dict[str, dict[str, str]] = {"an upload with no encryption headers": {}}
MUST_DENY = {
    "an upload asking for aws:kms without a key id (S3 would use aws/s3)": {ALG: "aws:kms"},
    "an upload encrypted with another account's key": {ALG: "aws:kms", KEY: FOREIGN_KEY},
    "an upload with a customer-provided key (SSE-C)": {SSE_C: "AES256"},
}
KMS_BUCKET_DENY = {"an upload asking for SSE-S3 (AES256)": {ALG: "AES256"}}
LOG_BUCKET_DENY = {"an upload asking for aws:kms (log delivery needs SSE-S3)": {ALG: "aws:kms"}}
