"""WorkloadIdentity (IRSA): an IAM role only one namespace:serviceaccount can assume through the
cluster's OIDC provider, least-privilege S3/KMS permissions from its grants, and the annotated
Kubernetes ServiceAccount (token automount off unless asked)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import arg, args_type, check, fail, schema_type
from ..config import ExistingCluster, Grant, Identity, PlatformConfig
from ..k8s.labels import MANAGED_BY
from ..scheduling import ZONE_LABEL
from .iam_policy import ResolvedGrant, grants_policy, secrets_read_statements, trust_policy

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
TOKEN_EXPIRATION_ANNOTATION = "eks.amazonaws.com/token-expiration"
MAX_SESSION_SECONDS = 3600
MAX_GRANTS = 32  # Identity.grants' max_length


def _identity_default(field: str) -> Any:
    return Identity.model_fields[field].default


ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
MAX_ROLE_NAME = 64


def role_name(*parts: str) -> str:
    """A workload role's name from its environment, (team zone) and identity names: joined with '-', and when
    longer than IAM's 64 characters, cut and made unique again with a hash of the whole."""
    name = "-".join(parts)
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_ROLE_NAME - 9]}-{digest}"


def role_arn(account_id: str, name: str, partition: str = "aws") -> str:
    """The ARN of role `name` (path '/') in `account_id`."""
    return f"arn:{partition}:iam::{account_id}:role/{name}"


@args_type
class GrantTarget:
    """Read or write access to one prefix of one bucket, encrypted with one key."""

    bucket_arn: pulumi.Input[str] = arg("ARN of the bucket (`EncryptedBucket.arn`, or an ARN from a StackReference).")
    key_alias: pulumi.Input[str] = arg(
        "The bucket key's alias, `alias/...` (`KmsKey.alias_name`): the policy names the key by it, so it is known "
        "in a first preview."
    )
    prefix: str = arg(
        "Key prefix, e.g. `imaging/v3`: access is limited to `prefix/*` (no wildcards, no leading or trailing '/')."
    )
    access: Literal["read", "write"] = arg(
        "`read` (default) or `write` (read, put and delete versions under the prefix).",
        default=Grant.model_fields["access"].default,
    )

    def __post_init__(self) -> None:
        for field in ("prefix", "access"):
            check(self, field, schema_type(Grant, field), "Use a value a grant of the stack file accepts.")


@args_type
class WorkloadIdentityArgs:
    """An IAM role (IRSA) only one namespace:serviceaccount can assume, least-privilege grants, and its
    annotated Kubernetes ServiceAccount."""

    namespace: str = arg("Kubernetes namespace of the workload; only its service account may assume the role.")
    service_account: str = arg("Name of the Kubernetes service account the role is bound to.")
    zone: str = arg("Trust zone of the workload: tagged `enclave:zone` and labelled `enclave.dev/zone`.")
    oidc_provider_arn: pulumi.Input[str] = arg(
        "ARN of the cluster's IAM OIDC provider (`GpuCluster.oidc_provider_arn`, or a StackReference output)."
    )
    oidc_issuer_url: pulumi.Input[str] = arg(
        "The cluster's OIDC issuer URL, `https://oidc.eks.<region>.amazonaws.com/id/<ID>` "
        "(`GpuCluster.oidc_issuer_url`, or a StackReference output)."
    )
    region: str = arg("AWS region of the buckets and keys the grants name, e.g. `us-east-1`.")
    grants: Sequence[GrantTarget] = arg(
        "Bucket prefixes the role may read or write (at most 32). Default none: the role gets no permissions.",
        default=(),
    )
    secrets_path: str | None = arg(
        "Secrets Manager path the role may read, e.g. `enclave/prod/training` (the zone's: `Secrets.path`): "
        "GetSecretValue and DescribeSecret on `<path>/*`, kms:Decrypt with `secrets_key_alias` through Secrets "
        "Manager for those secrets only. Default none.",
        default=None,
    )
    secrets_key_alias: pulumi.Input[str] | None = arg(
        "Alias (`alias/...`) of the key that encrypts the secrets under `secrets_path` (the zone's key).", default=None
    )
    permissions_boundary_arn: pulumi.Input[str] | None = arg(
        "ARN of an IAM policy that bounds the role's permissions (a company-wide boundary). Default none.",
        default=_identity_default("permissions_boundary_arn"),
    )
    token_expiration_seconds: int = arg(
        "Lifetime of the projected web-identity token, 600-86400 seconds (default 3600; notebooks: 600). The role's "
        "sessions last one hour, IAM's minimum.",
        default=_identity_default("token_expiration_seconds"),
    )
    automount_service_account_token: bool = arg(
        "WEAKENING: mount the Kubernetes API token into the workload's pods. Default off.",
        default=_identity_default("automount_service_account_token"),
    )
    kubernetes_provider: k8s.Provider | None = arg(
        "Provider of the cluster (`GpuCluster.kubernetes_provider`): the annotated ServiceAccount is created "
        "through it. Default none: only the role is created.",
        default=None,
    )
    service_account_depends_on: Sequence[pulumi.Resource] = arg(
        "What must exist before the ServiceAccount, e.g. its namespace (`TrustZone.namespaces[...]`).", default=()
    )
    role_name: str | None = arg(
        "The IAM role's name, e.g. `role_name('prod', 'trainer')`: known before the role exists, so a bucket's data "
        "perimeter can name the role's ARN (`role_arn(...)`). Default None: Pulumi names it (logical name plus a "
        "random suffix).",
        default=None,
    )
    tags: Mapping[str, str] | None = arg("Tags on the role, beside `enclave:zone`.", default=None)

    def __post_init__(self) -> None:
        fix = "Use a value an identity of the stack file accepts."
        if self.role_name is not None and not ROLE_NAME.fullmatch(self.role_name):
            fail(self, "role_name", "an IAM role name is 1-64 of A-Z a-z 0-9 + = , . @ _ -. Use role_name(...).")
        for field in ("namespace", "service_account", "zone", "permissions_boundary_arn", "token_expiration_seconds"):
            check(self, field, schema_type(Identity, field), fix)
        check(self, "automount_service_account_token", schema_type(Identity, "automount_service_account_token"), fix)
        check(self, "oidc_issuer_url", schema_type(ExistingCluster, "oidc_issuer_url"), "Pass the cluster's issuer.")
        check(self, "region", schema_type(PlatformConfig, "region"), "Pass an AWS region such as 'us-east-1'.")
        if (self.secrets_path is None) != (self.secrets_key_alias is None):
            fail(self, "secrets_path", "a secrets path needs the alias of the key that encrypts it, and only then one. "
                 "Pass both secrets_path and secrets_key_alias, or neither.")  # fmt: skip
        if len(self.grants) > MAX_GRANTS:
            fail(self, "grants", f"at most {MAX_GRANTS} grants. Split the workload.", what=f"{len(self.grants)} grants")


