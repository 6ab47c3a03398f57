"""SARIF 2.1.0 for code scanning: one rule per control, one result per finding, exemptions as suppressions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .preview import Diagnostic, PreviewResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "enclave preview"
LEVEL = {"mandatory": "error", "advisory": "warning", "remediate": "error", "disabled": "none"}


def _rules(result: PreviewResult) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for policy in result.policies:
        tags = policy.get("tags", [])
        control = next((t.split(":", 1)[1] for t in tags if t.startswith("control:")), None)
        if control is None or control in seen:
            continue
        title = str(policy.get("displayName", control)).split(": ", 1)[-1]
        citations = [c.strip() for c in policy.get("framework", {}).get("specification", "").split(",") if c.strip()]
        rule: dict[str, Any] = {
            "id": control,
            "name": "".join(w.capitalize() for w in control.replace("-", " ").split()),
            "shortDescription": {"text": title},
            "fullDescription": {"text": f"{title} ({', '.join(f'45 CFR {c}' for c in citations)})"},
            "help": {"text": policy.get("remediationSteps", "")},
            "properties": {
                "citations": citations,
                "severity": policy.get("severity", ""),
                "tags": ["HIPAA", *tags],
                "rulesFile": policy.get("url", ""),
            },
        }
        if str(policy.get("url", "")).startswith(("https://", "http://")):
            rule["helpUri"] = policy["url"]
        seen[control] = rule
    return [seen[k] for k in sorted(seen)]


def _physical(d: Diagnostic, artifact: str) -> dict[str, Any]:
    """The stack-file line of the config entry that made the resource (the file alone when unknown)."""
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact}}
    if d.config.get("line"):
        location["region"] = {"startLine": int(d.config["line"])}
    return location


def _result(d: Diagnostic, index: dict[str, int], artifact: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": d.control,
        "ruleIndex": index.get(d.control, -1),
        "level": "note"
        if d.unverifiable and d.enforcementLevel != "mandatory"
        else LEVEL.get(d.enforcementLevel, "warning"),
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": _physical(d, artifact),
                "logicalLocations": [{"fullyQualifiedName": d.urn or "(stack)", "kind": "resource"}],
            }
        ],
        "properties": {
            "policyName": d.policyName,
            "citations": d.citations,
            "enforcementLevel": d.enforcementLevel,
            "unverifiable": d.unverifiable,
            "configPath": d.config.get("path", ""),
        },
    }
    if d.exempted:
        out["suppressions"] = [{"kind": "external", "justification": d.message.split("\n", 1)[0]}]
    return out


def to_sarif(result: PreviewResult, stack_file: Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """The preview as a SARIF log; locations point at the stack file (relative to `root` when under it)."""
    artifact = f"stacks/Pulumi.{result.stack}.yaml"
    if stack_file is not None:
        path = stack_file.resolve()
        artifact = (
            str(path.relative_to(root.resolve())) if root and path.is_relative_to(root.resolve()) else path.as_uri()
        )
    rules = _rules(result)
    index = {r["id"]: i for i, r in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "rules": rules}},
                "results": [_result(d, index, artifact) for d in result.diagnostics],
                "properties": {"stack": result.stack, "pack": result.pack, "summary": result.summary()},
            }
        ],
    }
