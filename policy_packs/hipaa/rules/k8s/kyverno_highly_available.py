"""K8S-16: Kyverno's admission controller, whose webhooks fail closed, runs at least three replicas with a
PodDisruptionBudget and spread over nodes (chart values admissionController.replicas, podDisruptionBudget,
topologySpreadConstraints on kubernetes.io/hostname, or a required pod anti-affinity)."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.types import HELM_RELEASE
from framework.values import UNKNOWN, as_list

from ..mesh.helm import releases, value_at, values


@stack_rule(
    "kyverno-highly-available",
    "K8S-16",
    "Kyverno's admission controller is highly available",
    config={
        "minReplicas": {
            "type": "integer",
            "default": 3,
            "minimum": 2,
            "maximum": 15,
            "description": "Replicas Kyverno's admission controller runs at least.",
        }
    },
    subjects=HELM_RELEASE,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    wanted = int(config.get("minReplicas") or 3)
    for release in releases(stack, "kyverno"):
        data = values(release)
        if data is UNKNOWN:
            yield Finding(release.urn, f"{release.label()}: its values are not known yet", True)
            continue
        replicas = value_at(data, "admissionController.replicas")
        if not isinstance(replicas, int) or replicas < wanted:
            yield Finding(
                release.urn,
                f"{release.label()}: admissionController.replicas is {replicas or 'the chart default (1)'}; "
                f"run at least {wanted}: its webhooks fail closed",
            )
        if value_at(data, "admissionController.podDisruptionBudget.enabled") is not True:
            yield Finding(
                release.urn, f"{release.label()}: admissionController.podDisruptionBudget.enabled is not true"
            )
        spread = [
            c
            for c in as_list(value_at(data, "admissionController.topologySpreadConstraints"))
            if isinstance(c, Mapping) and c.get("topologyKey") == "kubernetes.io/hostname"
        ]
        anti = value_at(data, "admissionController.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")
        if not spread and not anti:
            yield Finding(
                release.urn,
                f"{release.label()}: admissionController replicas are not spread over nodes "
                "(topologySpreadConstraints on kubernetes.io/hostname)",
            )