class WorkloadIdentity(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy | None
    service_account: k8s.core.v1.ServiceAccount | None
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:WorkloadIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        grants, region = args.grants, args.region
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
            lambda a: json.dumps(trust_policy(a[0], a[1], args.namespace, args.service_account))
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"IRSA for {args.namespace}/{args.service_account} (zone {args.zone})",
            assume_role_policy=trust,
            # IAM's minimum (3600-43200 allowed): every session of a workload role lasts at most one hour.
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=args.permissions_boundary_arn,
            tags={**(args.tags or {}), "enclave:zone": args.zone},
            opts=child,
        )
        self.policy = None
        if grants or args.secrets_path is not None:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            account = aws.get_caller_identity_output(opts=invoke).account_id
            partition = aws.get_partition_output(opts=invoke).partition
            resolved = pulumi.Output.all(*[pulumi.Output.all(g.bucket_arn, g.key_alias) for g in grants])
            secrets_path = args.secrets_path

            def permissions(a: list[Any]) -> str:
                policy = grants_policy(
                    [
                        ResolvedGrant(t[0], t[1], g.prefix, "write" if g.access == "write" else "read")
                        for t, g in zip(a[0], grants, strict=True)
                    ],
                    region,
                    a[1],
                    a[2],
                ) or {"Version": "2012-10-17", "Statement": []}
                if secrets_path is not None:
                    policy["Statement"] += secrets_read_statements(secrets_path, a[3], region, a[1], a[2])
                return json.dumps(policy)

            document = pulumi.Output.all(resolved, account, partition, args.secrets_key_alias).apply(permissions)
            self.policy = aws.iam.RolePolicy(f"{name}-grants", role=self.role.id, policy=document, opts=child)
        self.service_account = None
        if args.kubernetes_provider is not None:
            self.service_account = k8s.core.v1.ServiceAccount(
                f"{name}-sa",
                metadata={
                    "name": args.service_account,
                    "namespace": args.namespace,
                    "labels": {ZONE_LABEL: args.zone, **MANAGED_BY},
                    "annotations": {
                        ROLE_ARN_ANNOTATION: self.role.arn,
                        TOKEN_EXPIRATION_ANNOTATION: str(args.token_expiration_seconds),
                    },
                },
                automount_service_account_token=args.automount_service_account_token,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.kubernetes_provider, depends_on=list(args.service_account_depends_on)
                ),
            )
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role.arn})
