"""Workload identity (IRSA) config: one Kubernetes service account, its bucket/prefix grants."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Name, Namespace, S3Prefix, ServiceAccountName, StrictModel


class Grant(StrictModel):
    """Read or write access to one prefix of one bucket."""

    bucket: Name = Field(description="Logical name of a bucket in `buckets`.")
    prefix: S3Prefix = Field(description="Key prefix, e.g. 'imaging/v3'; access is limited to 'prefix/*'.")
    access: Literal["read", "write"] = "read"


class Identity(StrictModel):
    """An IAM role assumable only by one namespace:serviceaccount through the cluster's OIDC provider."""

    name: Name
    zone: Name
    namespace: Namespace
    service_account: ServiceAccountName
    grants: list[Grant] = Field(default_factory=list, max_length=32)
    token_expiration_seconds: int = Field(
        default=3600,
        ge=600,
        le=86400,
        description="Lifetime of the projected web-identity token (ServiceAccount annotation "
        "eks.amazonaws.com/token-expiration). The role's session is one hour, IAM's minimum; a shorter token "
        "limits how long a stolen token can mint new sessions (notebooks: 600).",
    )
    permissions_boundary_arn: (
        Annotated[
            str, Field(pattern=r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[A-Za-z0-9_+=,.@/-]+$", max_length=2048)
        ]
        | None
    ) = None
    automount_service_account_token: bool = Field(
        default=False, description="WEAKENING: mount the Kubernetes API token into pods."
    )
    promotion: bool = Field(
        default=False,
        description="The model promotion identity: the only kind that may write a prefix notebook identities read "
        "(e.g. models-staging/promoted), after the checks your promotion pipeline runs on a candidate. It must not "
        "read datasets, and lives in a zone with no data_scientist_groups (no data scientist can run pods as it).",
    )
