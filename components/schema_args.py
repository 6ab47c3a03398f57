"""The stack schema's blocks (a node pool, a bucket, an identity of a stack file) as component Args, with the
resource-derived inputs given beside them. The platform and a team's zone map their config through these, so
a schema field reaches its component the same way in both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from .aws.bucket import EncryptedBucketArgs
from .aws.data_perimeter import BucketPerimeterArgs
from .aws.identity import GrantTarget, WorkloadIdentityArgs
from .aws.node_pool import GpuNodePoolArgs
from .config import Bucket, Identity, NodePool


def node_pool_args(
    pool: NodePool,
    *,
    cluster_name: pulumi.Input[str],
    node_security_group_id: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    subnet_by_az: Mapping[str, pulumi.Input[str]],
    kms_key_arn: pulumi.Input[str],
    instance_tags: Mapping[str, str],
    ready: Sequence[pulumi.Resource],
    gpu: bool = True,
    tags: Mapping[str, str] | None = None,
    role_name: str | None = None,
) -> GpuNodePoolArgs:
    return GpuNodePoolArgs(
        pool_name=pool.name,
        zone=pool.zone,
        instance_types=pool.instance_types,
        capacity_type=pool.capacity_type,
        min_size=pool.min_size,
        desired_size=pool.desired_size,
        max_size=pool.max_size,
        disk_size_gib=pool.disk_size_gib,
        efa=pool.efa,
        placement_group=pool.placement_group,
        availability_zone=pool.availability_zone,
        capacity_reservation_id=pool.capacity_reservation_id,
        gpu=gpu,
        cluster_name=cluster_name,
        node_security_group_id=node_security_group_id,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        subnet_by_az=subnet_by_az,
        kms_key_arn=kms_key_arn,
        instance_tags=instance_tags,
        tags=tags,
        role_name=role_name,
        ready=ready,
    )


def bucket_args(
    bucket: Bucket,
    *,
    kms_key_arn: pulumi.Input[str] | None,
    tags: Mapping[str, str] | None = None,
    object_lock_days: int | None = None,
    log_bucket: pulumi.Input[str] | None = None,
    log_bucket_ready: Sequence[pulumi.Resource] = (),
    access_log_sink: bool = False,
    expire_days: int | None = None,
    cloudtrail_arn: pulumi.Input[str] | None = None,
    perimeter: BucketPerimeterArgs | None = None,
    flow_log_sink: bool = False,
) -> EncryptedBucketArgs:
    return EncryptedBucketArgs(
        purpose=bucket.purpose,
        stage=bucket.stage,
        force_destroy=bucket.force_destroy,
        noncurrent_version_days=bucket.noncurrent_version_days,
        object_lock_days=object_lock_days,
        kms_key_arn=kms_key_arn,
        log_bucket=log_bucket,
        log_bucket_ready=log_bucket_ready,
        access_log_sink=access_log_sink,
        expire_days=expire_days,
        cloudtrail_arn=cloudtrail_arn,
        perimeter=perimeter,
        flow_log_sink=flow_log_sink,
        tags=tags,
    )


def identity_args(
    ident: Identity,
    *,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    region: str,
    grants: Sequence[GrantTarget],
    kubernetes_provider: k8s.Provider | None = None,
    service_account_depends_on: Sequence[pulumi.Resource] = (),
    tags: Mapping[str, str] | None = None,
    role_name: str | None = None,
    secrets_path: str | None = None,
    secrets_key_alias: pulumi.Input[str] | None = None,
) -> WorkloadIdentityArgs:
    return WorkloadIdentityArgs(
        role_name=role_name,
        secrets_path=secrets_path,
        secrets_key_alias=secrets_key_alias,
        namespace=ident.namespace,
        service_account=ident.service_account,
        zone=ident.zone,
        permissions_boundary_arn=ident.permissions_boundary_arn,
        token_expiration_seconds=ident.token_expiration_seconds,
        automount_service_account_token=ident.automount_service_account_token,
        oidc_provider_arn=oidc_provider_arn,
        oidc_issuer_url=oidc_issuer_url,
        region=region,
        grants=grants,
        kubernetes_provider=kubernetes_provider,
        service_account_depends_on=service_account_depends_on,
        tags=tags,
    )
