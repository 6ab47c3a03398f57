"""The control catalog: well-formed, every control enforced by a rule, every rule under a control, the rule
list locked (a rename or a dropped rule changes what CI and auditors see, so it must change this test too),
and RULES.md current."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from catalog import CITATIONS, CONTROLS, FAMILIES, SEVERITIES
from framework import docs
from tests.policy_packs.harness import RULES

# rule name -> control id. Change deliberately, with the catalog and RULES.md.
LOCKED = {
    "alarm-topic-encrypted": "DETECT-04",
    "alarm-topic-publishers-scoped": "DETECT-04",
    "artifact-access-alarmed": "DETECT-08",
    "cloudtrail-notifies-alarm-topic": "DETECT-05",
    "denied-flows-alarmed": "DETECT-06",
    "egress-refusals-alarmed": "DETECT-07",
    "guardduty-detects": "DETECT-11",
    "runtime-detection-installed": "DETECT-12",
    "detection-namespaces-confined": "K8S-25",
    "large-transfers-alarmed": "DETECT-07",
    "log-delivery-alarmed": "DETECT-09",
    "mesh-drops-alarmed": "DETECT-07",
    "security-changes-alarmed": "DETECT-10",
    "approved-registries-enforced": "K8S-09",
    "authorization-allows-nothing-by-default": "MESH-02",
    "authorization-names-principals": "MESH-02",
    "cloudtrail-all-regions-validated": "LOG-01",
    "cloudtrail-artifact-data-events": "LOG-03",
    "cloudtrail-encrypted": "LOG-02",
    "cloudtrail-streams-to-cloudwatch": "DETECT-03",
    "default-security-group-closed": "NET-03",
    "denied-flows-logged": "DETECT-01",
    "efa-in-training-pools-only": "EFA-02",
    "efa-pools-placed-together": "EFA-03",
    "efa-security-group-self-only": "EFA-01",
    "eks-access-entries-only": "EKS-05",
    "eks-cluster-admin-named-principals": "EKS-06",
    "eks-cluster-deletion-protected": "RECOVER-02",
    "eks-cni-enforces-network-policy": "EKS-04",
    "eks-control-plane-logs": "EKS-02",
    "eks-endpoint-private": "EKS-03",
    "eks-secrets-encrypted": "EKS-01",
    "iam-irsa-trust-one-service-account": "IAM-01",
    "iam-no-admin-managed-policies": "IAM-07",
    "iam-no-users-or-access-keys": "IAM-04",
    "iam-oidc-provider-sts-audience": "IAM-06",
    "iam-policies-name-actions-and-resources": "IAM-02",
    "iam-role-sessions-short": "IAM-03",
    "iam-role-trust-names-principals": "IAM-10",
    "iam-workload-roles-have-service-accounts": "IAM-05",
    "iam-zone-images-pulled-by-zone-nodes": "IAM-08",
    "instance-metadata-v2": "NODE-01",
    "kms-grants-pinned-to-bucket": "DATA-02",
    "kms-imported-keys-not-rotated": "KMS-01",
    "kms-key-deletion-window": "RECOVER-03",
    "kms-key-policy-administered-by-account": "KMS-02",
    "kms-key-rotation-enabled": "KMS-01",
    "kms-service-use-scoped-to-account": "KMS-03",
    "firehose-streams-encrypted": "LOG-08",
    "log-copies-immutable": "LOG-07",
    "log-groups-encrypted": "LOG-04",
    "log-groups-retained": "LOG-05",
    "mesh-access-logged": "DETECT-02",
    "mesh-identity-reserved": "K8S-11",
    "namespaces-enforce-pod-security": "K8S-01",
    "network-policies-name-peers-and-ports": "K8S-04",
    "network-policies-no-internet-egress": "K8S-03",
    "no-public-ip": "NODE-03",
    "node-groups-tainted": "NODE-04",
    "node-groups-admit-named-ports": "NET-05",
    "s3-ephi-bucket-data-perimeter": "S3-11",
    "vpc-dns-queries-logged": "NET-06",
    "vpc-dns-firewall-blocks-by-default": "NET-07",
    "node-pools-zone-dedicated": "NODE-05",
    "node-role-least-privilege": "NODE-06",
    "node-volumes-encrypted": "NODE-02",
    "node-volumes-use-zone-key": "DATA-01",
    "workloads-kept-off-the-node": "K8S-21",
    "zone-flows-inside-the-matrix": "K8S-20",
    "kubernetes-objects-declared-once": "K8S-22",
    "workload-pods-no-token-automount": "K8S-07",
    "workload-images-approved": "K8S-09",
    "secrets-manager-secrets-use-zone-key": "DATA-10",
    "storage-classes-encrypted": "DATA-08",
    "peer-authentication-strict": "MESH-01",
    "rbac-no-admin-for-workloads": "K8S-05",
    "rbac-roles-name-verbs-and-resources": "K8S-06",
    "s3-audit-bucket-object-locked": "RECOVER-01",
    "s3-bucket-access-logged": "S3-09",
    "s3-bucket-acls-disabled": "S3-04",
    "s3-bucket-encrypted-with-customer-key": "S3-01",
    "s3-bucket-has-public-access-block": "S3-03",
    "s3-bucket-lifecycle": "S3-10",
    "s3-bucket-not-force-destroyed": "RECOVER-02",
    "s3-bucket-not-public": "S3-08",
    "s3-bucket-replicated-to-another-region": "RECOVER-04",
    "s3-replica-written-only-by-replication": "RECOVER-05",
    "s3-bucket-refuses-foreign-encryption": "S3-07",
    "s3-bucket-refuses-sse-c": "S3-02",
    "s3-bucket-tls-only": "S3-06",
    "s3-bucket-versioned": "S3-05",
    "s3-public-access-block-flags": "S3-03",
    "security-groups-no-world-ingress": "NET-02",
    "service-accounts-no-token-automount": "K8S-07",
    "service-entries-approved-hosts": "MESH-04",
    "sidecars-registry-only": "MESH-03",
    "vpc-endpoints-data-perimeter": "NET-04",
    "vpc-flow-logs": "LOG-06",
    "vpc-no-internet-path": "NET-01",
    "zone-data-access": "DATA-03",
    "notebooks-read-promoted-data-only": "DATA-04",
    "kms-grants-stay-in-the-account": "KMS-02",
    "zone-namespaces-deny-by-default": "K8S-02",
    "zone-namespaces-gpu-quota": "K8S-08",
    "zone-secrets-from-manager-files": "DATA-11",
    "zones-claim-only-their-storage-class": "DATA-09",
    "zone-pods-carry-the-sidecar": "MESH-05",
    "zones-mtls-strict": "MESH-01",
    "zones-pinned-to-their-nodes": "K8S-10",
    "node-agents-confined": "K8S-12",
    "namespaces-inside-trust-zones": "K8S-13",
    "zone-workloads-unprivileged": "K8S-14",
    "workload-templates-judged": "K8S-15",
    "kyverno-highly-available": "K8S-16",
    "workload-service-accounts-by-group": "K8S-17",
    "zone-pods-stay-in-the-mesh": "MESH-06",
    "mesh-injected-containers-seccomp": "MESH-07",
    "external-hosts-read-only": "MESH-08",
}

CITATION = re.compile(r"^164\.(308|310|312|316)\([a-z]\)(\(\d+\))?(\((i|ii|iii|iv|v|vi)\))?(\([A-Z]\))?$")


def test_rule_list_is_locked() -> None:
    actual = {name: rule.control for name, rule in RULES.items()}
    assert actual == LOCKED, (
        f"added: {sorted(set(actual) - set(LOCKED))}; removed: {sorted(set(LOCKED) - set(actual))}; "
        f"moved: {sorted(n for n in set(actual) & set(LOCKED) if actual[n] != LOCKED[n])}"
    )


def test_every_control_is_enforced_by_a_rule() -> None:
    enforced = {rule.control for rule in RULES.values()}
    assert sorted(set(CONTROLS) - enforced) == [], "controls claimed but enforced by no rule"
    assert sorted(enforced - set(CONTROLS)) == [], "rules under controls the catalog does not have"


def test_controls_are_well_formed() -> None:
    numbers: dict[str, list[int]] = {}
    for cid, control in CONTROLS.items():
        assert re.fullmatch(r"[A-Z0-9]+-\d{2}", cid), cid
        assert control.id == cid and control.family == cid.split("-")[0] and control.family in FAMILIES, cid
        assert control.severity in SEVERITIES, cid
        assert control.citations, f"{cid} cites nothing"
        for citation in control.citations:
            assert CITATION.match(citation), f"{cid}: {citation!r} is not a 45 CFR 164 paragraph"
            assert citation in CITATIONS, f"{cid}: {citation} has no name in CITATIONS"
        assert control.title and not control.title.endswith("."), cid
        assert len(control.remediation) > 30, f"{cid}: the fix says too little"
        numbers.setdefault(control.family, []).append(int(cid.split("-")[1]))
    for family, ns in numbers.items():
        # ids are handed out in ranges to work done in parallel, so a family may have gaps, never disorder
        assert ns == sorted(set(ns)) and ns[0] == 1, f"{family} ids are not 01.. in increasing order: {ns}"
    assert set(numbers) == set(FAMILIES), f"families with no control: {set(FAMILIES) - set(numbers)}"
    assert set(CITATIONS) == {c for control in CONTROLS.values() for c in control.citations}, "unused citations"


def test_rules_are_well_formed() -> None:
    for name, rule in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        assert rule.description and not rule.description.endswith("."), name
        for key, schema in rule.config.items():
            assert "default" in schema and "description" in schema, f"{name}.{key}: needs a default and a description"


def test_rules_md_is_current() -> None:
    current = docs.render(RULES)
    on_disk = (docs.PACK_DIR / "RULES.md").read_text(encoding="utf-8")
    assert on_disk == current, "policy_packs/hipaa/RULES.md is stale: run `make rules-doc`"
    for cid in CONTROLS:
        assert f'id="{cid.lower()}"' in on_disk, cid


def test_a_weak_citation_says_the_control_only_supports_it() -> None:
    """Issue 18's corrections: LOG-05 cites audit controls (six years is the organisation's policy), DETECT-03
    claims no incident response with no alarm behind it, and the tenuous links are marked 'supports'."""
    assert CONTROLS["LOG-05"].citations == ("164.312(b)",) and "organisation" in CONTROLS["LOG-05"].remediation
    assert CONTROLS["DETECT-03"].citations == ("164.308(a)(1)(ii)(D)",)
    for cid in ("EFA-03", "S3-10", "K8S-08", "DETECT-03"):
        assert CONTROLS[cid].supports == CONTROLS[cid].citations, cid
        assert all(CONTROLS[cid].strength(c) == "supports" for c in CONTROLS[cid].citations)
    for cid, control in CONTROLS.items():
        assert set(control.supports) <= set(control.citations), f"{cid} supports what it does not cite"
    assert CONTROLS["LOG-01"].strength("164.312(b)") == "implements"
    rendered = (docs.PACK_DIR / "RULES.md").read_text(encoding="utf-8")
    assert "supports 45 CFR 164.312(e)(1) (Transmission security)" in rendered  # EFA-03


def test_the_pack_finds_its_files_when_its_packages_are_links(tmp_path: Path) -> None:
    """The mutation work copy's layout (`mutants/policy_packs/hipaa/{framework,rules,catalog.py}` links to mutated
    copies elsewhere, the pack's other files copied beside them): the pack's directory is where it was loaded
    from, so RULES.md and PulumiPolicy.yaml are found there, not beside the links' targets."""
    real = Path(docs.__file__).parent.parent
    elsewhere, pack = tmp_path / "mutated", tmp_path / "mutants" / "policy_packs" / "hipaa"
    elsewhere.mkdir()
    pack.mkdir(parents=True)
    for name in ("framework", "rules", "catalog.py"):
        target = elsewhere / name
        (shutil.copytree if (real / name).is_dir() else shutil.copy2)(real / name, target)
        (pack / name).symlink_to(target)
    for name in ("RULES.md", "PulumiPolicy.yaml"):
        shutil.copy2(real / name, pack / name)
    probe = "from framework import docs, server; print(docs.PACK_DIR); print(server._version())"
    run = subprocess.run([sys.executable, "-c", probe], cwd=pack, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    where, version = run.stdout.split()
    assert Path(where) == pack and (Path(where) / "RULES.md").is_file()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version) and version != "0.0.0"
