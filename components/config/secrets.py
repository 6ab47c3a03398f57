"""Secrets from AWS Secrets Manager as files: a path per zone on the zone's key, read by the zone's workloads through
the Secrets Store CSI driver and its AWS provider, never copied into Kubernetes Secrets."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Name, StrictModel
from .kubernetes import ChartVersion, ImageTag

SecretName = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
LambdaArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$")
]


class ManagerSecret(StrictModel):
    """A Secrets Manager secret of one zone: `enclave/<environment>/<zone>/<name>`, encrypted with the zone's key.
    The platform creates the secret, never its value: an operator puts the value (`aws secretsmanager
    put-secret-value`), so no value is in code, in the stack's state or in Kubernetes."""

    zone: Name = Field(description="The zone whose workloads read it (and whose key encrypts it).")
    name: SecretName = Field(description="Name under the zone's path; also the file name in the pod.")
    description: Annotated[str, Field(max_length=256)] = ""
    rotation_lambda_arn: LambdaArn | None = Field(
        default=None,
        description="A rotation Lambda of yours: Secrets Manager rotates the secret every `rotation_days`. The "
        "function's role needs kms:Decrypt / GenerateDataKey on the zone's key through Secrets Manager.",
    )
    rotation_days: int = Field(default=30, ge=1, le=365, description="Days between rotations (with a rotation Lambda).")


class Secrets(StrictModel):
    """Zone workloads read secrets from AWS Secrets Manager as read-only 0400 files (the Secrets Store CSI driver
    with the AWS provider, ASCP): each zone has a path `enclave/<environment>/<zone>/` whose secrets its key
    encrypts, its workload roles may read that path only, and its namespaces get a SecretProviderClass naming the
    zone's secrets. The driver never syncs them into Kubernetes Secrets (`syncSecret.enabled: false`)."""

    from_manager: bool = Field(
        default=True,
        description="The CSI driver and provider (node agents), the zones' secrets and SecretProviderClasses, and "
        "read grants on each zone's path for its workload roles. When false, none of these: zone workloads then "
        "have no platform way to get a secret.",
    )
    secrets: list[ManagerSecret] = Field(
        default_factory=list,
        max_length=256,
        description="The secrets the platform creates (values put by an operator, out of band).",
    )
    recovery_window_days: int = Field(
        default=30, ge=7, le=30, description="Days a deleted secret can still be restored (7 to 30)."
    )
    driver_chart: ChartVersion = Field(default="1.4.8", description="secrets-store-csi-driver chart (kubernetes-sigs).")
    driver_image: ImageTag = Field(default="v1.4.8", description="Tag of registry.k8s.io/csi-secrets-store/driver.")
    registrar_image: ImageTag = Field(
        default="v2.11.1", description="Tag of registry.k8s.io/sig-storage/csi-node-driver-registrar."
    )
    liveness_probe_image: ImageTag = Field(
        default="v2.13.1", description="Tag of registry.k8s.io/sig-storage/livenessprobe."
    )
    provider_chart: ChartVersion = Field(
        default="2.1.1", description="The AWS provider's chart, secrets-store-csi-driver-provider-aws."
    )
    provider_image: ImageTag = Field(
        default="2.1.0", description="Tag of public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws."
    )

    @staticmethod
    def path(environment: str, zone: str) -> str:
        """The Secrets Manager path of `zone`'s secrets (no trailing '/')."""
        return f"enclave/{environment}/{zone}"

    @staticmethod
    def provider_class(zone: str) -> str:
        """The SecretProviderClass of `zone` in each of its namespaces."""
        return f"enclave-{zone}"

    def of_zone(self, zone: str) -> list[ManagerSecret]:
        return [s for s in self.secrets if s.zone == zone]
