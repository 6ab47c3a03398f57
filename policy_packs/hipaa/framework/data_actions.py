"""IAM actions that touch data (S3 objects and listings, KMS encryption): never on a '*' resource (IAM-02).

Standard library only and free of the rest of the framework, so `enclave audit` loads this file by path and
judges live policies by the same list as the pack's rule.
"""

DATA_PREFIXES = (
    "s3:getobject",
    "s3:putobject",
    "s3:deleteobject",
    "s3:listbucket",
    "kms:decrypt",
    "kms:encrypt",
    "kms:generatedatakey",
    "kms:reencrypt",
)
