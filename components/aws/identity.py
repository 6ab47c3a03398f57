"""WorkloadIdentity (IRSA): an IAM role only one namespace:serviceaccount can assume through the
cluster's OIDC provider, least-privilege S3/KMS permissions from its grants, and the annotated
Kubernetes ServiceAccount (token automount off unless asked)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..config import Identity
from .iam_policy import ResolvedGrant, grants_policy, trust_policy

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
TOKEN_EXPIRATION_ANNOTATION = "eks.amazonaws.com/token-expiration"
MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class GrantTarget:
    """A grant of the config with its bucket's ARN and its key's alias (`alias/...`; outputs of other
    components: EncryptedBucket.arn, KmsKey.alias_name)."""

    bucket_arn: pulumi.Input[str]
    key_alias: pulumi.Input[str]
    prefix: str
    access: str


class WorkloadIdentity(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy | None
    service_account: k8s.core.v1.ServiceAccount | None
    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: Identity,
        *,
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        region: str,
        grants: Sequence[GrantTarget] = (),
        kubernetes_provider: k8s.Provider | None = None,
        service_account_depends_on: Sequence[pulumi.Resource] = (),
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("enclave:aws:WorkloadIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(
            lambda a: json.dumps(trust_policy(a[0], a[1], config.namespace, config.service_account))
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"IRSA for {config.namespace}/{config.service_account} (zone {config.zone})",
            assume_role_policy=trust,
            # IAM's minimum (3600-43200 allowed): every session of a workload role lasts at most one hour.
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=config.permissions_boundary_arn,
            tags={**(tags or {}), "enclave:zone": config.zone},
            opts=child,
        )
        self.policy = None
        if grants:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            account = aws.get_caller_identity_output(opts=invoke).account_id
            partition = aws.get_partition_output(opts=invoke).partition
            resolved = pulumi.Output.all(*[pulumi.Output.all(g.bucket_arn, g.key_alias) for g in grants])
            document = pulumi.Output.all(resolved, account, partition).apply(
                lambda a: json.dumps(
                    grants_policy(
                        [
                            ResolvedGrant(t[0], t[1], g.prefix, "write" if g.access == "write" else "read")
                            for t, g in zip(a[0], grants, strict=True)
                        ],
                        region,
                        a[1],
                        a[2],
                    )
                )
            )
            self.policy = aws.iam.RolePolicy(f"{name}-grants", role=self.role.id, policy=document, opts=child)
        self.service_account = None
        if kubernetes_provider is not None:
            self.service_account = k8s.core.v1.ServiceAccount(
                f"{name}-sa",
                metadata={
                    "name": config.service_account,
                    "namespace": config.namespace,
                    "labels": {"enclave.dev/zone": config.zone, "app.kubernetes.io/managed-by": "gpu-enclave"},
                    "annotations": {
                        ROLE_ARN_ANNOTATION: self.role.arn,
                        TOKEN_EXPIRATION_ANNOTATION: str(config.token_expiration_seconds),
                    },
                },
                automount_service_account_token=config.automount_service_account_token,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=kubernetes_provider, depends_on=list(service_account_depends_on)
                ),
            )
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role.arn})
