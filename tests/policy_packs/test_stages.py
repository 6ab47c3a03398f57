"""Zones adopted in stages, through the pack as the engine runs it (`enclave preview`, over gRPC): the findings a
zone's stage explains are EXEMPTED with the zone's owner and expiry, mandatory without an expiry; findings of
enforce zones are unchanged; a pack config that disagrees with the stack config is refused."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from components.config import validate_platform
from components.config.rollout import pack_stages
from enclave.preview import PACK_DIR, PreviewInputError, run_preview
from enclave.synth import synth
from framework.model import Resource
from framework.stages import STAGE_CONTROLS, StagedZone, explaining
from framework.stages import parse as parse_stages
from tests.conftest import stack_data, write_stack
from tests.policy_packs.harness import run
from tests.policy_packs.test_weakenings import prod_config

NOTEBOOKS = 3
EXPIRES = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()


def staged(stack: str, stage: str, expires: str | None) -> dict[str, Any]:
    data = stack_data(stack)
    data["zones"][NOTEBOOKS]["rollout"] = {
        "stage": stage,
        "owner": "ml-platform",
        **({"expires": expires} if expires else {}),
    }
    return data


def preview(tmp_path: Path, stack: str, data: dict[str, Any], stages: list[dict[str, Any]] | None = None) -> Any:
    given = json.loads((PACK_DIR / "config" / f"{stack}.json").read_text(encoding="utf-8"))
    gate = given.setdefault("exemptions", {})
    gate["stages"] = pack_stages(validate_platform(data).zones) if stages is None else stages
    pack_config = tmp_path / "pack.json"
    pack_config.write_text(json.dumps(given), encoding="utf-8")
    return run_preview(stack, config_file=write_stack(tmp_path / f"Pulumi.{stack}.yaml", data), pack_config=pack_config)


def notebooks_object(urn: str, records: dict[str, dict[str, Any]]) -> bool:
    inputs = records[urn]["inputs"]
    meta = inputs.get("metadata", {})
    return (
        meta.get("namespace") == "notebooks"
        or meta.get("name") == "notebooks"
        or "notebooks" in json.dumps(inputs.get("spec", {}).get("matchResources", {}))
    )


@pytest.mark.parametrize("stage", ["observe", "warn"])
def test_what_a_stage_leaves_weak_is_its_zones_and_its_controls_only(tmp_path: Path, stage: str) -> None:
    data = staged("prod", stage, EXPIRES)
    records = synth("prod", config_file=write_stack(tmp_path / "Pulumi.prod.yaml", data)).resources
    hits = [h for h in run(records, prod_config()) if not h.unverifiable]
    by_urn = {r["urn"]: r for r in records}
    assert hits, "a zone below enforce leaves controls weak"
    outside = [f"{h.control} {h.urn}" for h in hits if h.control not in STAGE_CONTROLS[stage]]
    assert not outside, f"the stage leaves weak controls it does not explain: {outside}"
    elsewhere = [f"{h.control} {h.urn}" for h in hits if not notebooks_object(h.urn, by_urn)]
    assert not elsewhere, f"findings outside the staged zone: {elsewhere}"


def test_observe_with_expiry_is_exempted_with_owner_and_expiry(tmp_path: Path) -> None:
    result = preview(tmp_path, "prod", staged("prod", "observe", EXPIRES))
    assert not result.blocking, [f"{d.control} {d.urn}: {d.message}" for d in result.blocking]
    exempted = [d for d in result.diagnostics if d.exempted]
    assert {d.control for d in exempted} >= {"K8S-01", "K8S-02", "MESH-01", "MESH-02", "MESH-03"}
    for d in exempted:
        assert d.enforcementLevel == "advisory"
        assert d.exemption is not None and d.exemption["owner"] == "ml-platform" and d.exemption["expires"] == EXPIRES
        assert f"zone notebooks is at stage observe until {EXPIRES} (owner ml-platform; zones[3].rollout)" in d.message


def test_observe_without_expiry_is_mandatory(tmp_path: Path) -> None:
    result = preview(tmp_path, "staging", staged("staging", "observe", None))
    blocking = result.blocking
    assert blocking and not [d for d in result.diagnostics if d.exempted]
    for d in blocking:
        assert d.enforcementLevel == "mandatory"
        assert "NOT EXEMPTED: zone notebooks is at stage observe with no expiry" in d.message, d.message
        assert "rollout.expires" in d.message


def zone(stage: str = "observe", expires: datetime.date | None = None) -> StagedZone:
    return StagedZone(0, "notebooks", frozenset({"notebooks"}), stage, "ml-platform", expires, "zones[3].rollout")


def k8s(rtype: str, props: dict[str, Any]) -> Resource:
    return Resource(type=rtype, urn=f"urn:pulumi:prod::p::{rtype}::x", name="x", props=props)


NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"


@pytest.mark.parametrize(
    ("control", "resource", "explained"),
    [
        ("K8S-02", k8s(NP, {"metadata": {"namespace": "notebooks"}}), True),
        ("K8S-02", k8s(NP, {"metadata": {"namespace": "training"}}), False),  # an enforce zone's object
        ("K8S-08", k8s(NP, {"metadata": {"namespace": "notebooks"}}), False),  # a control no stage explains
        ("K8S-01", k8s("kubernetes:core/v1:Namespace", {"metadata": {"name": "notebooks"}}), True),
        ("K8S-01", k8s("kubernetes:core/v1:Namespace", {"metadata": {"name": "inference"}}), False),
        ("K8S-09", k8s(BINDING, {"spec": {"matchResources": {"namespaceSelector": {"matchExpressions": [
            {"key": "enclave.dev/zone", "operator": "In", "values": ["notebooks"]}]}}}}), True),
        # a binding that reaches an enforce zone too (every zone, or all but the staged ones) stands
        ("K8S-09", k8s(BINDING, {"spec": {"matchResources": {"namespaceSelector": {"matchExpressions": [
            {"key": "enclave.dev/zone", "operator": "Exists"}]}}}}), False),
        ("K8S-09", k8s(BINDING, {"spec": {"matchResources": {"namespaceSelector": {"matchExpressions": [
            {"key": "enclave.dev/zone", "operator": "NotIn", "values": ["notebooks"]}]}}}}), False),
        ("K8S-11", k8s(NP, {"metadata": {"namespace": "notebooks"}}), True),
        ("K8S-02", k8s("aws:s3/bucket:Bucket", {"bucket": "notebooks"}), False),  # not a zone object
    ],
)  # fmt: skip
def test_which_findings_a_stage_explains(control: str, resource: Resource, explained: bool) -> None:
    assert bool(explaining(control, resource, [zone()])) is explained


def test_warn_no_longer_explains_the_mesh_identity() -> None:
    resource = k8s(NP, {"metadata": {"namespace": "notebooks"}})
    assert explaining("K8S-11", resource, [zone("observe")]) and not explaining("K8S-11", resource, [zone("warn")])


def test_stage_entries_are_checked_as_exemptions_are() -> None:
    today = datetime.date(2026, 12, 1)
    ok = {"zone": "notebooks", "namespaces": ["notebooks"], "stage": "warn", "owner": "ml-platform"}
    valid, problems = parse_stages([ok, {**ok, "expires": "2026-12-31"}], 365, today)
    assert [z.expires for z in valid] == [None, datetime.date(2026, 12, 31)] and not problems
    for bad, says in [
        ({**ok, "stage": "enforce"}, "observe or warn"),
        ({**ok, "owner": " "}, "name who answers"),
        ({**ok, "expires": "soon"}, "a date YYYY-MM-DD"),
        ({**ok, "expires": "2028-01-01"}, "at most 365 days ahead"),
        ({**ok, "extra": 1}, "unknown key 'extra'"),
        ({**ok, "namespaces": []}, "list the zone's namespaces"),
    ]:
        valid, problems = parse_stages([bad], 365, today)
        assert not valid and len(problems) == 1 and says in problems[0], problems


def test_an_entry_naming_the_wrong_namespaces_is_refused(tmp_path: Path) -> None:
    data = staged("prod", "observe", EXPIRES)
    wrong = pack_stages(validate_platform(data).zones)
    wrong[0]["namespaces"] = ["training"]
    with pytest.raises(PreviewInputError, match=r"exemptions\.stages does not match"):
        preview(tmp_path, "prod", data, wrong)


def test_a_pack_config_without_the_stages_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        PreviewInputError, match=r'"zone": "notebooks", "namespaces": \["notebooks"\], "stage": "observe"'
    ):
        preview(tmp_path, "prod", staged("prod", "observe", EXPIRES), [])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_enforce_every_zone_and_their_pack_configs_agree(stack: str) -> None:
    cfg = validate_platform(stack_data(stack))
    assert all(z.rollout.stage == "enforce" for z in cfg.zones)
    given = json.loads((PACK_DIR / "config" / f"{stack}.json").read_text(encoding="utf-8"))
    assert given.get("exemptions", {}).get("stages", []) == pack_stages(cfg.zones) == []
