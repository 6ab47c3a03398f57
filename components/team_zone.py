"""TeamZone: a team's trust zone added to a running platform, from the team's own stack.

It reads the platform stack (PlatformStack, a StackReference) and creates, for its zone only: the zone's
KMS key, node security group (and the rules that let it reach the platform's system services), GPU node
pools, encrypted buckets (access logs into the platform's access-log bucket), IRSA identities, and the
zone's Kubernetes objects (namespaces with Pod Security, NetworkPolicies, Istio mTLS/authorization/Sidecar,
RBAC, quotas, placement admission). The same components and defaults as the platform's own zones."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .args import arg, args_type
from .aws.bucket import EncryptedBucket
from .aws.data_perimeter import BucketPerimeterArgs
from .aws.identity import GrantTarget, WorkloadIdentity, role_arn, role_name
from .aws.kms import KmsKey, KmsKeyArgs
from .aws.node_pool import GpuNodePool
from .aws.node_security import SYSTEM_SERVICES, ingress_rule, node_group_rules
from .config import ConfigError, KubernetesConfig, Problem
from .config.team import TeamZoneConfig, check_team
from .k8s.trust_zone import TrustZone, TrustZoneArgs
from .k8s.zone_context import ZoneContext
from .platform import team_bucket_prefix
from .pulumi_internals import known_value, whole_numbers
from .schema_args import bucket_args, identity_args, node_pool_args

# What a team's stack reads from the platform stack: every one is a Platform output (Platform.outputs).
PLAIN_OUTPUTS = (
    "environment", "region", "namespaces", "kubernetes", "psa_version", "private_subnet_ids", "subnet_by_az",
    "system_zone", "team_zones", "s3_endpoint_ids", "data_perimeter",
)  # fmt: skip


class PlatformStack:
    """The platform stack's outputs, read through a StackReference: ARNs, ids and names stay Outputs; the
    few values that shape the team's resources (zones and namespaces, cluster-wide Kubernetes settings,
    region) are read plain, which a StackReference allows since the referenced stack is deployed."""

    def __init__(self, name: str, reference: pulumi.StackReference) -> None:
        self.name = name
        self.reference = reference
        self.plain: dict[str, Any] = {}
        for key in PLAIN_OUTPUTS:
            value = known_value(reference.get_output(key), f"output {key!r} of platform stack {name!r}")
            if value is None:
                why = f"platform stack {name!r} exports no {key!r}: deploy it with a GPU Enclave that does"
                raise ConfigError([Problem((), why, root="platform_stack")])
            self.plain[key] = whole_numbers(value)

    def output(self, key: str) -> pulumi.Output[Any]:
        return self.reference.require_output(key)

    @property
    def region(self) -> str:
        return str(self.plain["region"])

    @property
    def environment(self) -> str:
        return str(self.plain["environment"])

    @property
    def namespaces(self) -> dict[str, list[str]]:
        return dict(self.plain["namespaces"])

    @property
    def kubernetes(self) -> KubernetesConfig:
        return KubernetesConfig.model_validate(self.plain["kubernetes"])


@args_type
class TeamZoneArgs:
    """A team's zone on a running platform."""

    config: TeamZoneConfig = arg("The team's zone, pools, buckets, identities and flows (`<project>:team`).")
    platform: PlatformStack = arg("The platform stack it joins (PlatformStack over a StackReference).")
    tags: dict[str, str] = arg("Extra tags on the team's AWS resources.", default_factory=dict)


