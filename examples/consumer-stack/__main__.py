"""A consumer stack: one trust zone's KMS key, encrypted bucket and IRSA identity from `components`."""

import pulumi
import pulumi_aws as aws

from components import EncryptedBucket, GrantTarget, KmsKey, KmsKeyArgs, WorkloadIdentity
from components.aws.data_perimeter import BucketPerimeterArgs
from components.aws.identity import role_arn
from components.config import Bucket, DataPerimeter, Identity, config_object, config_value
from components.schema_args import bucket_args, identity_args

# Validated with the platform's messages (stack file and line, config path, value, fix) before anything is
# registered: a bad value stops here, not halfway through a deploy. schema_args maps the validated blocks onto
# the components' Args as the platform does; the resource-derived values (key, issuer, log bucket) go beside.
bucket_cfg = config_object("bucket", Bucket)
identity_cfg = config_object("identity", Identity)
issuer = config_value("oidcIssuerUrl")
audit_bucket = config_value("auditBucket")
region = aws.config.region or "us-east-1"

key = KmsKey(
    bucket_cfg.zone,
    KmsKeyArgs(alias=f"consumer/{bucket_cfg.zone}", description=f"Data of the {bucket_cfg.zone} zone"),
)
fence = config_object("dataPerimeter", DataPerimeter)
account = aws.get_caller_identity_output().account_id
# The role's name is chosen here, so the bucket's data perimeter can admit it before it exists; the VPC's S3
# endpoints and the admin roles come from the stack file.
role = identity_cfg.name
perimeter = BucketPerimeterArgs(
    endpoint_ids=fence.s3_endpoint_ids,
    principal_arns=[account.apply(lambda a: role_arn(a, role))],
    admin_role_arns=fence.admin_role_arns,
)
bucket = EncryptedBucket(
    bucket_cfg.name,
    bucket_args(bucket_cfg, kms_key_arn=key.arn, log_bucket=audit_bucket, perimeter=perimeter),
)
oidc_arn = pulumi.Output.concat("arn:aws:iam::", account, ":oidc-provider/", issuer.removeprefix("https://"))
identity = WorkloadIdentity(
    identity_cfg.name,
    identity_args(
        identity_cfg,
        oidc_provider_arn=oidc_arn,
        oidc_issuer_url=issuer,
        region=region,
        grants=[
            GrantTarget(bucket_arn=bucket.arn, key_alias=key.alias_name, prefix=g.prefix, access=g.access)
            for g in identity_cfg.grants
            if g.bucket == bucket_cfg.name
        ],
        role_name=role,
    ),
)
pulumi.export("bucket", bucket.name)
pulumi.export("role_arn", identity.role_arn)
