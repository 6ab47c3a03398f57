"""ValidatingAdmissionPolicy building blocks: the policy and its binding, the requests they judge (Pods, and the
pod templates of every workload kind), and the CEL variables that give each check the pod spec and metadata
whichever of them was submitted."""

from __future__ import annotations

from typing import Any

from .labels import MANAGED_BY

Manifest = dict[str, Any]
VAP_API = "admissionregistration.k8s.io/v1"

POD_CREATE = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
EPHEMERAL_UPDATE = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["UPDATE"],
    "resources": ["pods/ephemeralcontainers"],
}
# Every kind whose pods a controller creates from a template. Judged on CREATE and UPDATE (a template can
# change), so `kubectl apply` of a bad Deployment or Job is refused at once instead of failing later with
# FailedCreate events the user may never read. Status and scale subresources are not matched.
WORKLOAD_KINDS = {
    "apps": ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
    "batch": ("Job", "CronJob"),
}
WORKLOAD_TEMPLATES = [
    {
        "apiGroups": [group],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": [f"{kind.lower()}s" for kind in kinds],
    }
    for group, kinds in WORKLOAD_KINDS.items()
]

# The pod spec and metadata of what was submitted: a Pod's own, a CronJob's job template's pod template, any
# other workload's pod template. Only the branch of the submitted kind is evaluated.
_TEMPLATE = "(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template)"
POD_SPEC = f"object.kind == 'Pod' ? object.spec : {_TEMPLATE}.spec"
POD_META = f"object.kind == 'Pod' ? object.metadata : (has({_TEMPLATE}.metadata) ? {_TEMPLATE}.metadata : {{}})"
SPEC_VARIABLES = [
    {"name": "spec", "expression": POD_SPEC},
    {"name": "meta", "expression": POD_META},
    {
        "name": "containers",
        "expression": "variables.spec.containers + "
        "(has(variables.spec.initContainers) ? variables.spec.initContainers : []) + "
        "(has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers : [])",
    },
]
IS_POD = "object.kind == 'Pod'"


def cel_list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def deny(expression: str, message: str) -> dict[str, str]:
    return {"expression": expression, "message": message, "reason": "Forbidden"}


def policy(
    name: str, rules: list[dict[str, Any]], validations: list[dict[str, str]], variables: list[Any] | None = None
) -> Manifest:
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": rules},
        "validations": validations,
    }
    if variables:
        spec["variables"] = variables
    return {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": spec,
    }


def binding(name: str, selector: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": {"policyName": name, "validationActions": ["Deny"], "matchResources": {"namespaceSelector": selector}},
    }
