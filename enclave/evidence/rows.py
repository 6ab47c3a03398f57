"""The report's rows: one check (a policy on one resource, or one live-account finding) per row and citation,
with its status. Every count the report shows is counted from these rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..preview import EXEMPTED_MARK, Diagnostic, PreviewResult

STATUSES = ("pass", "fail", "exempted", "unverifiable", "not verified", "not enforced", "drift")
# A policy the pack config runs below mandatory: what it did not find is not a pass.
NOT_ENFORCED = {
    "disabled": "disabled in the pack config: not checked",
    "advisory": "no finding, but advisory in the pack config: a finding would not fail the stack",
}
SOURCES = ("preview", "audit")
STACK_ROW = "stack"
# CSV columns, in order; report.json's rows carry the same keys.
COLUMNS = (
    "safeguard", "citation", "control", "title", "severity", "policy", "source", "resource", "resource_type",
    "status", "level", "message", "remediation", "config_file", "config_line", "config_path", "exemption_reason",
    "exemption_owner", "exemption_expires", "check",
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One check, under one of its control's citations (a control serving two safeguards gives two rows per
    check; `check` is the same on both, so distinct checks can be counted)."""

    check: str
    source: str
    control: str
    title: str
    severity: str
    policy: str
    resource: str
    resource_type: str
    status: str
    level: str
    message: str = ""
    remediation: str = ""
    config_file: str = ""
    config_line: int | None = None
    config_path: str = ""
    exemption_reason: str = ""
    exemption_owner: str = ""
    exemption_expires: str = ""
    citation: str = ""
    safeguard: str = ""

    def record(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: data[k] for k in COLUMNS}

    @property
    def name(self) -> str:
        """The resource as people name it: a URN's last part; an ARN or `stack` as it is."""
        return self.resource.rsplit("::", 1)[-1] if self.resource.startswith("urn:pulumi:") else self.resource


def tags(policy: Mapping[str, Any], prefix: str) -> list[str]:
    return [t.removeprefix(prefix) for t in policy.get("tags", []) if t.startswith(prefix)]


def configured_levels(result: PreviewResult) -> dict[str, str]:
    """Every policy's level as `enclave preview` configured the pack with it (its pack-config entry, else `all`,
    else the policy's default); a policy's own default when the result does not say (one built by hand)."""
    return {
        p["name"]: result.levels.get(p["name"], str(p.get("enforcementLevel", "ADVISORY")).lower())
        for p in result.policies
    }


def _message(d: Diagnostic) -> str:
    """The finding without its control heading and its fix (the row has columns for both)."""
    lines = d.message.split("\n")
    if d.exemption is not None:  # the exemption's line: the row's exemption columns hold it
        lines = [line for line in lines if not line.startswith(EXEMPTED_MARK)]
    kept = [line for line in lines if not line.startswith(f"{d.control} ") and not line.startswith("Fix: ")]
    return "\n".join(line.removeprefix("UNVERIFIABLE at preview: ") for line in kept).strip()


def _status(d: Diagnostic) -> str:
    if d.exempted:
        return "exempted"
    return "unverifiable" if d.unverifiable else "fail"


def _finding(check: str, d: Diagnostic, resource_type: str, meta: Mapping[str, Any] | None) -> Row:
    exemption = d.exemption or {}
    line = d.config.get("line")
    return Row(
        check=check, source="preview", control=d.control, title=d.title, severity=d.severity,
        policy=d.policyName, resource=d.urn or STACK_ROW, resource_type=resource_type, status=_status(d),
        level=d.enforcementLevel, message=_message(d),
        remediation=d.remediation or (meta or {}).get("remediationSteps", ""),
        config_file=str(d.config.get("file") or ""), config_line=int(line) if line else None,
        config_path=str(d.config.get("path") or ""), exemption_reason=exemption.get("reason", ""),
        exemption_owner=exemption.get("owner", ""), exemption_expires=exemption.get("expires", ""),
    )  # fmt: skip


