"""The corpus of whole stacks in other styles (tests/policy_packs/corpus.py), run over gRPC as the engine runs
the pack: exactly the expected findings on their AWS resources (the Kubernetes and mesh families judge the
stacks' few Kubernetes objects on their own terms and are left out of the comparison)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_packs.corpus import CORPUS
from tests.policy_packs.harness import RULES
from tests.policy_packs.test_protocol import info, stub, through  # noqa: F401 (the gRPC pack process fixtures)

KUBERNETES_FAMILIES = ("K8S", "MESH")


@pytest.fixture(scope="module")
def pack_mode() -> str:
    """Whole stacks go through the pack's own process only, as `pulumi preview` runs it."""
    return "process"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_stack_in_another_style_gets_exactly_its_findings(stub: Any, info: Any, name: str) -> None:  # noqa: F811
    make, expected = CORPUS[name]
    seen, _ = through(stub, info, make(), {})
    found = {
        (RULES[s.policy].control, s.urn)
        for s in seen
        if s.policy in RULES and RULES[s.policy].control.split("-")[0] not in KUBERNETES_FAMILIES
    }
    shown = "\n".join(f"  {s.policy} {s.urn}: {s.message.splitlines()[2]}" for s in seen if s.policy in RULES)
    assert found == expected, f"{name}: missing {sorted(expected - found)}, extra {sorted(found - expected)}\n{shown}"
    assert all(s.level == "mandatory" for s in seen if s.policy in RULES), name
