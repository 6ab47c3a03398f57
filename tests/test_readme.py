"""The README's figures are the program's: resource counts per stack and the synth summary line."""

from __future__ import annotations

import re
from collections.abc import Callable

from enclave.synth import PROJECT_ROOT, SynthResult

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_stack_table_counts_match_synth(synthed: Callable[..., SynthResult]) -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", README, flags=re.M))
    assert set(rows) == {"dev", "staging", "prod"}
    for stack, count in rows.items():
        assert len(synthed(stack).resources) == int(count), f"README says {stack} has {count} resources"


def test_synth_summary_line_matches(synthed: Callable[..., SynthResult]) -> None:
    match = re.search(r"# prod: (\d+) resources \((\d+) custom, (\d+) components\)", README)
    assert match, "README lost its example synth summary"
    resources = synthed("prod", True).resources
    custom = sum(1 for r in resources if r["custom"])
    assert (int(match[1]), int(match[2]), int(match[3])) == (len(resources), custom, len(resources) - custom)
