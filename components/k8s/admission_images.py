"""The approved-registry refusal as a ValidatingAdmissionPolicy: Pods and the pod templates of every workload
kind in zone and agent namespaces. Kyverno's rule (addons.registry_policy) judges Pods too, but Kyverno cannot
generate rules for workload kinds from a Pod rule that also matches Pod/ephemeralcontainers (autogen needs a
Pod-only match), so without this a Deployment with a foreign image is accepted and its pods fail later."""

from __future__ import annotations

from collections.abc import Sequence

from .labels import ZONE_LABEL
from .vap import EPHEMERAL_UPDATE, POD_CREATE, SPEC_VARIABLES, WORKLOAD_TEMPLATES, Manifest, binding, deny, policy

NAME = "enclave-approved-registries"


def image_allowed(registries: Sequence[str], exact_images: Sequence[str]) -> str:
    """CEL on a container `c`: its image is under one of `registries` (Kyverno's `<registry>/*`), or is one of
    `exact_images`."""
    alternatives = [f"c.image.startsWith('{r}/')" for r in registries] + [f"c.image == '{i}'" for i in exact_images]
    return " || ".join(alternatives) or "false"


def registry_admission(
    registries: Sequence[str], exact_images: Sequence[str], agent_namespaces: Sequence[str]
) -> list[Manifest]:
    """The policy and its binding to every zone namespace and the agent namespaces."""
    allowed = [f"{r}/*" for r in registries] + list(exact_images)
    validations = [
        deny(
            f"variables.containers.all(c, {image_allowed(registries, exact_images)})",
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
    return [policy(NAME, rules, validations, SPEC_VARIABLES), zones, agents]
