"""A consumer stack: one trust zone's KMS key, encrypted bucket and IRSA identity from `components`."""

import pulumi
import pulumi_aws as aws

from components import EncryptedBucket, GrantTarget, KmsKey, WorkloadIdentity
from components.config import Bucket, Identity

config = pulumi.Config()
bucket_cfg = Bucket.model_validate(config.require_object("bucket"))
identity_cfg = Identity.model_validate(config.require_object("identity"))
issuer = config.require("oidcIssuerUrl")
region = aws.config.region or "us-east-1"

key = KmsKey(
    bucket_cfg.zone,
    alias=f"consumer/{bucket_cfg.zone}",
    description=f"Data of the {bucket_cfg.zone} zone",
)
bucket = EncryptedBucket(
    bucket_cfg.name,
    bucket_cfg,
    kms_key_arn=key.arn,
    log_bucket=config.require("auditBucket"),
)
account = aws.get_caller_identity_output().account_id
oidc_arn = pulumi.Output.concat("arn:aws:iam::", account, ":oidc-provider/", issuer.removeprefix("https://"))
identity = WorkloadIdentity(
    identity_cfg.name,
    identity_cfg,
    oidc_provider_arn=oidc_arn,
    oidc_issuer_url=issuer,
    region=region,
    grants=[
        GrantTarget(bucket_arn=bucket.arn, key_alias=key.alias_name, prefix=g.prefix, access=g.access)
        for g in identity_cfg.grants
        if g.bucket == bucket_cfg.name
    ],
)
pulumi.export("bucket", bucket.name)
pulumi.export("role_arn", identity.role_arn)
