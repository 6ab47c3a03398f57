"""K8S-07 (workloads): no pod a workload of a zone or an unclassified namespace makes mounts an API token it did not
ask for: the pod spec sets automountServiceAccountToken false, or its ServiceAccount (declared by this stack, in
that namespace) does. A ServiceAccount the stack does not declare (`default`, another stack's) mounts by default."""

from collections.abc import Iterator

from framework.kube import NAMESPACE_CLASS_CONFIG, judged_workloads
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN
from framework.workloads import WORKLOAD_TYPES, namespace, objects, pod_template


@stack_rule(
    "workload-pods-no-token-automount",
    "K8S-07",
    "Workload pods do not mount API tokens they did not ask for",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=WORKLOAD_TYPES,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    accounts = {
        (namespace(o, stack), o.name): o.get("automountServiceAccountToken")
        for o in objects(stack)
        if o.kind == "ServiceAccount" and o.group == "core" and isinstance(o.name, str)
    }
    for w, where in judged_workloads(stack, config):
        _, spec = pod_template(w)
        own = spec.get("automountServiceAccountToken")
        if own is False:
            continue
        if own is UNKNOWN:
            yield Finding(w.urn, f"{w.label()}: automountServiceAccountToken is not known yet", True)
            continue
        account = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        declared = accounts.get((namespace(w, stack), account), UNKNOWN)
        if own is None and declared is False:
            continue
        if own is True:
            why = "the pod spec sets automountServiceAccountToken true"
        elif declared is UNKNOWN:
            why = f"ServiceAccount {account!r} is not declared by this stack, and mounts it by default"
        else:
            why = f"ServiceAccount {account!r} mounts it"
        yield Finding(
            w.urn,
            f"{w.label()} in {where}: its pods get an API token ({why}); set automountServiceAccountToken false on "
            "the pod template and mount a projected token only where the workload calls the API",
        )
