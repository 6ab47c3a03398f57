"""ManagerSecrets: the zones' Secrets Manager secrets on their zones' keys (values put out of band, rotation where a
Lambda is named), the Secrets Store CSI driver and its AWS provider as pinned node-agent releases, and a
SecretProviderClass in each namespace of a zone that has secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import arg, args_type, check, fail, schema_type
from ..config import KubernetesConfig, PlatformConfig, Secrets
from ..k8s.helm import pinned_release
from ..k8s.register import register
from ..k8s.secrets_store import (
    DRIVER_CHART,
    DRIVER_REPO,
    PROVIDER_CHART,
    PROVIDER_REPO,
    driver_values,
    provider_class,
    provider_values,
)

ZONE_TAG = "enclave:zone"


@args_type
class ManagerSecretsArgs:
    """The zones' secrets in Secrets Manager, the CSI driver and provider, and the zones' SecretProviderClasses."""

    environment: str = arg("The environment (`dev`, `prod`...): the secrets' path is `enclave/<environment>/<zone>`.")
    region: str = arg("AWS region of the secrets and the keys, e.g. `us-east-1`.")
    zone_keys: Mapping[str, pulumi.Input[str]] = arg("Zone -> ARN of its KMS key (`KmsKey.arn`): it encrypts the "
                                                     "zone's secrets.")  # fmt: skip
    zone_namespaces: Mapping[str, Mapping[str, pulumi.Resource]] = arg(
        "Zone -> its namespaces, name -> Namespace (`TrustZone.namespaces`): each gets the zone's SecretProviderClass."
    )
    kubernetes_provider: k8s.Provider = arg("Kubernetes provider of the cluster (`GpuCluster.kubernetes_provider`).")
    kubernetes: KubernetesConfig = arg("The stack file's kubernetes block: image mirror, agent namespaces.")
    settings: Secrets = arg("The stack file's secrets block, validated.", default_factory=Secrets)
    agents_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the releases: the agent namespace (`ClusterAddons.agent_namespaces`) and the nodes.",
        default=(),
    )
    tags: Mapping[str, str] | None = arg("Tags on the secrets, beside `enclave:zone`.", default=None)

    def __post_init__(self) -> None:
        check(self, "region", schema_type(PlatformConfig, "region"), "Pass an AWS region such as 'us-east-1'.")
        if not isinstance(self.settings, Secrets):
            fail(self, "settings", "pass a validated Secrets (the stack file's `secrets` block).",
                 what=type(self.settings).__name__)  # fmt: skip
        missing = sorted({s.zone for s in self.settings.secrets} - set(self.zone_keys))
        if missing:
            fail(self, "zone_keys", f"no key for zone(s) {', '.join(missing)} of settings.secrets. Pass every zone's "
                 "key.")  # fmt: skip


class ManagerSecrets(pulumi.ComponentResource):
    """`secrets`: '<zone>/<name>' -> its Secret; `driver`, `provider`: the releases; `classes`: the
    SecretProviderClasses."""

    secrets: dict[str, aws.secretsmanager.Secret]
    rotations: dict[str, aws.secretsmanager.SecretRotation]
    driver: k8s.helm.v3.Release
    provider: k8s.helm.v3.Release
    classes: list[pulumi.CustomResource]

    def __init__(self, name: str, args: ManagerSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:ManagerSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg, env = args.settings, args.environment
        self.secrets, self.rotations = {}, {}
        for s in cfg.secrets:
            key = f"{s.zone}/{s.name}"
            secret = aws.secretsmanager.Secret(
                f"{name}-{s.zone}-{s.name}",
                name=f"{Secrets.path(env, s.zone)}/{s.name}",
                description=s.description or f"GPU Enclave {env}: secret {s.name} of zone {s.zone}",
                kms_key_id=args.zone_keys[s.zone],
                recovery_window_in_days=cfg.recovery_window_days,
                tags={**(args.tags or {}), ZONE_TAG: s.zone},
                opts=child,
            )
            self.secrets[key] = secret
            if s.rotation_lambda_arn is not None:
                self.rotations[key] = aws.secretsmanager.SecretRotation(
                    f"{name}-{s.zone}-{s.name}-rotation",
                    secret_id=secret.id,
                    rotation_lambda_arn=s.rotation_lambda_arn,
                    rotation_rules={"automatically_after_days": s.rotation_days},
                    opts=child,
                )
        namespace = args.kubernetes.node_agents.namespaces[0]

        def release(res: str, chart: str, repo: str, version: str, values: dict[str, Any],
                    after: Sequence[pulumi.Resource]) -> k8s.helm.v3.Release:  # fmt: skip
            return pinned_release(
                f"{name}-{res}", release=res, chart=chart, repo=repo, version=version, namespace=namespace,
                values=values, parent=self, provider=args.kubernetes_provider, depends_on=after,
            )  # fmt: skip

        self.driver = release(
            "secrets-store-csi-driver", DRIVER_CHART, DRIVER_REPO, cfg.driver_chart,
            driver_values(args.kubernetes, cfg), args.agents_ready,
        )  # fmt: skip
        self.provider = release(
            "secrets-store-provider-aws", PROVIDER_CHART, PROVIDER_REPO, cfg.provider_chart,
            provider_values(args.kubernetes, cfg, args.region), [*args.agents_ready, self.driver],
        )  # fmt: skip
        self.classes = []
        for zone, namespaces in args.zone_namespaces.items():
            zone_secrets = cfg.of_zone(zone)
            if not zone_secrets:
                continue  # nothing to mount: a class with no objects fails every mount
            for ns, ns_res in namespaces.items():
                self.classes.append(
                    register(
                        provider_class(zone, ns, env, args.region, zone_secrets),
                        provider=args.kubernetes_provider,
                        parent=self,
                        depends_on=[self.driver, ns_res],
                    )
                )
        self.register_outputs({"secrets": list(self.secrets), "classes": len(self.classes)})