def _pass(check: str, policy: Mapping[str, Any], level: str, resource: str, resource_type: str) -> Row:
    control = (tags(policy, "control:") or [policy["name"]])[0]
    return Row(
        check=check, source="preview", control=control, title=policy.get("displayName", "").split(": ", 1)[-1],
        severity=str(policy.get("severity", "")).removeprefix("POLICY_SEVERITY_").lower(), policy=policy["name"],
        resource=resource, resource_type=resource_type, status="pass", level=level,
    )  # fmt: skip


def _unenforced(row: Row) -> Row:
    """A pass of a policy the config runs below mandatory is `not enforced`, saying why."""
    why = NOT_ENFORCED.get(row.level)
    return replace(row, status="not enforced", message=why) if why and row.status == "pass" else row


def preview_checks(result: PreviewResult, levels: Mapping[str, str]) -> list[Row]:
    """One row per (policy, resource) the pack checked, without citations yet. A resource-scoped policy checked
    every resource of the types its `type:` tags name; a stack-scoped one every resource of its `subject:` types
    (one row for the stack when it names none, or the stack has none of them); what it reported nothing for
    passed (a pass the pack remediated says so). A policy the config runs below mandatory passes nothing: its rows
    are `not enforced` (a disabled one checked nothing; an advisory one's findings would not fail the stack)."""
    resources = result.synth.resources if result.synth is not None else []
    types = {r["urn"]: r["type"] for r in resources}
    by_policy: dict[str, list[Diagnostic]] = {}
    for d in result.diagnostics:
        by_policy.setdefault(d.policyName, []).append(d)
    known = {p["name"]: p for p in result.policies}
    # a remediating policy rewrote these inputs before it checked them: a pass that says so
    remediated = {(r["policyName"], r["urn"]): r["description"] for r in result.remediations}
    rows: list[Row] = []

    def check_id() -> str:
        return f"preview:{len(rows) + 1:04d}"

    for name in sorted(set(known) | set(by_policy)):
        policy = known.get(name)
        found = by_policy.get(name, [])
        level = levels.get(name, "advisory")
        scope = tags(policy, "scope:") if policy is not None else []
        # the resources the policy decided about one by one: a resource policy's types; a stack policy's
        # subjects (each bucket, each trail...); none for a stack policy that judges the stack as a whole
        checked = set(tags(policy or {}, "type:" if "resource" in scope else "subject:"))
        subjects = [res for res in resources if res["type"] in checked]
        for res in subjects:
            mine = [d for d in found if d.urn == res["urn"]]
            if not mine:
                row = _pass(check_id(), policy or {}, level, res["urn"], res["type"])
                fixed = remediated.get((name, res["urn"]))
                rows.append(replace(row, message=f"remediated by the pack: {fixed}") if fixed else row)
                rows[-1] = _unenforced(rows[-1])
            for d in mine:
                rows.append(_finding(check_id(), d, res["type"], policy))
        found = [d for d in found if types.get(d.urn) not in checked]
        if "stack" in scope and not subjects and not found and policy is not None:
            rows.append(_unenforced(_pass(check_id(), policy, level, STACK_ROW, "")))
        for d in found:
            rows.append(_finding(check_id(), d, types.get(d.urn, ""), policy))
    return rows


def with_citations(
    checks: Iterable[Row], citations_of: Mapping[str, tuple[str, ...]], names: Mapping[str, str]
) -> list[Row]:
    """Each check once per citation of its control (`citations_of`: control id -> citations); a control with
    none gives one row with an empty citation."""
    out = []
    for row in checks:
        for citation in citations_of.get(row.control, ()) or ("",):
            out.append(replace(row, citation=citation, safeguard=names.get(citation, "")))
    return out


def count(rows: Iterable[Row]) -> dict[str, int]:
    """Rows by status, every status present (zero when none), and their total."""
    out = dict.fromkeys(STATUSES, 0)
    for row in rows:
        out[row.status] += 1
    out["total"] = sum(out[s] for s in STATUSES)
    return out


def distinct(rows: Iterable[Row]) -> list[Row]:
    """One row per check (its first citation's row)."""
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row.check, row)
    return list(seen.values())
