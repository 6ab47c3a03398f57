"""The README's figures are the program's: resource counts per stack and the synth summary line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

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


def test_pack_counts_match_the_catalog() -> None:
    import sys

    sys.path.insert(0, str(PROJECT_ROOT / "policy_packs" / "hipaa"))
    from catalog import CONTROLS
    from framework.rules import load_all

    rules = load_all("rules")
    match = re.search(r"CrossGuard policy pack: (\d+) controls .*?enforced by (\d+) policies", README, flags=re.S)
    assert match and (int(match[1]), int(match[2])) == (len(CONTROLS), len(rules)), match
    # the verdict lines count the exemptions policy too
    shown = {int(n) for n in re.findall(r"(\d+) policies \(gpu-enclave-hipaa@", README)}
    assert shown == {len(rules) + 1}, shown


def test_the_moto_example_says_what_it_needs() -> None:
    """The audit example runs as written: a moto server, fake credentials, the seeded account and the stack in
    moto's account (`--stack` refuses another account)."""
    block = README[README.index("A real run against the tests' moto server") :]
    block = block[: block.index("On a terminal the report")]
    for needed in ("moto_server -p 5000", "AWS_ACCESS_KEY_ID=testing", "python -m tests.enclave.audit.seed",
                   "--config-file out/moto/Pulumi.prod.yaml --pack-config out/moto/prod.json"):  # fmt: skip
        assert needed in block, needed


def test_the_claims_the_issue_asked_to_back_are_in_the_readme() -> None:
    """'never a traceback' (tests/enclave/test_broken_inputs.py), '2 bad input' (its output-path corpus) and 'a
    control-wide waiver is refused' (tests/enclave/test_gate.py) are each backed by the tests named here."""
    for claim in ("never a traceback", "2 bad\ninput", "a control-wide waiver is refused"):
        assert claim.replace("\n", " ") in " ".join(README.split()).replace("\n", " ") or claim in README, claim
    tests = PROJECT_ROOT / "tests" / "enclave"
    assert (
        "test_every_file_output_refuses_a_bad_target_before_any_work" in (tests / "test_broken_inputs.py").read_text()
    )
    assert "test_a_control_wide_waiver_is_refused_and_exempts_nothing" in (tests / "test_gate.py").read_text()


def test_the_broken_stack_sample_is_what_synth_prints(tmp_path: Path) -> None:
    """The README's broken stack file: prod with a non-EFA type in the EFA pool and the NCCL window dropped. Its
    line numbers and messages are the program's (the sample elides the long type lists with '...')."""
    from typer.testing import CliRunner

    from enclave.cli import app

    sample = re.search(r"```\n(invalid stack config: .*?)```", README, flags=re.S)
    assert sample, "README lost its broken-stack sample"
    source = (PROJECT_ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    broken = source.replace("instance_types: [p5.48xlarge]", "instance_types: [g6e.2xlarge]", 1).replace(
        "ports: [{port: 29500}, {port: 50000, end_port: 51023}]", "ports: [{port: 29500}]", 1
    )
    assert broken.count("\n") == source.count("\n") and broken != source
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(broken, encoding="utf-8")
    out = tmp_path / "out.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        args = ["synth", "--stack", "prod", "--project-dir", str(PROJECT_ROOT)]
        result = CliRunner().invoke(app, [*args, "--config-file", "stacks/Pulumi.prod.yaml", "--out", str(out)])
    assert result.exit_code == 2 and not out.exists(), result.output
    # the README wraps long lines and elides the type lists: compare word by word, '...' standing for any text
    printed = " ".join(result.output.replace(f"{tmp_path}/", "").split())
    pattern = ".*".join(re.escape(part.strip()) for part in " ".join(sample[1].split()).split("..."))
    assert re.fullmatch(pattern, printed), f"README's broken-stack sample is not what synth prints:\n{result.output}"
