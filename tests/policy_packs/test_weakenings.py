"""Every weakening of prod (tests/policy_packs/weakenings.py) is a new mandatory finding of the control it
weakens, on the resource it touched, under prod's pack config; prod as synthesized has none."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog import CONTROLS
from enclave.preview import PACK_DIR
from enclave.synth import SynthResult, synth
from tests.conftest import stack_data, write_stack
from tests.policy_packs.harness import Hit, run
from tests.policy_packs.weakenings import WEAKENINGS, Records, Weakening


def prod_config() -> dict[str, dict[str, Any]]:
    given = json.loads((PACK_DIR / "config" / "prod.json").read_text(encoding="utf-8"))
    assert given.get("all") == "mandatory", "prod runs every policy mandatory"
    return {k: {p: v for p, v in e.items() if p not in ("enforcementLevel", "note")}
            for k, e in given.items() if isinstance(e, dict)}  # fmt: skip


def mandatory(hits: list[Hit]) -> set[tuple[str, str, str]]:
    return {(h.control, h.urn, h.message) for h in hits if not h.unverifiable}


@pytest.fixture(scope="module")
def baseline(synthed: Callable[[str, bool], SynthResult]) -> list[dict[str, Any]]:
    return synthed("prod", False).resources


def test_prod_has_no_mandatory_finding(baseline: list[dict[str, Any]]) -> None:
    hits = run(baseline, prod_config())
    assert not hits, "\n".join(f"{h.control} {h.urn}: {h.message}" for h in hits)


def test_weakenings_cover_the_catalog() -> None:
    ids = [w.id for w in WEAKENINGS]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    uncovered = sorted(set(CONTROLS) - {w.control for w in WEAKENINGS})
    assert not uncovered, f"controls no weakening exercises: {uncovered}"


@pytest.mark.parametrize("weakening", WEAKENINGS, ids=[w.id for w in WEAKENINGS])
def test_weakening_is_caught(baseline: list[dict[str, Any]], weakening: Weakening) -> None:
    records = Records(copy.deepcopy(baseline))
    before = {r["urn"] for r in records.records}
    weakening.edit(records)
    hits = run(records.records, prod_config())
    new = mandatory(hits)
    caught = [(c, u, m) for c, u, m in new if c == weakening.control]
    shown = "\n".join(f"  {c} {u.rsplit('::', 1)[-1]}: {m}" for c, u, m in sorted(new))
    assert caught, f"{weakening.id}: no {weakening.control} finding; found:\n{shown or '  nothing'}"
    if weakening.on:
        assert any(weakening.on in u for _, u, _ in caught), f"{weakening.id}: not on {weakening.on}:\n{shown}"
    added = {r["urn"] for r in records.records} - before
    objects = {r["urn"]: r["inputs"].get("metadata", {}).get("name") for r in records.records}
    for _, urn, message in caught:
        # the resource's own name, or for a Kubernetes object its metadata.name
        names = {urn.rsplit("::", 1)[-1], objects.get(urn)} - {None}
        assert urn in added or any(n in message for n in names), f"{weakening.id}: names none of {names}: {message}"


# Weakenings a stack-file edit makes (the config accepts them; only the pack knows prod's stricter rules).
CONFIG_WEAKENINGS = [
    ("flow-logs-kept-90-days", "LOG-05", lambda d: d["logging"].update({"retention_days": 90})),
    ("public-host-for-training", "MESH-04", lambda d: d["zones"][1]["egress"]["hosts"].append("pastebin.com")),
    (
        "another-cluster-admin",
        "EKS-06",
        lambda d: d["cluster"]["admin_role_arns"].append("arn:aws:iam::111122223333:role/release-bot"),
    ),
    # ml-research bound to cluster-admin (K8S-05) makes the role mapped into it a cluster admin too (EKS-06)
    (
        "team-made-platform-admin",
        "K8S-05 EKS-06",
        lambda d: d["kubernetes"]["platform_admin_groups"].append("ml-research"),
    ),
    ("data-perimeter-off", "S3-11", lambda d: d["data_perimeter"].update({"enabled": False})),
    ("dns-query-logging-off", "NET-06", lambda d: d["network"].setdefault("dns", {}).update({"query_logging": False})),
    ("immutable-log-copies-off", "LOG-07", lambda d: d["logging"].update({"immutable_copies": False})),
    ("dns-firewall-off", "NET-07", lambda d: d["network"].setdefault("dns", {}).update({"firewall": False})),
    ("falco-switched-off", "DETECT-12", lambda d: d["detection"]["falco"].update({"enabled": False})),
]


@pytest.mark.parametrize(("name", "control", "edit"), CONFIG_WEAKENINGS, ids=[w[0] for w in CONFIG_WEAKENINGS])
def test_config_weakening_is_caught(tmp_path: Path, name: str, control: str, edit: Callable[[Any], None]) -> None:
    data = stack_data("prod")
    edit(data)
    records = synth("prod", config_file=write_stack(tmp_path / "Pulumi.prod.yaml", data)).resources
    hits = [h for h in run(records, prod_config()) if not h.unverifiable]
    assert {h.control for h in hits} == set(control.split()), [f"{h.control} {h.message}" for h in hits]
