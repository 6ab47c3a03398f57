"""Platform: composes every component of one environment from its validated PlatformConfig."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .aws.alarms import (
    AlarmTopic,
    AlarmTopicArgs,
    ArtifactWatch,
    SecurityAlarms,
    SecurityAlarmsArgs,
    topic_key_alias,
    topic_name,
)
from .aws.audit import AuditTrail, AuditTrailArgs, audit_key_services, trail_arn, trail_name
from .aws.bucket import EncryptedBucket
from .aws.cluster import GpuCluster, GpuClusterArgs
from .aws.data_perimeter import BucketPerimeterArgs
from .aws.dns import VpcDns, VpcDnsArgs, platform_domains
from .aws.guardduty import GuardDutyDetection, findings_rule_name
from .aws.identity import GrantTarget, WorkloadIdentity, role_arn, role_name
from .aws.kms import KmsKey, KmsKeyArgs
from .aws.log_copies import LogCopies, LogCopiesArgs
from .aws.logs import encrypted_log_group
from .aws.network import Network, NetworkArgs
from .aws.node_pool import GpuNodePool, GpuNodePoolArgs
from .aws.node_security import NodeSecurityGroups, NodeSecurityGroupsArgs, zone_ingress
from .aws.registry import ZoneRepositories, ZoneRepositoriesArgs
from .aws.replication import BucketBackups, BucketBackupsArgs, replicated_bucket
from .aws.secrets import ManagerSecrets, ManagerSecretsArgs
from .aws.signals import FLOW_LOG_FORMAT
from .aws.volumes import EncryptedVolumes, EncryptedVolumesArgs
from .config import ConfigError, CreatedCluster, CreatedNetwork, NodePool, PlatformConfig, Secrets
from .config.buckets import access_log_bucket_name
from .config.images import node_role_name
from .config.references import check_references
from .k8s.addons import ClusterAddons, ClusterAddonsArgs
from .k8s.falco import detection_agents, zone_runtime
from .k8s.images import falco_registry
from .k8s.runtime_detection import RuntimeDetection, RuntimeDetectionArgs
from .k8s.trust_zone import TrustZone, TrustZoneArgs
from .k8s.zone_context import ZoneContext
from .schema_args import bucket_args, identity_args, node_pool_args

ARTIFACT_PURPOSES = ("datasets", "models", "checkpoints")
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"


def replication_role_name(environment: str) -> str:
    """The name of the backups' S3 replication role."""
    return f"{environment}-s3-replication"


def team_bucket_prefix(environment: str, zone: str) -> str:
    """The S3-name prefix of a team zone's buckets: the platform's trail records their object events."""
    return f"{environment}-{zone}-"


def platform_tags(cfg: PlatformConfig) -> dict[str, str]:
    return {**cfg.tags, "enclave:environment": cfg.environment, "enclave:managed-by": "gpu-enclave"}


