"""Which entry of the stack file made a resource: so a finding can say "stacks/Pulumi.prod.yaml:97, buckets[1]
(datasets)" and the user knows what to edit.

A resource belongs to the nearest component above it (its parent chain); a component maps to the config entry
it was built from by its type and its name (`<environment>-<entry name>`, as components.platform names them).
A resource outside every component (one a user's own program adds) maps to the top of the platform config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config import CONFIG_KEY
from components.config.stackfile import read_stack_file

Loc = tuple[str | int, ...]

# component type -> the config list whose entries it is built from (matched by name)
BY_NAME = {
    "enclave:aws:EncryptedBucket": "buckets",
    "enclave:aws:GpuNodePool": "node_pools",
    "enclave:k8s:TrustZone": "zones",
    "enclave:aws:WorkloadIdentity": "identities",
}
# component type -> the config section it is built from
BY_TYPE: dict[str, Loc] = {
    "enclave:aws:GpuCluster": ("cluster",),
    "enclave:aws:Network": ("network",),
    "enclave:aws:AuditTrail": ("logging",),
    "enclave:k8s:ClusterAddons": ("kubernetes",),
    "enclave:aws:NodeSecurityGroups": ("zones",),
    "enclave:aws:AlarmTopic": ("detection", "subscriptions"),
    "enclave:aws:SecurityAlarms": ("detection", "thresholds"),
    "enclave:aws:GuardDutyDetection": ("detection", "guardduty"),
    "enclave:k8s:RuntimeDetection": ("detection", "falco"),
    "enclave:aws:EncryptedVolumes": ("storage",),
    "enclave:aws:ManagerSecrets": ("secrets",),
    "enclave:index:Platform": (),
}
# (component type, resource type) -> the setting that decides that resource, finer than the component's entry
SETTINGS: dict[tuple[str, str], Loc] = {
    ("enclave:aws:Network", "aws:cloudwatch/logGroup:LogGroup"): ("logging", "retention_days"),
    ("enclave:index:Platform", "aws:cloudwatch/logGroup:LogGroup"): ("logging", "retention_days"),
    ("enclave:aws:GpuCluster", "aws:cloudwatch/logGroup:LogGroup"): ("logging", "audit_retention_days"),
    ("enclave:aws:AuditTrail", "aws:cloudwatch/logGroup:LogGroup"): ("logging", "audit_retention_days"),
    ("enclave:aws:EncryptedBucket", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"): (
        "logging",
        "audit_retention_days",
    ),
    ("enclave:aws:GpuCluster", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"): (
        "cluster",
        "admin_role_arns",
    ),
    ("enclave:aws:GpuCluster", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"): ("cluster", "endpoint"),
    ("enclave:k8s:ClusterAddons", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"): (
        "kubernetes",
        "platform_admin_groups",
    ),
    ("enclave:k8s:ClusterAddons", "kubernetes:kyverno.io/v1:ClusterPolicy"): ("kubernetes", "approved_registries"),
    ("enclave:k8s:ClusterAddons", "kubernetes:helm.sh/v3:Release"): ("kubernetes", "addons"),
}
# policy -> the setting, under the entry a resource comes from, that decides the policy's finding: a finding
# points at that setting's own line where the stack file sets it, at the entry only where it is absent
POLICY_SETTINGS: dict[str, Loc] = {
    "s3-bucket-not-force-destroyed": ("force_destroy",),
    "s3-bucket-lifecycle": ("noncurrent_version_days",),
    "efa-pools-placed-together": ("placement_group",),
    "efa-in-training-pools-only": ("efa",),
    "eks-cluster-deletion-protected": ("deletion_protection",),
    "eks-endpoint-private": ("public",),
    "vpc-flow-logs": ("flow_logs",),
    "network-policies-no-internet-egress": ("egress", "allow_internet"),
    "service-accounts-no-token-automount": ("automount_service_account_token",),
    "zone-namespaces-gpu-quota": ("quota",),
    "node-volumes-encrypted": ("disk_size_gib",),
    "storage-classes-encrypted": ("encrypted_volumes",),
    "secrets-manager-secrets-use-zone-key": ("secrets",),
}
# names of platform-wide keys and pools (after the environment prefix) -> their section
SPECIAL: dict[str, Loc] = {
    "audit": ("logging",),
    "eks-secrets": ("cluster",),
    "system": ("cluster", "system_pool"),
    "audit-logs-access": ("logging",),
}


@dataclass(frozen=True)
class ConfigLocation:
    file: str
    line: int | None
    path: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} ({self.path})" if self.path else where


def show(loc: Loc, data: Any) -> str:
    """`buckets[1] (datasets)`-style text for a config path (`gpu-enclave:platform` for its top)."""
    if not loc:
        return CONFIG_KEY
    out, node, named = "", data, ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else f"{'.' if out else ''}{step}"
        node = _child(node, step)
        name = node.get("name") if isinstance(node, Mapping) else None
        # the entry's name after its index (`buckets[1] (datasets)`), even when a setting of it follows
        named = f" ({name})" if isinstance(step, int) and isinstance(name, str) else named
    return f"{out}{named}"


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, Mapping):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


class Locator:
    """Config locations of a synthesized stack's resources."""

    def __init__(self, stack_file: Path, records: list[dict[str, Any]], root: Path | None = None) -> None:
        parsed = read_stack_file(stack_file)
        data = parsed.config.get(CONFIG_KEY)
        self.data: Any = data if isinstance(data, dict) else {}
        self.lines = parsed.lines
        self.file = _display(stack_file, root)
        self.env = str(self.data.get("environment", ""))
        self.records = {r["urn"]: r for r in records}

    def loc(self, urn: str) -> Loc:
        seen: set[str] = set()
        current = self.records.get(urn)
        leaf = current["type"] if current is not None else ""
        leaf_name = str(current.get("name", "")) if current is not None else ""
        while current is not None and current["urn"] not in seen:
            seen.add(current["urn"])
            found = self._component(current)
            if current["type"] == "enclave:aws:NodeSecurityGroups":
                # one group per zone, its resources named <env>-<zone>-nodes... or ...-from-<zone>-nodes
                zone = next((z for z in self._names("zones") if f"-{z}-nodes" in f"-{leaf_name}"), None)
                found = self._named("zones", zone) if zone else found
            if found is not None:
                setting = SETTINGS.get((current["type"], leaf))
                return setting if setting is not None and setting[0] in self.data else found
            current = self.records.get(current.get("parent") or "")
        return ()

    def _component(self, record: Mapping[str, Any]) -> Loc | None:
        rtype, name = record["type"], str(record.get("name", ""))
        short = name.removeprefix(f"{self.env}-") if self.env else name
        if rtype == "enclave:aws:KmsKey":
            return self._named("zones", short) or self._named("buckets", short) or SPECIAL.get(short, ())
        if rtype in BY_NAME:
            return self._named(BY_NAME[rtype], short) or SPECIAL.get(short, (BY_NAME[rtype],))
        section = BY_TYPE.get(rtype)
        return section if section is None or not section or section[0] in self.data else ()

    def _names(self, section: str) -> list[str]:
        entries = self.data.get(section)
        return (
            [e["name"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("name"), str)]
            if isinstance(entries, list)
            else []
        )

    def _named(self, section: str, name: str) -> Loc | None:
        entries = self.data.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, Mapping) and entry.get("name") == name:
                return (section, i)
        return None

    def from_config(self, urn: str) -> bool:
        """Whether a stack-file entry made the resource: a platform stack's resource inside a component the config
        builds. Anything else (a resource a program adds itself, a stack of a program of its own) was made by a
        line of the program (the record's `source`)."""
        seen: set[str] = set()
        current = self.records.get(urn)
        while self.data and current is not None and current["urn"] not in seen:
            seen.add(current["urn"])
            if self._component(current) is not None:
                return True
            current = self.records.get(current.get("parent") or "")
        return False

    def locate(self, urn: str, policy: str = "") -> ConfigLocation:
        """The entry that made the resource; with `policy`, the setting of that entry its finding is about, when
        the stack file sets it (its own line, e.g. `buckets[1].force_destroy`), else the entry."""
        if not self.data:  # not a platform stack (a program of its own): the file is all we can say
            return ConfigLocation(self.file, None, "")
        loc = self.loc(urn)
        setting = POLICY_SETTINGS.get(policy)
        if setting is not None and loc and (*loc, *setting) in self.lines:
            loc = (*loc, *setting)
        probe = loc
        while probe and probe not in self.lines:
            probe = probe[:-1]
        return ConfigLocation(self.file, self.lines.get(probe), show(loc, self.data))


def _display(path: Path, root: Path | None) -> str:
    resolved = path.resolve()
    if root is not None and resolved.is_relative_to(root.resolve()):
        return str(resolved.relative_to(root.resolve()))
    return str(path)
