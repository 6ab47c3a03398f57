"""SARIF 2.1.0 for GitHub code scanning: one rule per control (help, citations, a link to its line in RULES.md),
one result per finding at the stack-file line that made the resource, exemptions as suppressions."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .preview import Diagnostic, PreviewResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "enclave preview"
SRCROOT = "%SRCROOT%"
LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}
# GitHub code scanning ranks alerts by `security-severity` (critical >= 9.0, high >= 7.0, medium >= 4.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
FINGERPRINT = "enclaveFinding/v1"
GITHUB_VARS = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")


def source_root(env: Mapping[str, str] | None = None) -> Path:
    """What result paths are relative to: the checkout in GitHub Actions (GITHUB_WORKSPACE), else the working
    directory (run `enclave` from the repository root)."""
    env = os.environ if env is None else env
    return Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()


def heading_lines(rules_md: Path) -> dict[str, int]:
    """Line number of each control's `### <a id="anchor"></a>ID: title` heading in a pack's RULES.md, by anchor."""
    out: dict[str, int] = {}
    if not rules_md.is_file():
        return out
    for number, line in enumerate(rules_md.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r'^#{2,6} <a id="([^"]+)"></a>', line)
        if match:
            out.setdefault(match[1], number)
    return out


def rules_uri(rules_md: Path, line: int | None, rules_url: str | None, env: Mapping[str, str]) -> str:
    """An absolute URI of RULES.md at `line`: under `rules_url` when given; in GitHub Actions, the file at the
    commit under test (`?plain=1`, since GitHub renders Markdown and only its source view has line anchors);
    else the file itself (file://)."""
    anchor = f"#L{line}" if line else ""
    if rules_url:
        return f"{rules_url.split('#', 1)[0]}{anchor}"
    root = source_root(env)
    path = rules_md.resolve()
    if all(env.get(k) for k in GITHUB_VARS) and path.is_relative_to(root):
        server, repo, sha = (env[k].rstrip("/") for k in GITHUB_VARS)
        relative = quote(path.relative_to(root).as_posix())
        return f"{server}/{repo}/blob/{sha}/{relative}{'?plain=1' if line else ''}{anchor}"
    return f"{path.as_uri()}{anchor}"


def _severity(policy: Mapping[str, Any]) -> str:
    return str(policy.get("severity", "")).removeprefix("POLICY_SEVERITY_").lower().replace("unspecified", "")


def _rules(result: PreviewResult, rules_url: str | None, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """One rule per control, from the pack's policy metadata (its `control:` tag); a control checked by several
    policies lists them all."""
    by_control: dict[str, list[Mapping[str, Any]]] = {}
    for policy in result.policies:
        control = next((t.split(":", 1)[1] for t in policy.get("tags", []) if t.startswith("control:")), None)
        if control is not None:
            by_control.setdefault(control, []).append(policy)
    rules_md = (result.pack_dir or Path("policy_packs/hipaa")) / "RULES.md"
    lines = heading_lines(rules_md.resolve())
    rules = []
    for control in sorted(by_control):
        policies = by_control[control]
        first = policies[0]
        title = str(first.get("displayName", control)).split(": ", 1)[-1]
        citations = [c.strip() for c in first.get("framework", {}).get("specification", "").split(",") if c.strip()]
        cited = ", ".join(f"45 CFR {c}" for c in citations)
        severity = _severity(first)
        fix = str(first.get("remediationSteps", ""))
        names = [str(p["name"]) for p in policies]
        anchor = str(first.get("url", "")).rpartition("#")[2]
        help_uri = rules_uri(rules_md, lines.get(anchor), rules_url, env)
        checks = " ".join(f"{p['name']}: {p.get('description', '')}." for p in policies)
        rule: dict[str, Any] = {
            "id": control,
            "name": "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", names[0]) if w),
            "shortDescription": {"text": f"{control}: {title}"},
            "fullDescription": {"text": f"{title} (HIPAA {cited}). {checks}"},
            "help": {
                "text": f"{control}: {title}\nHIPAA: {cited}\nSeverity: {severity}\nFix: {fix}\n"
                f"Policies: {', '.join(names)}\nRULES.md: {help_uri}",
                "markdown": f"**{control}: {title}**\n\nHIPAA: {cited}  \nSeverity: {severity}\n\n**Fix:** {fix}\n\n"
                f"Policies: {', '.join(f'`{n}`' for n in names)}. See [RULES.md]({help_uri}).",
            },
            "helpUri": help_uri,
            "defaultConfiguration": {"level": LEVEL.get(str(first.get("enforcementLevel", "")).lower(), "error")},
            "properties": {
                "citations": citations,
                "severity": severity,
                "policies": names,
                "tags": ["security", "HIPAA", control, *(t for t in first.get("tags", []) if t.startswith("family:"))],
            },
        }
        if severity in SECURITY_SEVERITY:
            rule["properties"]["security-severity"] = SECURITY_SEVERITY[severity]
        rules.append(rule)
    return rules


