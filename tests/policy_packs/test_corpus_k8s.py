"""The Kubernetes corpus (tests/policy_packs/corpus_k8s.py): Pulumi programs written with pulumi-kubernetes alone,
registered under mocks exactly as the SDK sends them and run through the pack over gRPC as the engine runs it:
exactly the expected Kubernetes and mesh findings (the AWS families are judged by the AWS corpus)."""

from __future__ import annotations

from typing import Any

import pytest

from enclave.synth import run_under_mocks
from tests.policy_packs.corpus_k8s import CORPUS
from tests.policy_packs.harness import RULES
from tests.policy_packs.test_protocol import info, stub, through  # noqa: F401 (the gRPC pack process fixtures)

FAMILIES = ("K8S", "MESH", "EKS")


@pytest.fixture(scope="module")
def pack_mode() -> str:
    """Whole stacks go through the pack's own process only, as `pulumi preview` runs it."""
    return "process"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_kubernetes_stack_in_another_style_gets_exactly_its_findings(
    stub: Any,  # noqa: F811
    info: Any,  # noqa: F811
    name: str,
    preview: bool,
) -> None:
    program, expected, config = CORPUS[name]
    records = run_under_mocks(program, stack=name, preview=preview)
    seen, _ = through(stub, info, records, config)
    found = {
        (RULES[s.policy].control, s.urn.rsplit("::", 1)[-1])
        for s in seen
        if s.policy in RULES and RULES[s.policy].control.split("-")[0] in FAMILIES
    }
    shown = "\n".join(
        f"  {s.policy} {s.urn.rsplit('::', 1)[-1]}: {s.message.splitlines()[2]}" for s in seen if s.policy in RULES
    )
    assert found == expected, f"{name}: missing {sorted(expected - found)}, extra {sorted(found - expected)}\n{shown}"
    assert all(s.level == "mandatory" for s in seen if s.policy in RULES), name
