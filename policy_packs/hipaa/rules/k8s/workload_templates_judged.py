"""K8S-15: every admission policy that judges the pods of a zone namespace judges the pod templates of every
workload kind too (CREATE and UPDATE of deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs), and
images of those templates are judged against approved registries; otherwise a bad Deployment or Job is accepted
and its pods fail later."""

from collections.abc import Iterator

from framework.kube import zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .admission_guards import WORKLOAD_RESOURCES, bound_to, covers, guards


@stack_rule("workload-templates-judged", "K8S-15", "Workload pod templates are judged at admission like pods")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    pod_policies = guards(stack, ())
    images = guards(stack, ("image",), ("pods", *WORKLOAD_RESOURCES))
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        for p in bound_to(stack, pod_policies, ns.name):
            missing = [r for r in WORKLOAD_RESOURCES if not covers(p, r, "CREATE", "UPDATE")]
            if missing:
                yield Finding(
                    ns.resource.urn,
                    f"namespace {ns.name}: {p.label()} judges pods but not the templates of "
                    f"{', '.join(missing)} (CREATE and UPDATE): such workloads are accepted and their pods "
                    "fail later with FailedCreate",
                )
        if not bound_to(stack, images, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name}: no admission policy judges the images of workloads' "
                "pod templates against approved registries",
            )
