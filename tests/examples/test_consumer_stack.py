"""The consumer example: a separate Pulumi project builds a zone's bucket and identity from `components`."""

from __future__ import annotations

import json
from pathlib import Path

from enclave.synth import PROJECT_ROOT, synth

EXAMPLE = PROJECT_ROOT / "examples" / "consumer-stack"


def test_consumer_stack_reuses_components() -> None:
    result = synth("research", project_dir=EXAMPLE)
    assert result.project == "enclave-consumer"
    types = {r["type"] for r in result.resources}
    assert {"enclave:aws:EncryptedBucket", "enclave:aws:KmsKey", "enclave:aws:WorkloadIdentity"} <= types
    role = next(r for r in result.resources if r["type"] == "aws:iam/role:Role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]["StringEquals"]
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    assert cond == {
        f"{issuer}:sub": "system:serviceaccount:research:research-job",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    logging = next(r for r in result.resources if r["type"] == "aws:s3/bucketLogging:BucketLogging")
    assert logging["inputs"]["targetBucket"] == "acme-audit-logs-us-east-1"


def test_consumer_requirements_install_this_repo() -> None:
    lines = (EXAMPLE / "requirements.txt").read_text().splitlines()
    assert "-e ../.." in lines
    assert (Path(EXAMPLE / "../..").resolve() / "pyproject.toml").is_file()
