"""K8S-09 (workloads): every container image of a workload in a zone or an unclassified namespace comes from a
registry the pack config approves (`approvedRegistries`, image patterns). A Docker Hub short name (`nginx`,
`library/nginx`) is judged as the reference the runtime pulls (`docker.io/library/nginx`)."""

import fnmatch
from collections.abc import Iterator

from framework.kube import NAMESPACE_CLASS_CONFIG, judged_workloads
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN
from framework.workloads import WORKLOAD_TYPES, containers, pod_template


def reference(image: str) -> str:
    """The full reference a container runtime pulls for `image`."""
    first, _, rest = image.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        path = image if rest else f"library/{image}"
        return f"docker.io/{path}"
    return image


@stack_rule(
    "workload-images-approved",
    "K8S-09",
    "Workload images come from approved registries only",
    config={
        **NAMESPACE_CLASS_CONFIG,
        "approvedRegistries": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Image patterns workloads may run (fnmatch on the full reference), e.g. "
            "'111122223333.dkr.ecr.us-east-1.amazonaws.com/*' (kubernetes.approved_registries and the account's ECR).",
        },
    },
    subjects=WORKLOAD_TYPES,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    approved = [str(p) for p in config.get("approvedRegistries") or []]
    for w, where in judged_workloads(stack, config):
        _, spec = pod_template(w)
        for c in containers(spec):
            image = c.get("image")
            if image is UNKNOWN:
                yield Finding(w.urn, f"{w.label()}: the image of container {c.get('name')!r} is not known yet", True)
                continue
            full = reference(str(image)) if isinstance(image, str) else repr(image)
            if not any(fnmatch.fnmatchcase(full, p) or fnmatch.fnmatchcase(str(image), p) for p in approved):
                yield Finding(
                    w.urn,
                    f"{w.label()} in {where}: container {c.get('name')!r} runs {full}, from no registry the pack "
                    "config approves (approvedRegistries); mirror it into an approved registry",
                )
