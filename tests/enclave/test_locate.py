"""Every prod resource maps to the stack-file entry that made it, with its line: what a finding tells the user
to edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enclave.locate import Locator
from enclave.synth import PROJECT_ROOT, SynthResult, synth
from tests.conftest import stack_data, write_stack

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


def test_a_finding_points_at_the_setting_it_is_about(tmp_path: Path) -> None:
    """`force_destroy: true` on buckets[1] makes RECOVER-02: the finding names the line of `force_destroy`, not
    the bucket's block; a finding whose setting the stack file leaves at its default points at the block."""
    data = stack_data("prod")
    data["buckets"][1]["force_destroy"] = True
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = synth("prod", config_file=path)
    locator = Locator(path, result.resources, tmp_path)
    [bucket] = [r for r in result.resources if r["name"] == "prod-datasets-bucket"]
    lines = path.read_text(encoding="utf-8").splitlines()
    where = locator.locate(bucket["urn"], "s3-bucket-not-force-destroyed")
    assert (
        where.path == "buckets[1].force_destroy (datasets)" and lines[where.line - 1].strip() == "force_destroy: true"
    )
    block = locator.locate(bucket["urn"])
    assert block.path == "buckets[1] (datasets)" and block.line is not None
    assert lines[block.line - 1].strip() == "- name: datasets"
    [other] = [r for r in result.resources if r["name"] == "prod-checkpoints-bucket"]
    unset = locator.locate(other["urn"], "s3-bucket-not-force-destroyed")
    assert unset.path == "buckets[2] (checkpoints)", "absent from the stack file: the entry"
