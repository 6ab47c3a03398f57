"""Helm releases the platform installs: a chart pinned to one version from one repository, installed atomically
(a failed install or upgrade rolls back), into a namespace the platform creates (or the release itself, for the
add-ons' own system namespaces)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def pinned_release(
    resource_name: str,
    *,
    release: str,
    chart: str,
    repo: str,
    version: str,
    namespace: str,
    values: dict[str, Any],
    parent: pulumi.Resource,
    provider: k8s.Provider,
    depends_on: Sequence[pulumi.Resource] = (),
    create_namespace: bool = False,
) -> k8s.helm.v3.Release:
    """One Helm release of `chart` at exactly `version` from `repo`, named `release` in the cluster."""
    return k8s.helm.v3.Release(
        resource_name,
        name=release,
        chart=chart,
        version=version,
        repository_opts={"repo": repo},
        namespace=namespace,
        create_namespace=create_namespace,
        atomic=True,
        values=values,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on)),
    )
