"""The approved-registry refusal as a ValidatingAdmissionPolicy: Pods and the pod templates of every workload
kind in zone and agent namespaces. Kyverno's rule (addons.registry_policy) judges Pods too, but Kyverno cannot
generate rules for workload kinds from a Pod rule that also matches Pod/ephemeralcontainers (autogen needs a
Pod-only match), so without this a Deployment with a foreign image is accepted and its pods fail later."""

from __future__ import annotations

from collections.abc import Sequence

from .labels import ZONE_LABEL
from .vap import EPHEMERAL_UPDATE, POD_CREATE, SPEC_VARIABLES, WORKLOAD_TEMPLATES, Manifest, binding, deny, policy

NAME = "enclave-approved-registries"


def image_allowed(registries: Sequence[str], exact_images: Sequence[str], own: str | None = None) -> str:
    """CEL on a container `c`: its image is under one of `registries` (Kyverno's `<registry>/*`), or under the CEL
    string `own` (a prefix ending in '/'), or is one of `exact_images`."""
    alternatives = [f"c.image.startsWith('{r}/')" for r in registries] + [f"c.image == '{i}'" for i in exact_images]
    if own is not None:
        alternatives.insert(0, f"c.image.startsWith({own})")
    return " || ".join(alternatives) or "false"


def own_prefix(ecr: str, environment: str | None) -> str:
    """CEL: the part of the account's ECR a namespace may pull from. With zone images (`environment` set), a zone
    namespace's own zone prefix `<ecr>/<environment>/<zone>/` (from the namespace's zone label, which only the
    platform sets); elsewhere (agent namespaces) the whole registry."""
    if environment is None:
        return f"'{ecr}/'"
    labels = "namespaceObject.metadata.labels"
    zoned = f"has(namespaceObject.metadata.labels) && '{ZONE_LABEL}' in {labels}"
    return f"{zoned} ? '{ecr}/{environment}/' + {labels}['{ZONE_LABEL}'] + '/' : '{ecr}/'"


def registry_admission(
    ecr: str,
    registries: Sequence[str],
    exact_images: Sequence[str],
    agent_namespaces: Sequence[str],
    zone_images: str | None = None,
) -> list[Manifest]:
    """The policy and its binding to every zone namespace and the agent namespaces. `ecr` is the account's registry
    host; with `zone_images` (the environment) a zone namespace admits from it only `<environment>/<zone>/`."""
    own = f"{ecr}/{zone_images}/<zone>/*" if zone_images else f"{ecr}/*"
    allowed = [own] + [f"{r}/*" for r in registries] + list(exact_images)
    variables = [*SPEC_VARIABLES, {"name": "ownImages", "expression": own_prefix(ecr, zone_images)}]
    validations = [
        deny(
            f"variables.containers.all(c, {image_allowed(registries, exact_images, 'variables.ownImages')})",
            "images (containers, init and ephemeral containers, and the pod templates of workloads) must come from "
            "an approved registry: " + ", ".join(allowed),
        )
    ]
    # Two bindings: a namespace selector cannot say "zone label exists OR name in the agent namespaces".
    zones = binding(NAME, {"matchExpressions": [{"key": ZONE_LABEL, "operator": "Exists"}]})
    agents = binding(f"{NAME}-agents", {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(agent_namespaces)}]})  # fmt: skip
    agents["spec"]["policyName"] = NAME
    rules = [POD_CREATE, EPHEMERAL_UPDATE, *WORKLOAD_TEMPLATES]
    return [policy(NAME, rules, validations, variables), zones, agents]
