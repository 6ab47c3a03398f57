"""Every prod resource maps to the stack-file entry that made it, with its line: what a finding tells the user
to edit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from enclave.locate import Locator
from enclave.synth import PROJECT_ROOT, SynthResult

STACK_FILE = PROJECT_ROOT / "stacks" / "Pulumi.prod.yaml"


def line_of(text: str) -> int:
    lines = STACK_FILE.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip().split("#")[0].strip().startswith(text))


@pytest.fixture(scope="module")
def locator(synthed: Callable[[str, bool], SynthResult]) -> Locator:
    return Locator(STACK_FILE, synthed("prod", False).resources, PROJECT_ROOT)


@pytest.mark.parametrize(
    ("name", "path", "line"),
    [
        ("prod-datasets-policy", "buckets[1] (datasets)", "- name: datasets"),
        ("prod-models-prod-key", "buckets[3] (models-prod)", "- name: models-prod"),
        ("prod-trainer-role", "identities[0] (trainer)", "- name: trainer"),
        ("prod-trainer-sa", "identities[0] (trainer)", "- name: trainer"),
        ("training-networkpolicy-default-deny", "zones[1] (training)", "- name: training"),
        ("prod-training-key", "zones[1] (training)", "- name: training"),
        ("prod-train-p5-launch-template", "node_pools[0] (train-p5)", "- name: train-p5"),
        ("prod-system-launch-template", "cluster.system_pool", "cluster:"),
        ("prod-cluster", "cluster", "cluster:"),
        ("prod-trail", "logging", "logging:"),
        ("prod-audit-key", "logging", "logging:"),
        ("prod-audit-logs-access-bucket", "logging", "logging:"),
        ("prod-flow-log", "network", "network:"),
        ("prod-istiod", "kubernetes.addons", "kubernetes:"),
        ("prod-approved-registries", "kubernetes.approved_registries", "approved_registries:"),
        ("prod-flow-logs", "logging.retention_days", "retention_days: 365"),
        ("prod-control-plane-logs", "logging.audit_retention_days", "audit_retention_days: 2192"),
        ("prod-audit-logs-object-lock", "logging.audit_retention_days", "audit_retention_days: 2192"),
        ("prod-admin-0-policy", "cluster.admin_role_arns", "admin_role_arns:"),
        ("prod-api-from-10.100.0.0-24", "cluster.endpoint", "endpoint:"),
        ("prod-api-from-inference-nodes", "zones[2] (inference)", "- name: inference"),
        ("prod-training-nodes-from-self", "zones[1] (training)", "- name: training"),
    ],
)
def test_a_resource_maps_to_its_entry(
    locator: Locator, synthed: Callable[[str, bool], SynthResult], name: str, path: str, line: str
) -> None:
    [record] = [r for r in synthed("prod", False).resources if r["name"] == name]
    where = locator.locate(record["urn"])
    assert (where.file, where.path, where.line) == ("stacks/Pulumi.prod.yaml", path, line_of(line))
    assert str(where) == f"stacks/Pulumi.prod.yaml:{line_of(line)} ({path})"


def test_every_resource_has_a_line(locator: Locator, synthed: Callable[[str, bool], SynthResult]) -> None:
    for record in synthed("prod", False).resources:
        assert locator.locate(record["urn"]).line, record["urn"]


def test_a_resource_outside_the_components_maps_to_the_platform_config(locator: Locator) -> None:
    where = locator.locate("urn:pulumi:prod::gpu-enclave::aws:s3/bucket:Bucket::shadow")
    assert where.path == "gpu-enclave:platform" and where.line == line_of("gpu-enclave:platform:")