class Platform(pulumi.ComponentResource):
    """Everything of one environment: provider, keys, network, cluster, node pools, buckets, identities,
    audit trail, cluster add-ons and trust zones."""

    provider: aws.Provider
    autoscaling_role: aws.iam.ServiceLinkedRole | None
    keys: dict[str, KmsKey]
    bucket_keys: dict[str, KmsKey]
    network: Network
    dns: VpcDns
    cluster: GpuCluster
    node_security: NodeSecurityGroups
    node_pools: dict[str, GpuNodePool]
    buckets: dict[str, EncryptedBucket]
    identities: dict[str, WorkloadIdentity]
    audit: AuditTrail
    addons: ClusterAddons
    zones: dict[str, TrustZone]
    repositories: dict[str, ZoneRepositories]
    volumes: EncryptedVolumes | None
    log_copies: LogCopies | None
    manager_secrets: ManagerSecrets | None
    backups_provider: aws.Provider | None
    backups: BucketBackups | None

    def __init__(self, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        """`cfg` from `load_platform_config` / `validate_platform`. A PlatformConfig built any other way
        (`model_validate`, `model_construct`, a copy with edits) is held to the same cross-field rules here,
        before anything is registered: a ConfigError lists every problem."""
        problems = check_references(cfg)
        if problems:
            raise ConfigError(problems, "the PlatformConfig given to Platform")
        super().__init__("enclave:index:Platform", cfg.environment, None, opts)
        self.cfg = cfg
        env = cfg.environment
        self.provider = aws.Provider(
            f"{env}-aws",
            region=cfg.region,
            allowed_account_ids=[cfg.account_id] if cfg.account_id else None,
            default_tags={"tags": platform_tags(cfg)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        self._keys(cfg)
        platform_zone = next(z for z in cfg.zones if z.zone_class == "platform")
        audit_key = self.audit_key.arn
        self.network = Network(
            env,
            NetworkArgs(
                settings=cfg.network,
                region=cfg.region,
                flow_log_key_arn=audit_key,
                log_retention_days=cfg.logging.retention_days,
                # The alarms read the subnet and direction of each flow: AWS's default format has neither.
                flow_log_format=FLOW_LOG_FORMAT if cfg.detection.alarms else None,
            ),
            opts=self._opts,
        )
        self.dns = VpcDns(
            env,
            VpcDnsArgs(
                settings=cfg.network.dns,
                vpc_id=self.network.vpc_id,
                allowed_domains=platform_domains(cfg),
                log_key_arn=audit_key,
                log_group_name=f"/enclave/{env}/dns-queries",
                # Who asked for which name is audit evidence, kept as long as the trail.
                log_retention_days=cfg.logging.audit_retention_days,
            ),
            opts=self._opts,
        )
        self.cluster = GpuCluster(
            env,
            GpuClusterArgs(
                settings=cfg.cluster,
                region=cfg.region,
                subnet_ids=self.network.private_subnet_ids,
                secrets_key_arn=self.secrets_key.arn,
                secrets_key_alias=self.secrets_key.alias_name,
                log_key_arn=audit_key,
                # The control-plane group holds the Kubernetes audit log: kept as long as the audit trail.
                log_retention_days=cfg.logging.audit_retention_days,
                cni_cloudwatch_logs=cfg.detection.alarms,
            ),
            opts=self._opts,
        )
        self._node_pools(cfg, platform_zone.name)
        system = self.node_pools.get("system")
        self.cluster.install_node_addons([system.node_group] if system else [])
        self._buckets(cfg)
        self.alarm_topic = self._alarm_topic(cfg)
        self._repositories(cfg)
        self._backups(cfg)
        replica_arns = [] if self.backups is None else [b.arn for b in self.backups.replicas.values()]
        self.audit = AuditTrail(
            env,
            AuditTrailArgs(
                bucket_name=self.buckets[cfg.audit_bucket.name].name,
                kms_key_arn=audit_key,
                # the replicas too: a restore reads them (the trail is multi-region)
                data_event_bucket_arns=[
                    *(self.buckets[b.name].arn for b in cfg.buckets if b.purpose in ARTIFACT_PURPOSES),
                    *replica_arns,
                ],
                data_event_name_prefixes=[team_bucket_prefix(env, zone) for zone in cfg.team_zones],
                retention_days=cfg.logging.audit_retention_days,
                bucket_policy_ready=[
                    self.buckets[cfg.audit_bucket.name].policy,
                    *([self.alarm_topic.policy] if self.alarm_topic else []),
                ],
                sns_topic_arn=self.alarm_topic.topic.arn if self.alarm_topic else None,
            ),
            opts=self._opts,
        )
        self._log_copies(cfg)
        k8s_provider = self.cluster.kubernetes_provider
        # Add-on controllers (istiod, Kyverno) run on the system pool: wait for it, and only for it. A GPU
        # pool short of capacity must not hold back the mesh and the zones (device-plugin DaemonSets start
        # wherever GPU nodes appear).
        self.addons = ClusterAddons(
            env,
            ClusterAddonsArgs(
                kubernetes=cfg.kubernetes,
                region=cfg.region,
                provider=k8s_provider,
                system_pool=system is not None,
                psa_version=ZoneContext.of_platform(cfg, cfg.zones[0]).psa_version,
                zone_images=env if cfg.images.enabled else None,
                zones=[*(z.name for z in cfg.zones), *cfg.team_zones],
                nodes_ready=[system.node_group] if system else [],
                detection_agents=detection_agents(cfg),
                zone_stages={z.name: z.rollout.stage for z in cfg.zones if z.rollout.stage != "enforce"},
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.provider]),
        )
        self._volumes(cfg, system_pool=system is not None, nodes_ready=[system.node_group] if system else [])
        dns = self.network.s3_interface_endpoint_dns
        self.s3_endpoint_url = None if dns is None else pulumi.Output.concat("https://bucket.", dns)
        self.zones = {
            zone.name: TrustZone(
                f"{env}-{zone.name}",
                TrustZoneArgs(
                    context=ZoneContext.of_platform(cfg, zone),
                    provider=k8s_provider,
                    mesh_ready=[self.addons.istio_base],
                    admission_ready=[self.addons.kyverno],
                    s3_endpoint_url=self.s3_endpoint_url,
                ),
                opts=self._opts,
            )
            for zone in cfg.zones
        }
        self._manager_secrets(cfg, nodes_ready=[system.node_group] if system else [])
        self._identities(cfg)
        self._detection(cfg)
        self._runtime_detection(cfg, [system.node_group] if system else [])
        self.register_outputs(self.outputs())

    def _autoscaling_role(self, cfg: PlatformConfig, needed: bool) -> list[pulumi.Resource]:
        """EC2 Auto Scaling's service-linked role, which the node-volume keys' policies name: created here (the
        keys wait for it) unless the account has it already (`autoscaling_service_linked_role: exists`). It is
        the account's, shared by every Auto Scaling group there: `pulumi destroy` leaves it in place."""
        self.autoscaling_role = None
        if not needed or cfg.autoscaling_service_linked_role == "exists":
            return []
        self.autoscaling_role = aws.iam.ServiceLinkedRole(
            f"{cfg.environment}-autoscaling-service-role",
            aws_service_name=AUTOSCALING_SERVICE,
            description="EC2 Auto Scaling (managed node groups); named by the GPU Enclave zone keys",
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(retain_on_delete=True)),
        )
        return [self.autoscaling_role]

    def _keys(self, cfg: PlatformConfig) -> None:
        env = cfg.environment
        pool_zones = {p.zone for p in cfg.node_pools}
        # Node root volumes of the zone's pools (and the platform's system pool) use the zone's key.
        created = cfg.cluster.mode == "create"
        volume_zones = {z.name for z in cfg.zones if z.name in pool_zones or (z.zone_class == "platform" and created)}
        autoscaling = self._autoscaling_role(cfg, bool(volume_zones))
        self.keys = {}
        for zone in cfg.zones:
            volumes = zone.name in volume_zones
            self.keys[zone.name] = KmsKey(
                f"{env}-{zone.name}",
                KmsKeyArgs(
                    alias=f"enclave/{env}/{zone.name}",
                    description=f"GPU Enclave {env}: data of zone {zone.name} ({zone.zone_class})",
                    ebs_autoscaling=volumes,
                    principals_ready=autoscaling if volumes else (),
                    tags={"enclave:zone": zone.name},
                ),
                opts=self._opts,
            )
        # Buckets that ask for a key of their own (e.g. production model weights) get one, in their zone.
        self.bucket_keys = {
            bucket.name: KmsKey(
                f"{env}-{bucket.name}",
                KmsKeyArgs(
                    alias=f"enclave/{env}/{bucket.name}",
                    description=f"GPU Enclave {env}: {bucket.purpose} bucket {bucket.name} of zone {bucket.zone}",
                    tags={"enclave:zone": bucket.zone, "enclave:purpose": bucket.purpose},
                ),
                opts=self._opts,
            )
            for bucket in cfg.buckets
            if bucket.dedicated_key
        }
        # Audit evidence has a key of its own: the trail, its bucket and every log group. Only the services
        # that write it may use it, so who may decrypt audit logs is decided apart from who reads zone data.
        self.audit_key = KmsKey(
            f"{env}-audit",
            KmsKeyArgs(
                alias=f"enclave/{env}/audit",
                description=f"GPU Enclave {env}: audit trail, its bucket, control-plane and flow logs",
                services=audit_key_services(cfg.region, trail_name(env), self._flow_log_copies(cfg)),
                tags={"enclave:purpose": "audit-logs"},
            ),
            opts=self._opts,
        )
        self.secrets_key = KmsKey(
            f"{env}-eks-secrets",
            KmsKeyArgs(
                alias=f"enclave/{env}/eks-secrets",
                description=f"GPU Enclave {env}: envelope encryption of Kubernetes secrets",
            ),
            opts=self._opts,
        )

    @staticmethod
    def _flow_log_copies(cfg: PlatformConfig) -> bool:
        """Whether flow logs are copied to the audit bucket: copies on, and the network records flow logs."""
        return cfg.logging.immutable_copies and cfg.network.flow_logs

    def _log_copies(self, cfg: PlatformConfig) -> None:
        """Copies of the control-plane logs (Firehose) and flow logs (S3 delivery) in the object-locked audit
        bucket (logging.immutable_copies). A cluster the stack does not create has no control-plane group here."""
        self.log_copies = None
        if not cfg.logging.immutable_copies:
            return
        audit = self.buckets[cfg.audit_bucket.name]
        group = self.cluster.log_group
        flow = self.network.flow_log
        if group is None and flow is None:
            return
        self.log_copies = LogCopies(
            cfg.environment,
            LogCopiesArgs(
                name=cfg.environment,
                region=cfg.region,
                bucket_name=audit.name,
                kms_key_arn=self.audit_key.arn,
                kms_key_alias=self.audit_key.alias_name,
                control_plane_log_group=group.name if group is not None else None,
                vpc_id=self.network.vpc_id if flow is not None else None,
                flow_log_format=FLOW_LOG_FORMAT if cfg.detection.alarms else None,
                retention_days=cfg.logging.audit_retention_days,
                buffer_seconds=cfg.logging.copy_buffer_seconds,
                ready=[audit.policy, *([group] if group is not None else [])],
            ),
            opts=self._opts,
        )

    def _repositories(self, cfg: PlatformConfig) -> None:
        """Each zone's ECR repositories (images.repositories): pulled only by the node roles of the zone's pools."""
        self.repositories = {}
        images = cfg.images
        if not images.enabled:
            return
        platform_zone = next(z.name for z in cfg.zones if z.zone_class == "platform")
        for zone, names in images.repositories.items():
            if not names:
                continue
            # The system pool is the platform zone's: its pods run there.
            pools = [p.name for p in cfg.node_pools if p.zone == zone]
            pools += ["system"] if zone == platform_zone and "system" in self.node_pools else []
            arns = [self.role_arn(node_role_name(cfg.environment, n)) for n in pools]
            self.repositories[zone] = ZoneRepositories(
                f"{cfg.environment}-{zone}-images",
                ZoneRepositoriesArgs(
                    environment=cfg.environment,
                    zone=zone,
                    names=names,
                    kms_key_arn=self.keys[zone].arn,
                    puller_role_arns=arns,
                    push_role_arns=images.push_role_arns,
                    principals_ready=[self.node_pools[n].node_role for n in pools],
                ),
                opts=self._opts,
            )

    def _volumes(self, cfg: PlatformConfig, system_pool: bool, nodes_ready: list[pulumi.Resource]) -> None:
        """The EBS CSI driver and each zone's StorageClass on the zone's key (storage.encrypted_volumes)."""
        self.volumes = None
        if not cfg.storage.encrypted_volumes:
            return
        self.volumes = EncryptedVolumes(
            cfg.environment,
            EncryptedVolumesArgs(
                cluster_name=self.cluster.name,
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer_url=self.cluster.oidc_issuer_url,
                region=cfg.region,
                zone_keys={z.name: (self.keys[z.name].arn, self.keys[z.name].alias_name) for z in cfg.zones},
                kubernetes_provider=self.cluster.kubernetes_provider,
                settings=cfg.storage,
                system_pool=system_pool,
                nodes_ready=nodes_ready,
            ),
            opts=self._opts,
        )

    def _manager_secrets(self, cfg: PlatformConfig, nodes_ready: list[pulumi.Resource]) -> None:
        """The zones' Secrets Manager secrets, the CSI driver and provider, each zone's SecretProviderClass
        (secrets.from_manager)."""
        self.manager_secrets = None
        if not cfg.secrets.from_manager:
            return
        self.manager_secrets = ManagerSecrets(
            cfg.environment,
            ManagerSecretsArgs(
                environment=cfg.environment,
                region=cfg.region,
                zone_keys={z.name: self.keys[z.name].arn for z in cfg.zones},
                zone_namespaces={name: dict(zone.namespaces) for name, zone in self.zones.items()},
                kubernetes_provider=self.cluster.kubernetes_provider,
                kubernetes=cfg.kubernetes,
                settings=cfg.secrets,
                agents_ready=[*self.addons.agent_namespaces[:1], *nodes_ready],
            ),
            opts=self._opts,
        )

    def _node_pools(self, cfg: PlatformConfig, platform_zone: str) -> None:
        env = cfg.environment
        created = cfg.cluster.mode == "create"
        self.node_security = NodeSecurityGroups(
            env,
            NodeSecurityGroupsArgs(
                ingress=zone_ingress(cfg),
                system_zone=platform_zone if created else None,
                vpc_id=self.network.vpc_id,
                cluster_security_group_id=self.cluster.cluster_security_group_id,
            ),
            opts=self._opts,
        )
        prerequisites = self._node_prerequisites()
        self.node_pools = {}
        if isinstance(cfg.cluster, CreatedCluster):
            system = cfg.cluster.system_pool
            system_cfg = NodePool(
                name="system",
                zone=platform_zone,
                instance_types=system.instance_types,
                min_size=system.min_size,
                desired_size=system.desired_size,
                max_size=system.max_size,
                disk_size_gib=system.disk_size_gib,
            )
            self.node_pools["system"] = GpuNodePool(
                f"{env}-system", self._pool_args(cfg, system_cfg, prerequisites, gpu=False), opts=self._opts
            )
        for pool in cfg.node_pools:
            self.node_pools[pool.name] = GpuNodePool(
                f"{env}-{pool.name}", self._pool_args(cfg, pool, prerequisites), opts=self._opts
            )

    def _pool_args(
        self, cfg: PlatformConfig, pool: NodePool, prerequisites: list[pulumi.Resource], gpu: bool = True
    ) -> GpuNodePoolArgs:
        """A node pool of the stack file on the platform's network, cluster and zone key."""
        zone = pool.zone
        return node_pool_args(
            pool,
            gpu=gpu,
            cluster_name=self.cluster.name,
            node_security_group_id=self.node_security.groups[zone].id,
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.private_subnet_ids,
            subnet_by_az=self.network.subnet_by_az,
            kms_key_arn=self.keys[zone].arn,
            instance_tags=platform_tags(cfg),
            ready=[*prerequisites, *self.node_security.ready[zone]],
            # Named up front: the zone's ECR repository policies name the role before it exists.
            role_name=node_role_name(cfg.environment, pool.name),
        )

    def _node_prerequisites(self) -> list[pulumi.Resource]:
        """What must exist before nodes launch: the VPC CNI add-on (the node role has no CNI permissions),
        the VPC endpoints and routes that bootstrap and image pulls go through, the DNS query log and firewall."""
        net = self.network
        ready: list[pulumi.Resource] = [*net.endpoints.values(), *net.route_table_associations, *net.transit_routes]
        # No workload runs before the VPC's DNS is recorded and guarded.
        ready += [r for r in (self.dns.query_log_association, self.dns.firewall_association) if r is not None]
        if self.cluster.vpc_cni is not None:
            ready.append(self.cluster.vpc_cni)
        return ready

    def _trail_arn(self) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        return pulumi.Output.all(account, partition).apply(
            lambda a: trail_arn(self.cfg.environment, self.cfg.region, a[0], a[1])
        )

    def bucket_key(self, bucket: str) -> KmsKey:
        """The key that encrypts `bucket`: the audit key for the audit bucket, its own when `dedicated_key`,
        else its zone's."""
        if bucket == self.cfg.audit_bucket.name:
            return self.audit_key
        return self.bucket_keys.get(bucket) or self.keys[self.cfg.bucket(bucket).zone]

    def role_arn(self, name: str) -> pulumi.Output[str]:
        """The ARN role `name` has (or will have) in the stack's account: known in a first preview."""
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        return pulumi.Output.all(account, partition).apply(lambda a: role_arn(a[0], name, a[1]))

    def s3_endpoint_ids(self) -> list[pulumi.Input[str]]:
        """The S3 VPC endpoints data requests come through: the stack's gateway and interface endpoints, else the
        ones the config names (an existing VPC whose endpoints the stack does not create)."""
        endpoints = self.network.endpoints
        if "s3" in endpoints:
            return [endpoints[k].id for k in ("s3", "s3-interface") if k in endpoints]
        return list(self.cfg.data_perimeter.s3_endpoint_ids)

    def replication_role_arn(self) -> pulumi.Output[str]:
        """The ARN the backups' replication role will have (named up front: the perimeters name it)."""
        return self.role_arn(replication_role_name(self.cfg.environment))

    def _backups(self, cfg: PlatformConfig) -> None:
        """Replicas of the datasets and production-model buckets in `backups.region` (backups.enabled)."""
        self.backups_provider, self.backups = None, None
        backups = cfg.backups
        sources = [b for b in cfg.buckets if backups.replicated(b)]
        if not sources:
            return
        env = cfg.environment
        self.backups_provider = aws.Provider(
            f"{env}-aws-backups",
            region=backups.region,
            allowed_account_ids=[cfg.account_id] if cfg.account_id else None,
            default_tags={"tags": platform_tags(cfg)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.backups = BucketBackups(
            env,
            BucketBackupsArgs(
                sources=[
                    replicated_bucket(b, self.buckets[b.name], self.bucket_key(b.name).alias_name) for b in sources
                ],
                replica_provider=self.backups_provider,
                source_region=cfg.region,
                settings=backups,
                role_name=replication_role_name(env),
                admin_role_arns=cfg.data_perimeter.admin_role_arns,
                audit_retention_days=cfg.logging.audit_retention_days,
            ),
            opts=self._opts,
        )

    def perimeter(self, bucket: str) -> BucketPerimeterArgs | None:
        """The data perimeter of ePHI bucket `bucket`: its declared identities (every identity granted a prefix of
        it, by the role name it will have), the admin roles, the S3 endpoints. None when the config turns it off."""
        fence = self.cfg.data_perimeter
        if not fence.enabled:
            return None
        declared = [
            role_name(self.cfg.environment, i.name)
            for i in self.cfg.identities
            if any(g.bucket == bucket for g in i.grants)
        ]

        replicated = self.cfg.backups.replicated(self.cfg.bucket(bucket))
        return BucketPerimeterArgs(
            endpoint_ids=self.s3_endpoint_ids(),
            principal_arns=[self.role_arn(name) for name in declared],
            admin_role_arns=fence.admin_role_arns,
            replication_role_arns=[self.replication_role_arn()] if replicated else (),
        )

    def _buckets(self, cfg: PlatformConfig) -> None:
        env = cfg.environment
        audit_cfg = cfg.audit_bucket
        retention = cfg.logging.audit_retention_days
        # Server access logs of every bucket (the audit bucket's included) go to a bucket of their own: S3
        # does not deliver them into a bucket with object lock, which the CloudTrail bucket has.
        access_name = access_log_bucket_name(audit_cfg.name)
        self.access_log_bucket = EncryptedBucket(
            f"{env}-{access_name}",
            bucket_args(
                audit_cfg,
                tags={"enclave:zone": audit_cfg.zone},
                kms_key_arn=None,  # SSE-S3: the only default encryption S3 log delivery writes into
                object_lock_days=None,
                access_log_sink=True,
                expire_days=retention,
            ),
            opts=self._opts,
        )
        log_bucket, log_ready = self.access_log_bucket.name, [self.access_log_bucket.policy]
        audit = EncryptedBucket(
            f"{env}-{audit_cfg.name}",
            bucket_args(
                audit_cfg,
                tags={"enclave:zone": audit_cfg.zone},
                kms_key_arn=self.audit_key.arn,
                object_lock_days=audit_cfg.object_lock_days or retention,
                cloudtrail_arn=self._trail_arn(),
                log_bucket=log_bucket,
                log_bucket_ready=log_ready,
                flow_log_sink=self._flow_log_copies(cfg),
            ),
            opts=self._opts,
        )
        self.buckets = {audit_cfg.name: audit}
        for bucket in cfg.buckets:
            if bucket is audit_cfg:
                continue
            self.buckets[bucket.name] = EncryptedBucket(
                f"{env}-{bucket.name}",
                bucket_args(
                    bucket,
                    tags={"enclave:zone": bucket.zone},
                    kms_key_arn=self.bucket_key(bucket.name).arn,
                    object_lock_days=bucket.object_lock_days,
                    log_bucket=log_bucket,
                    log_bucket_ready=log_ready,
                    perimeter=self.perimeter(bucket.name) if bucket.purpose in ARTIFACT_PURPOSES else None,
                ),
                opts=self._opts,
            )

    def _identities(self, cfg: PlatformConfig) -> None:
        self.identities = {}
        for ident in cfg.identities:
            grants = [
                GrantTarget(
                    bucket_arn=self.buckets[g.bucket].arn,
                    key_alias=self.bucket_key(g.bucket).alias_name,
                    prefix=g.prefix,
                    access=g.access,
                )
                for g in ident.grants
            ]
            self.identities[ident.name] = WorkloadIdentity(
                f"{cfg.environment}-{ident.name}",
                identity_args(
                    ident,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer_url=self.cluster.oidc_issuer_url,
                    region=cfg.region,
                    grants=grants,
                    kubernetes_provider=self.cluster.kubernetes_provider,
                    service_account_depends_on=[self.zones[ident.zone].namespaces[ident.namespace]],
                    tags={"enclave:zone": ident.zone},
                    # Named up front: the ePHI buckets' perimeters name these roles before they exist.
                    role_name=role_name(cfg.environment, ident.name),
                    # The zone's secrets path, read through the CSI driver with this role.
                    secrets_path=Secrets.path(cfg.environment, ident.zone) if cfg.secrets.from_manager else None,
                    secrets_key_alias=self.keys[ident.zone].alias_name if cfg.secrets.from_manager else None,
                ),
                opts=self._opts,
            )

    def _alarm_topic(self, cfg: PlatformConfig) -> AlarmTopic | None:
        """The security-alarm topic, before the trail that notifies it."""
        if not cfg.detection.alarms:
            return None
        return AlarmTopic(
            cfg.environment,
            AlarmTopicArgs(
                environment=cfg.environment,
                region=cfg.region,
                trail_arn=self._trail_arn(),
                subscriptions=cfg.detection.subscriptions,
                event_rule_names=[findings_rule_name(cfg.environment)],
            ),
            opts=self._opts,
        )

    def _detection(self, cfg: PlatformConfig) -> None:
        """Metric filters and alarms on the signals, and GuardDuty (issue 21); Falco is a cluster add-on."""
        det = cfg.detection
        self.security_alarms: SecurityAlarms | None = None
        self.guardduty: GuardDutyDetection | None = None
        self.mesh_log_group: object | None = None
        if self.alarm_topic is None:
            return
        actions = self.alarm_topic.actions
        cluster = cfg.cluster.name
        # Where Container Insights' Fluent Bit ships container logs (the sidecars' access logs among them): made
        # here so it is encrypted and expires; the shipper itself is the cluster operator's (see README).
        self.mesh_log_group = encrypted_log_group(
            f"{cfg.environment}-container-logs",
            log_group_name=f"/aws/containerinsights/{cluster}/application",
            kms_key_arn=self.audit_key.arn,
            retention_days=cfg.logging.retention_days,
            parent=self,
            # a child of the Platform itself, which holds no provider: name the stack's explicitly
            provider=self.provider,
        )
        net = cfg.network
        routed = list(net.transit_gateway.routes) if isinstance(net, CreatedNetwork) and net.transit_gateway else []
        identities = {i.name: self.identities[i.name].role_arn for i in cfg.identities}
        replicas = self.backups.replicas if self.backups is not None else {}
        # The replication role reads a replicated source and is the only writer of its replica: declared for both,
        # so replication itself raises no alarm while anyone else touching a replica does (the replica's perimeter
        # admits only that role and the break-glass admins; the multi-region trail logs its data events).
        replication = [self.replication_role_arn()] if replicas else []
        artifacts = [
            ArtifactWatch(
                bucket=b.name,
                bucket_name=self.buckets[b.name].name,
                role_arns=[
                    *(identities[i.name] for i in cfg.identities if any(g.bucket == b.name for g in i.grants)),
                    *(replication if b.name in replicas else []),
                ],
            )
            for b in cfg.buckets
            if b.purpose in ARTIFACT_PURPOSES
        ] + [
            ArtifactWatch(bucket=f"replica-{name}", bucket_name=replica.name, role_arns=replication)
            for name, replica in replicas.items()
        ]
        deployers = det.deployment_role_arns or (
            cfg.cluster.admin_role_arns if isinstance(cfg.cluster, CreatedCluster) else []
        )
        flow_group = self.network.flow_log_group
        cni_group = self.cluster.log_group
        self.security_alarms = SecurityAlarms(
            cfg.environment,
            SecurityAlarmsArgs(
                environment=cfg.environment,
                thresholds=det.thresholds,
                actions=actions,
                trail_log_group=self.audit.log_group.name,
                flow_log_group=flow_group.name if flow_group is not None else None,
                cni_log_group=cni_group.name if cni_group is not None else None,
                mesh_log_group=self.mesh_log_group.name,
                zone_namespaces={z.name: list(z.namespaces) for z in cfg.zones},
                vpc_cidrs=[net.cidr],
                routed_cidrs=routed,
                subnet_ids=list(self.network.private_subnet_ids),
                artifacts=artifacts,
                deployer_arns=list(deployers),
            ),
            opts=self._opts,
        )
        if det.guardduty.mode != "off":
            self.guardduty = GuardDutyDetection(
                cfg.environment,
                environment=cfg.environment,
                create_detector=det.guardduty.mode == "create",
                frequency=det.guardduty.finding_frequency,
                targets=actions,
                ready=[self.alarm_topic.policy],
                opts=self._opts,
            )

    def _runtime_detection(self, cfg: PlatformConfig, nodes_ready: list[pulumi.Resource]) -> None:
        """Falco in its own namespace, alerting to the alarm topic (issue 21): with the topic only."""
        self.runtime_detection: RuntimeDetection | None = None
        falco = cfg.detection.falco
        if not falco.enabled or self.alarm_topic is None:
            return
        self.runtime_detection = RuntimeDetection(
            cfg.environment,
            RuntimeDetectionArgs(
                settings=falco,
                zones=zone_runtime(cfg),
                registry=falco_registry(cfg.kubernetes),
                region=cfg.region,
                provider=self.cluster.kubernetes_provider,
                topic_arn=self.alarm_topic.topic.arn,
                topic_name=topic_name(cfg.environment),
                key_alias=f"alias/{topic_key_alias(cfg.environment)}",
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer_url=self.cluster.oidc_issuer_url,
                endpoint_cidrs=[self.network.endpoint_cidr],
                psa_version=ZoneContext.of_platform(cfg, cfg.zones[0]).psa_version,
                ready=[*nodes_ready, self.addons.kyverno],
            ),
            opts=self._opts,
        )

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """Stack outputs: what operators and other stacks need, never secrets. A team's stack reads them
        through a StackReference (components.team_zone.PlatformStack) to add its own zone."""
        cfg = self.cfg
        created = isinstance(cfg.cluster, CreatedCluster)
        return {
            "environment": cfg.environment,
            "region": cfg.region,
            "vpc_id": self.network.vpc_id,
            "private_subnet_ids": self.network.private_subnet_ids,
            "subnet_by_az": self.network.subnet_by_az,
            "cluster_endpoint": self.cluster.endpoint,
            "cluster_security_group_id": self.cluster.cluster_security_group_id,
            "kubeconfig": self.cluster.kubeconfig,
            "kubernetes_version": cfg.cluster.kubernetes_version if isinstance(cfg.cluster, CreatedCluster) else None,
            "psa_version": ZoneContext.of_platform(cfg, cfg.zones[0]).psa_version,
            "kubernetes": cfg.kubernetes.model_dump(mode="json"),
            "system_zone": next(z.name for z in cfg.zones if z.zone_class == "platform") if created else None,
            "node_security_group_ids": {zone: g.id for zone, g in self.node_security.groups.items()},
            "s3_endpoint_url": self.s3_endpoint_url,
            "s3_endpoint_ids": self.s3_endpoint_ids(),
            "data_perimeter": {
                "enabled": cfg.data_perimeter.enabled,
                "admin_role_arns": cfg.data_perimeter.admin_role_arns,
            },
            "cluster_name": self.cluster.name,
            "oidc_provider_arn": self.cluster.oidc_provider_arn,
            "oidc_issuer_url": self.cluster.oidc_issuer_url,
            "kms_key_arns": {name: key.arn for name, key in self.keys.items()},
            "audit_kms_key_arn": self.audit_key.arn,
            "bucket_kms_key_arns": {name: key.arn for name, key in self.bucket_keys.items()},
            "bucket_names": {name: b.name for name, b in self.buckets.items()},
            "replica_bucket_names": {n: b.name for n, b in (self.backups.replicas if self.backups else {}).items()},
            "backups_region": cfg.backups.region if self.backups is not None else None,
            "access_log_bucket": self.access_log_bucket.name,
            "workload_role_arns": {name: i.role_arn for name, i in self.identities.items()},
            "namespaces": {name: list(z.namespaces) for name, z in self.zones.items()},
            "team_zones": list(cfg.team_zones),
            "security_alarm_topic_arn": self.alarm_topic.topic.arn if self.alarm_topic else None,
        }
