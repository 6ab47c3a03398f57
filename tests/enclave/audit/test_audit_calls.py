"""The auditor policy: generated from the calls table, read-only, and covering every call a full audit of the
seeded accounts makes (recorded with botocore's before-call hook on the session the audit uses)."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from enclave.audit.calls import CALLS, POLICY_FILE, auditor_policy, is_read, policy_text
from enclave.audit.catalog import load_catalog
from enclave.audit.detect_rules import RULES as DETECT_RULES
from enclave.audit.drift import WEAKER
from enclave.audit.run import AuditOptions, run_audit
from enclave.preview import default_pack

from .conftest import ROOT, reset
from .seed import REGION, clients, seed_drifted

AUDIT_DIR = ROOT / "enclave" / "audit"


def test_shipped_policy_is_generated_from_the_calls_table() -> None:
    assert POLICY_FILE.read_text(encoding="utf-8") == policy_text(), "stale: run `make auditor-policy`"
    actions = auditor_policy()["Statement"][0]["Action"]
    assert actions == sorted(set(CALLS.values()))
    assert all(is_read(a) for a in actions), [a for a in actions if not is_read(a)]


def test_every_control_the_audit_reports_is_in_the_catalog() -> None:
    catalog = load_catalog(default_pack(ROOT))
    used: set[str] = {control for control, _ in WEAKER.values()}
    # the detection checks report under the controls of the pack rules they run (detect_rules.RULES)
    used |= {catalog.policies[policy] for policy in DETECT_RULES}
    for path in AUDIT_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if path.name == "detect_rules.py" and isinstance(node, ast.Call) and _rule_control(node):
                continue
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "finding" and node.args:
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}: control id must be a literal"
                used.add(str(first.value))
    assert len(used) >= 25
    assert used <= set(catalog.controls), sorted(used - set(catalog.controls))


def _rule_control(node: ast.Call) -> bool:
    """`ctx.finding(rule.control, ...)`: a pack rule's own control, in the catalog by the catalog's own test."""
    first = node.args[0] if node.args else None
    return isinstance(first, ast.Attribute) and first.attr == "control"


def _recorded_audit(endpoint: str, stack: str | None) -> tuple[Counter[tuple[str, str]], Any]:
    calls: Counter[tuple[str, str]] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[(model.service_model.service_name, model.name)] += 1

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    session.events.register("before-call", record)
    result = run_audit(
        AuditOptions(pack_dir=default_pack(ROOT), endpoint_url=endpoint, session=session, stack=stack, project_dir=ROOT)
    )
    return calls, result


def test_every_call_of_an_audit_is_covered_by_the_policy_and_is_a_read(endpoint: str, prod: Any) -> None:
    reset(endpoint)
    seed_drifted(prod, endpoint)
    c = clients(endpoint)
    for i in range(110):  # more than one page of roles (moto pages ListRoles at 100) and log groups (50)
        c["iam"].create_role(
            RoleName=f"extra-{i:03d}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
    for i in range(60):
        c["logs"].create_log_group(logGroupName=f"/extra/{i:03d}")
    policy = auditor_policy()["Statement"][0]["Action"]
    # with a stack the audit makes every call it makes without one, plus the tag reads drift needs
    seen, result = _recorded_audit(endpoint, "prod")
    assert result.findings and result.drift, "the drifted account has findings and drift"
    missing = sorted(k for k in seen if k not in CALLS)
    assert not missing, f"calls the policy does not cover: {missing}"
    assert all(CALLS[k] in policy and is_read(CALLS[k]) for k in seen)
    assert seen[("iam", "ListRoles")] >= 2 and seen[("logs", "DescribeLogGroups")] >= 2  # crossed pages
    # every read kind was exercised (add-ons only as far as moto answers: a 404 is still a call)
    assert {s for s, _ in seen} == {
        "sts", "s3", "kms", "iam", "eks", "ec2", "cloudtrail", "logs", "sns", "cloudwatch", "events", "guardduty",
        "secretsmanager", "firehose", "ecr",
    }  # fmt: skip
    unused = sorted(set(CALLS) - set(seen))
    # moto has no add-on to describe and no access-entry API (ListAccessEntries is a 404: nothing to list)
    assert unused == [("eks", "DescribeAddon"), ("eks", "ListAssociatedAccessPolicies")], unused


def test_catalog_levels_come_from_the_pack_config(tmp_path: Path) -> None:
    catalog = load_catalog(
        default_pack(ROOT),
        {
            "all": "mandatory",
            "log-groups-retained": "advisory",
            "log-groups-encrypted": {"enforcementLevel": "disabled"},
        },
    )
    assert catalog.level("LOG-05") == "advisory"
    assert catalog.level("LOG-04") == "disabled"
    assert catalog.level("S3-01") == "mandatory"
    assert load_catalog(default_pack(ROOT)).level("S3-01") == "mandatory"
