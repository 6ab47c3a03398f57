"""docs/components.md is generated from the Args classes and must match them; every Args field is documented."""

from __future__ import annotations

import dataclasses

from components.args import DOC
from components.args_docs import args_classes, render
from enclave.synth import PROJECT_ROOT


def test_component_reference_is_current() -> None:
    shipped = (PROJECT_ROOT / "docs" / "components.md").read_text(encoding="utf-8")
    assert shipped == render(), "docs/components.md is stale: run `make components-doc`"


def test_every_public_component_has_documented_args() -> None:
    names = {cls.__name__ for cls in args_classes()}
    assert {"KmsKeyArgs", "EncryptedBucketArgs", "WorkloadIdentityArgs", "GpuNodePoolArgs", "TrustZoneArgs",
            "ClusterAddonsArgs", "TeamZoneArgs", "NodeSecurityGroupsArgs"} <= names  # fmt: skip
    for cls in args_classes():
        for f in dataclasses.fields(cls):
            assert len(str(f.metadata[DOC]).split()) >= 3, f"{cls.__name__}.{f.name}: say what it is"
