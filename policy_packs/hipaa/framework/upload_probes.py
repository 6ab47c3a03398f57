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

# What a data perimeter's Deny statements exempt: the network path and the principals it admits.
PERIMETER_KEYS = ("aws:SourceVpce", "aws:SourceVpc", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID")


def _listed(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str) and "*" not in v and "?" not in v]


def request_context(policy: object) -> tuple[str, dict[str, str]]:
    """(principal ARN, request context) of a legitimate upload: from the principal and through the endpoint (or
    VPC, account, organisation) that the policy's perimeter Deny statements exempt (the first value each names
    under a negated operator), so the probes ask what the policy does with encryption headers, not whether a
    stranger outside the VPC may upload. A policy without a perimeter gets the probe role and no network keys."""
    found: dict[str, str] = {}
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for stmt in statements if isinstance(statements, list) else [statements]:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny" or not isinstance(stmt.get("Condition"), dict):
            continue
        for operator, block in stmt["Condition"].items():
            if "Not" not in str(operator) or not isinstance(block, dict):
                continue
            for key, value in block.items():
                canonical = next((k for k in PERIMETER_KEYS if k.lower() == str(key).lower()), None)
                values = _listed(value)
                if canonical and values and canonical not in found:
                    found[canonical] = values[0]
    principal = found.get("aws:PrincipalArn", PROBE_ROLE)
    context = {**found, "aws:PrincipalArn": principal, "aws:PrincipalIsAWSService": "false"}
    if principal.count(":") >= 5:
        context.setdefault("aws:PrincipalAccount", principal.split(":")[4])
    return principal, context