class TeamZone(pulumi.ComponentResource):
    key: KmsKey
    node_security_group: aws.ec2.SecurityGroup
    node_pools: dict[str, GpuNodePool]
    buckets: dict[str, EncryptedBucket]
    identities: dict[str, WorkloadIdentity]
    zone: TrustZone

    def __init__(self, name: str, args: TeamZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        cfg, platform = args.config, args.platform
        problems = check_team(cfg) + _against_platform(cfg, platform)
        if problems:
            raise ConfigError(problems, "the team zone config")
        super().__init__("enclave:index:TeamZone", name, None, opts)
        zone = cfg.zone.name
        env = platform.environment
        tags = {**args.tags, "enclave:environment": env, "enclave:zone": zone, "enclave:managed-by": "gpu-enclave"}
        child = pulumi.ResourceOptions(parent=self)
        self.key = KmsKey(
            f"{name}-key",
            KmsKeyArgs(
                alias=f"enclave/{env}/{zone}",
                description=f"GPU Enclave {env}: data of team zone {zone} ({cfg.zone.zone_class})",
                ebs_autoscaling=True,
                tags=tags,
            ),
            opts=child,
        )
        ready = self._node_security(zone, platform, tags)
        self.node_pools = {
            pool.name: GpuNodePool(
                f"{name}-{pool.name}",
                node_pool_args(
                    pool,
                    cluster_name=platform.output("cluster_name"),
                    node_security_group_id=self.node_security_group.id,
                    vpc_id=platform.output("vpc_id"),
                    subnet_ids=list(platform.plain["private_subnet_ids"]),
                    subnet_by_az=dict(platform.plain["subnet_by_az"]),
                    kms_key_arn=self.key.arn,
                    instance_tags=tags,
                    tags=tags,
                    ready=ready,
                ),
                opts=child,
            )
            for pool in cfg.node_pools
        }
        # Named under the prefix the platform's trail records ('<env>-<zone>-'): object reads and writes of the
        # team's buckets are in the platform's audit trail (LOG-03). Every one is an ePHI bucket behind the
        # platform's data perimeter (its S3 endpoints and admin roles), admitting the team's own identities.
        self.buckets = {
            bucket.name: EncryptedBucket(
                f"{team_bucket_prefix(env, zone)}{bucket.name}",
                bucket_args(
                    bucket, kms_key_arn=self.key.arn, log_bucket=platform.output("access_log_bucket"), tags=tags,
                    perimeter=self._perimeter(cfg, platform, bucket.name),
                ),
                opts=child,
            )
            for bucket in cfg.buckets
        }  # fmt: skip
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=platform.output("kubeconfig"), opts=child)
        self.zone = TrustZone(
            f"{env}-{zone}",
            TrustZoneArgs(
                context=ZoneContext(
                    zone=cfg.zone,
                    flows=tuple(cfg.flows),
                    gpu_pools=tuple(p.name for p in cfg.node_pools),
                    efa=any(p.efa for p in cfg.node_pools),
                    training_service_accounts=_accounts(cfg),
                    kubernetes=platform.kubernetes,
                    psa_version=str(platform.plain["psa_version"]),
                    region=platform.region,
                ),
                provider=provider,
                s3_endpoint_url=platform.output("s3_endpoint_url"),
            ),
            opts=child,
        )
        self.identities = {
            ident.name: WorkloadIdentity(
                f"{name}-{ident.name}",
                identity_args(
                    ident,
                    oidc_provider_arn=platform.output("oidc_provider_arn"),
                    oidc_issuer_url=platform.output("oidc_issuer_url"),
                    region=platform.region,
                    grants=[
                        GrantTarget(
                            bucket_arn=self.buckets[g.bucket].arn,
                            key_alias=self.key.alias_name,
                            prefix=g.prefix,
                            access=g.access,
                        )
                        for g in ident.grants
                    ],
                    kubernetes_provider=provider,
                    service_account_depends_on=[self.zone.namespaces[ident.namespace]],
                    tags=tags,
                    role_name=role_name(env, zone, ident.name),
                ),
                opts=child,
            )
            for ident in cfg.identities
        }
        self.register_outputs(self.outputs())

    def _perimeter(self, cfg: TeamZoneConfig, platform: PlatformStack, bucket: str) -> BucketPerimeterArgs | None:
        """The platform's data perimeter around a team bucket: the team identities granted a prefix of it, the
        platform's admin roles and S3 endpoints. None when the platform turned its perimeter off."""
        fence = platform.plain["data_perimeter"]
        if not fence.get("enabled"):
            return None
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        env, zone = platform.environment, cfg.zone.name
        names = [role_name(env, zone, i.name) for i in cfg.identities if any(g.bucket == bucket for g in i.grants)]

        def arn(name: str) -> pulumi.Output[str]:
            return pulumi.Output.all(account, partition).apply(lambda a: role_arn(a[0], name, a[1]))

        return BucketPerimeterArgs(
            endpoint_ids=list(platform.plain["s3_endpoint_ids"]),
            principal_arns=[arn(n) for n in names],
            admin_role_arns=list(fence.get("admin_role_arns", [])),
        )

    def _node_security(self, zone: str, platform: PlatformStack, tags: dict[str, str]) -> list[pulumi.Resource]:
        """The zone's node security group with the rules a platform zone's group gets (its own nodes, the
        control plane, the system pool, open egress, the API endpoint from its nodes), named as the platform
        names them; and, on the platform's system-pool group, the system services (DNS, istiod) for it."""
        env = platform.environment
        group_name = f"{env}-{zone}-nodes"
        self.node_security_group = group = aws.ec2.SecurityGroup(
            group_name,
            vpc_id=platform.output("vpc_id"),
            description=f"Nodes of team zone {zone}: its own nodes, the control plane, the system pool",
            tags={**tags, "Name": group_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        system_zone = platform.plain["system_zone"]
        system: tuple[str, pulumi.Input[str]] | None = None
        if system_zone is not None:
            system = (system_zone, platform.output("node_security_group_ids").apply(lambda g: g[system_zone]))
        rules = node_group_rules(
            self,
            env,
            zone,
            group.id,
            cluster_security_group_id=platform.output("cluster_security_group_id"),
            system=system,
            flows=[],
            tags=tags,
        )
        if system is not None:
            rules += [
                ingress_rule(f"{env}-{system_zone}-nodes-from-{zone}-{ports.label}", into=system[1], source=group.id,
                             ports=ports, why=f"System services for zone {zone}", tags=tags, parent=self)
                for ports in SYSTEM_SERVICES
            ]  # fmt: skip
        return rules

    def outputs(self) -> dict[str, pulumi.Input[Any]]:
        return {
            "namespaces": list(self.zone.namespaces),
            "kms_key_arn": self.key.arn,
            "bucket_names": {n: b.name for n, b in self.buckets.items()},
            "workload_role_arns": {n: i.role_arn for n, i in self.identities.items()},
            "node_security_group_id": self.node_security_group.id,
        }


def _accounts(cfg: TeamZoneConfig) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for ident in cfg.identities:
        out.setdefault(ident.namespace, []).append(ident.service_account)
    return {ns: tuple(sas) for ns, sas in out.items()}


def _against_platform(cfg: TeamZoneConfig, platform: PlatformStack) -> list[Problem]:
    """A team zone may not reuse a platform zone's name or namespace, and must be one the platform's trail
    records (listed in its team_zones)."""
    out: list[Problem] = []
    taken = platform.namespaces
    if cfg.zone.name not in platform.plain["team_zones"]:
        why = (
            f"platform stack {platform.name!r} does not list this zone in its team_zones, so its trail would not "
            "record the zone's bucket reads and writes: add it there (gpu-enclave:platform.team_zones) and deploy "
            "the platform first"
        )
        out.append(Problem(("zone", "name"), why, cfg.zone.name))
    if cfg.zone.name in taken:
        out.append(Problem(("zone", "name"), f"platform stack {platform.name!r} has a zone of that name; pick "
                           "another", cfg.zone.name))  # fmt: skip
    used = {ns: z for z, nss in taken.items() for ns in nss}
    for i, ns in enumerate(cfg.zone.namespaces):
        if ns in used:
            out.append(Problem(("zone", "namespaces", i), f"namespace of platform zone {used[ns]!r}", ns))
    return out
