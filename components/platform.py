"""Platform: composes every component of one environment from its validated PlatformConfig."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .aws.bucket import EncryptedBucket
from .aws.kms import KmsKey, ServiceUse
from .config import PlatformConfig


def platform_tags(cfg: PlatformConfig) -> dict[str, str]:
    return {**cfg.tags, "enclave:environment": cfg.environment, "enclave:managed-by": "gpu-enclave"}


def audit_key_services(region: str) -> list[ServiceUse]:
    """Service principals that write encrypted audit data with the platform key."""
    return [
        ServiceUse(
            service=f"logs.{region}.amazonaws.com",
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:*:logs:{region}:*:log-group:*"}},
        ),
        ServiceUse(
            service="cloudtrail.amazonaws.com",
            actions=("kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"),
            conditions={"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:*:cloudtrail:*:*:trail/*"}},
        ),
        ServiceUse(service="logging.s3.amazonaws.com", actions=("kms:GenerateDataKey", "kms:Decrypt")),
    ]


class Platform(pulumi.ComponentResource):
    """Everything of one environment: provider, keys, buckets (and, as they land, network, cluster,
    node pools, identities, audit trail and trust zones)."""

    provider: aws.Provider
    keys: dict[str, KmsKey]
    buckets: dict[str, EncryptedBucket]

    def __init__(self, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:index:Platform", cfg.environment, None, opts)
        self.cfg = cfg
        tags = platform_tags(cfg)
        self.provider = aws.Provider(
            f"{cfg.environment}-aws",
            region=cfg.region,
            allowed_account_ids=[cfg.account_id] if cfg.account_id else None,
            default_tags={"tags": tags},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        self.keys = {}
        for zone in cfg.zones:
            services = audit_key_services(cfg.region) if zone.zone_class == "platform" else []
            self.keys[zone.name] = KmsKey(
                f"{cfg.environment}-{zone.name}",
                alias=f"enclave/{cfg.environment}/{zone.name}",
                description=f"GPU Enclave {cfg.environment}: data of zone {zone.name} ({zone.zone_class})",
                services=services,
                tags={"enclave:zone": zone.name},
                opts=self._opts,
            )
        audit_cfg = cfg.audit_bucket
        audit = EncryptedBucket(
            f"{cfg.environment}-{audit_cfg.name}",
            audit_cfg,
            kms_key_arn=self.keys[audit_cfg.zone].arn,
            object_lock_days=audit_cfg.object_lock_days or cfg.logging.audit_retention_days,
            tags={"enclave:zone": audit_cfg.zone},
            opts=self._opts,
        )
        self.buckets = {audit_cfg.name: audit}
        for bucket in cfg.buckets:
            if bucket is audit_cfg:
                continue
            self.buckets[bucket.name] = EncryptedBucket(
                f"{cfg.environment}-{bucket.name}",
                bucket,
                kms_key_arn=self.keys[bucket.zone].arn,
                log_bucket=audit.bucket.id,
                tags={"enclave:zone": bucket.zone},
                opts=self._opts,
            )
        self.register_outputs({})

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """Stack outputs: what operators and other stacks need, never secrets."""
        return {
            "environment": self.cfg.environment,
            "region": self.cfg.region,
            "kms_key_arns": {name: key.arn for name, key in self.keys.items()},
            "bucket_names": {name: b.bucket.bucket for name, b in self.buckets.items()},
        }
