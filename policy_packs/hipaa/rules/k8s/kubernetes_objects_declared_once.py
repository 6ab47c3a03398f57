"""K8S-22: every Kubernetes object is declared once per cluster. Two declarations of one object (two resources, a
resource and a manifest's object, or a pulumi-kubernetes *Patch of an object the stack also declares) are applied
in an order nothing fixes: server-side apply merges or overwrites their fields, so which labels, policy or spec the
cluster ends with depends on apply order, and the pack can judge neither declaration as what the cluster holds."""

import json
from collections.abc import Iterator
from typing import Any

from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.workloads import CLUSTER_SCOPED, KubeObject, namespace, objects


def cluster(obj: KubeObject) -> str | None:
    """Which cluster a declaration writes to, as its provider's inputs say (kubeconfig, context, cluster); None when
    the provider is not known (then it may be any)."""
    if obj.resource.provider is None:
        return None
    props = obj.resource.provider_props
    return json.dumps([props.get(k) for k in ("kubeconfig", "context", "cluster")], sort_keys=True, default=str)


def identity(obj: KubeObject, stack: Stack) -> tuple[Any, ...] | None:
    """(API group, kind, namespace, name) of the object a declaration writes; None when unnamed or not known
    (pulumi gives an unnamed object a unique name)."""
    name = obj.name
    if not isinstance(name, str):
        return None
    kind = obj.kind.removesuffix("Patch")
    where = None if kind in CLUSTER_SCOPED else namespace(obj, stack)
    if where is not None and not isinstance(where, str):
        return None
    return obj.group, kind, where, name


@stack_rule("kubernetes-objects-declared-once", "K8S-22", "Each Kubernetes object is declared once")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    seen: dict[tuple[Any, ...], list[KubeObject]] = {}
    for obj in objects(stack):
        key = identity(obj, stack)
        if key is not None:
            seen.setdefault(key, []).append(obj)
    for (_, kind, where, name), found in seen.items():
        for obj in found:
            here = cluster(obj)
            same = [o for o in found if o is not obj and (here is None or cluster(o) in (None, here))]
            if not same:
                continue
            others = ", ".join(o.label() for o in same)
            yield Finding(
                obj.urn,
                f"{obj.label()} declares {kind} {where + '/' if where else ''}{name}, which {others} declares too: "
                "what the cluster ends with depends on the order of apply. Keep one declaration",
            )