def _artifact(path: Path, root: Path) -> dict[str, Any]:
    """A file relative to %SRCROOT% when under it (code scanning shows it in the repository), else its URI."""
    resolved = path.resolve()
    if resolved.is_relative_to(root):
        return {"uri": quote(resolved.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    return {"uri": resolved.as_uri()}


def _location(d: Diagnostic, result: PreviewResult, root: Path) -> dict[str, Any]:
    """The stack-file line of the config entry that made the resource (the pack config's entry for a finding
    about the pack config itself); without one (a resource the program adds outside the config, a stack that is
    not a platform stack), the program's line that made it, else the project's program."""
    if d.config.get("kind") == "pack config" and result.pack_config_file is not None:
        return {
            "artifactLocation": _artifact(result.pack_config_file, root),
            "region": {"startLine": int(d.config.get("line") or 1)},
        }
    if d.config.get("line") and result.stack_file is not None:
        return {
            "artifactLocation": _artifact(result.stack_file, root),
            "region": {"startLine": int(d.config["line"])},
        }
    if d.source.get("line"):
        return {
            "artifactLocation": _artifact(Path(d.source["file"]), root),
            "region": {"startLine": int(d.source["line"])},
        }
    program = result.program or Path("__main__.py")
    return {"artifactLocation": _artifact(program, root), "region": {"startLine": 1}}


def fingerprint(control: str, urn: str) -> str:
    """Stable across runs for one control on one resource, so code scanning tracks the alert, not the line."""
    return hashlib.sha256(f"{control}\0{urn}".encode()).hexdigest()[:32]


def _result(d: Diagnostic, index: Mapping[str, int], result: PreviewResult, root: Path) -> dict[str, Any]:
    name = d.urn.rsplit("::", 1)[-1] if d.urn else result.stack
    out: dict[str, Any] = {
        "ruleId": d.control,
        "level": LEVEL.get(d.enforcementLevel, "warning"),
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": _location(d, result, root),
                "logicalLocations": [{"name": name, "fullyQualifiedName": d.urn or result.stack, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(d.control, d.urn)},
        "properties": {
            "policyName": d.policyName,
            "citations": d.citations,
            "severity": d.severity,
            "enforcementLevel": d.enforcementLevel,
            "unverifiable": d.unverifiable,
            "urn": d.urn,
            "configPath": d.config.get("path", ""),
        },
    }
    if d.control in index:
        out["ruleIndex"] = index[d.control]
    if d.exempted:
        exemption = d.exemption or {}
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": exemption.get("reason") or d.message.split("\n", 1)[0],
                "properties": {"owner": exemption.get("owner", ""), "expires": exemption.get("expires", "")},
            }
        ]
    return out


def to_sarif(
    result: PreviewResult,
    *,
    root: Path | None = None,
    rules_url: str | None = None,
    env: Mapping[str, str] | None = None,
    version: str = "",
) -> dict[str, Any]:
    """The preview as a SARIF log with one run; paths relative to `root` (default: source_root())."""
    env = dict(os.environ) if env is None else env
    root = (root or source_root(env)).resolve()
    rules = _rules(result, rules_url, env)
    index = {r["id"]: i for i, r in enumerate(rules)}
    driver: dict[str, Any] = {"name": TOOL, "rules": rules}
    if version:
        driver["version"] = version
    # A policy the config runs below mandatory has not passed: say so where code scanning shows tool notices.
    notices = [
        {
            "level": "warning",
            "message": {"text": f"{b['control']} ({b['policy']}) is {b['level']} in this pack config: not enforced"},
            "descriptor": {"id": "not-enforced"},
            "associatedRule": {"id": b["control"], **({"index": index[b["control"]]} if b["control"] in index else {})},
        }
        for b in result.not_enforced()
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"enclave-preview/{result.stack}/"},
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
                "results": [_result(d, index, result, root) for d in result.diagnostics],
                "invocations": [{"executionSuccessful": True, "toolConfigurationNotifications": notices}],
                "properties": {
                    "stack": result.stack,
                    "pack": result.pack,
                    "packConfig": result.pack_config,
                    "summary": result.summary(),
                    "notEnforced": result.not_enforced(),
                    # invokes answered with placeholders / from --invokes: token -> calls
                    "invokes": result.invokes(),
                    # components of other packages, whose resources only their provider makes: type -> count
                    "remoteComponents": dict(result.synth.remote_components) if result.synth else {},
                },
            }
        ],
    }
