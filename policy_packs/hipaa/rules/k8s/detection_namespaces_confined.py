"""K8S-25: a detection namespace (Falco's, GuardDuty's agent) runs privileged agents on every node and is exempt
from the refusal of pods outside the zones; so an admission policy (failurePolicy Fail, a Deny binding selecting
the namespace) must admit pods and workloads there only as the agents' own service accounts (its CEL names
serviceAccountName and the namespace). Judged for every detection namespace (pack config) the stack creates or
its namespace-scope refusal exempts."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import NAMESPACE_CLASS_CONFIG, NAMESPACE_NAME_LABEL, name_of
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

from .admission_guards import WORKLOAD_RESOURCES, bound_to, guards, text


def _exempting_bindings(stack: Stack, namespace: str) -> list[Resource]:
    """Bindings whose namespaceSelector exempts `namespace` by name (NotIn), as the namespace-scope refusal does."""
    out = []
    for b in stack.of_type(*t.VAP_BINDING):
        selector = b.get("spec.matchResources.namespaceSelector")
        if not isinstance(selector, Mapping):
            continue
        for e in as_list(selector.get("matchExpressions")):
            if (
                isinstance(e, Mapping)
                and e.get("key") == NAMESPACE_NAME_LABEL
                and e.get("operator") == "NotIn"
                and namespace in as_list(e.get("values"))
            ):
                out.append(b)
    return out


@stack_rule(
    "detection-namespaces-confined",
    "K8S-25",
    "Detection namespaces admit only the detection agents' service accounts",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=(*t.NAMESPACE, *t.VAP_BINDING),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    created = {name_of(ns): ns for ns in stack.of_type(*t.NAMESPACE) if isinstance(name_of(ns), str)}
    for namespace in [str(n) for n in config.get("detectionNamespaces") or []]:
        exempting = _exempting_bindings(stack, namespace)
        subject = created.get(namespace) or (exempting[0] if exempting else None)
        if subject is None:
            continue
        candidates = [
            p
            for p in guards(stack, ["serviceAccountName"], ("pods", *WORKLOAD_RESOURCES))
            if f"'{namespace}'" in text(p) or f'"{namespace}"' in text(p)
        ]
        if not bound_to(stack, candidates, namespace):
            yield Finding(
                subject.urn,
                f"{subject.label()}: detection namespace {namespace}: no admission policy (failurePolicy Fail, a "
                "Deny binding selecting it) admits pods and workloads there only as the detection agents' service "
                "accounts; it runs privileged pods on every node and the zones' refusal exempts it "
                "(components.k8s.falco.detection_policy)",
            )
