"""`enclave preview`: a stack's resources through a policy pack, over the engine's own protocol.

The pack runs as the engine runs it (`python -m pulumi.policy <engine> <pack-dir>`, started while the stack
is synthesized); this module then plays the engine's part of the Analyzer service: GetAnalyzerInfo, Configure
with the pack config (the `--policy-pack-config` file format, validated against each policy's schema as the
CLI does), ConfigureStack, Remediate and Analyze per resource, AnalyzeStack once, with the engine's property
encoding (unknown and secret sentinels), parents, dependencies and property dependencies.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from components.config import CONFIG_KEY, read_stack_file, validate_stack_file
from components.config.rollout import pack_stages

from . import interrupt
from .invokes import RecordedInvokes
from .jsonfile import JsonFileError, Loc, read_json_lines
from .locate import Locator
from .placeholders import probe_views
from .project import find_project
from .synth import PROJECT_ROOT, SynthResult, synth

PACK_DIR = PROJECT_ROOT / "policy_packs" / "hipaa"
# pulumirpc.EnforcementLevel, read from the proto (ADVISORY 0, MANDATORY 1, DISABLED 2, REMEDIATE 3).
LEVELS = {number: name.lower() for name, number in analyzer_pb2.EnforcementLevel.items()}
LEVEL_CODES = {v: k for k, v in LEVELS.items()}
SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}
EXEMPTED_MARK = "EXEMPTED until "
# The pack's first line of an exempted finding: `EXEMPTED until 2027-01-31 (owner platform-security): reason`.
EXEMPTED_LINE = re.compile(r"^EXEMPTED until (?P<expires>\S+) \(owner (?P<owner>.*?)\): (?P<reason>.*)$")
UNVERIFIABLE_MARK = "UNVERIFIABLE at preview: "
STARTUP_SECONDS = 60


class PreviewInputError(Exception):
    """The pack or its config cannot be used (exit status 2): the message says which file and what to fix."""


@dataclass
class Diagnostic:
    policyName: str
    control: str
    title: str
    citations: list[str]
    severity: str
    urn: str
    message: str
    enforcementLevel: str
    exempted: bool = False
    unverifiable: bool = False
    remediation: str = ""
    # the stack-file entry that made the resource: {"file", "line", "path"}
    config: dict[str, Any] = field(default_factory=dict)
    # an exempted finding's exemption: {"expires", "owner", "reason"} (None when not exempted)
    exemption: dict[str, str] | None = None
    # the program's line that made the resource: {"file", "line"} (empty when not known)
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class PreviewResult:
    stack: str
    project: str
    preview: bool
    pack: str
    pack_config: str | None
    resources: int
    policies: list[dict[str, Any]]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    remediations: list[dict[str, str]] = field(default_factory=list)
    synth: SynthResult | None = None
    # where the findings point (SARIF locations, RULES.md links); not part of the JSON report
    stack_file: Path | None = None
    program: Path | None = None
    pack_dir: Path | None = None
    # every policy's enforcement level as the pack config resolved it (what the pack was configured with)
    levels: dict[str, str] = field(default_factory=dict)
    # why this pack config (or none) was used: "named" (--pack-config), "project" (<pack>/config/<stack>.json
    # inside the project), or "none"
    pack_config_origin: str = "none"
    pack_config_file: Path | None = None

    @property
    def violations(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.unverifiable]

    @property
    def unverifiable(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.unverifiable]

    @property
    def blocking(self) -> list[Diagnostic]:
        """What fails the preview: mandatory findings, unverifiable ones at a mandatory level included."""
        return [d for d in self.diagnostics if d.enforcementLevel == "mandatory" and not d.exempted]

    def not_enforced(self) -> list[dict[str, str]]:
        """Every policy the pack config runs below mandatory (advisory-only or disabled): a control nobody
        enforces has not passed, so every output lists them."""
        controls = {
            str(p.get("name")): next((t.split(":", 1)[1] for t in p.get("tags", []) if t.startswith("control:")), "")
            for p in self.policies
        }
        return [
            {"policy": name, "control": controls.get(name, ""), "level": level}
            for name, level in sorted(self.levels.items())
            if level in ("advisory", "disabled")
        ]

    def summary(self) -> dict[str, int]:
        live = [d for d in self.violations if not d.exempted]
        below = self.not_enforced()
        return {
            "resources": self.resources,
            "policies": len(self.policies),
            "disabledPolicies": sum(1 for b in below if b["level"] == "disabled"),
            "advisoryPolicies": sum(1 for b in below if b["level"] == "advisory"),
            "mandatory": sum(1 for d in live if d.enforcementLevel == "mandatory"),
            "advisory": sum(1 for d in live if d.enforcementLevel == "advisory"),
            "exempted": sum(1 for d in self.diagnostics if d.exempted),
            "unverifiable": len(self.unverifiable),
            "unverifiableMandatory": sum(1 for d in self.unverifiable if d.enforcementLevel == "mandatory"),
            "remediated": len(self.remediations),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "preview": self.preview,
            "pack": self.pack,
            "packConfig": self.pack_config,
            "packConfigOrigin": self.pack_config_origin,
            "notEnforced": self.not_enforced(),
            "diagnostics": [_public(d) for d in self.violations],
            "unverifiable": [_public(d) for d in self.unverifiable],
            "remediations": self.remediations,
            "summary": self.summary(),
            "invokes": self.invokes(),
            "remoteComponents": dict(self.synth.remote_components) if self.synth else {},
        }

    def invokes(self) -> dict[str, dict[str, int]]:
        """Invokes answered with placeholders and from the --invokes file: token -> calls."""
        s = self.synth
        return {
            "placeholders": dict(s.placeholder_invokes) if s else {},
            "recorded": dict(s.recorded_invokes) if s else {},
        }


def _public(d: Diagnostic) -> dict[str, Any]:
    out = asdict(d)
    out.pop("unverifiable")
    return out


# ----- the pack process --------------------------------------------------------------------------------------
@contextmanager
def pack_process(pack_dir: Path, python: str = sys.executable) -> Iterator[subprocess.Popen[bytes]]:
    """The pack, started as the engine starts it; yields once it is launched (the port is read later)."""
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise PreviewInputError(f"--pack {pack_dir}: not a policy pack (no PulumiPolicy.yaml there)")
    proc = subprocess.Popen(
        [python, "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
        cwd=str(pack_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # its own session: a terminal's Ctrl-C reaches enclave, which stops the pack itself (enclave.interrupt)
        start_new_session=True,
    )
    interrupt.track_child(proc)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        interrupt.untrack_child(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def read_port(proc: subprocess.Popen[bytes]) -> int:
    """The port the pack prints on its first line (it then serves until killed)."""
    assert proc.stdout is not None
    line: list[bytes] = []

    def read() -> None:
        line.append(proc.stdout.readline() if proc.stdout else b"")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(STARTUP_SECONDS)
    text = line[0].decode(errors="replace").strip() if line else ""
    if not text.isdigit():
        proc.kill()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise PreviewInputError(f"the policy pack did not start (no port on its first line): {err[-1500:] or text}")
    return int(text)


# ----- pack config (the --policy-pack-config format) ---------------------------------------------------------
def read_pack_config(path: Path) -> dict[str, Any]:
    return read_pack_config_lines(path)[0]


def read_pack_config_lines(path: Path) -> tuple[dict[str, Any], dict[Loc, int]]:
    """The pack config and the line of each of its keys and list items (for messages that name the entry)."""
    try:
        data, lines = read_json_lines(path)
    except JsonFileError as exc:
        raise PreviewInputError(f"--pack-config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise PreviewInputError(f"--pack-config {path}: must be a JSON object of policy names")
    return data, lines


def _at(source: str, lines: Mapping[Loc, int] | None, loc: Loc) -> str:
    """`file:line` of the deepest part of `loc` the pack config has a line for."""
    probe = tuple(loc)
    while probe and probe not in (lines or {}):
        probe = probe[:-1]
    line = (lines or {}).get(probe)
    return f"{source}:{line}" if line else source


def _dotted(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def policy_configs(
    info: Any, given: Mapping[str, Any], source: str, lines: Mapping[Loc, int] | None = None
) -> dict[str, analyzer_pb2.PolicyConfig]:
    """Every policy's level and properties, as the CLI resolves them: the policy's entry (a level string or an
    object with `enforcementLevel` and properties), else `all`, else the policy's default; properties validated
    against the policy's configSchema, with the schema's defaults filled in. Messages name the file and line."""
    policies = {p.name: p for p in info.policies}
    unknown = sorted(k for k in given if k != "all" and k not in policies)
    if unknown:
        raise PreviewInputError(
            f"{_at(source, lines, (unknown[0],))}: no policy named {', '.join(unknown)} in pack {info.name}; "
            "see RULES.md"
        )
    default_level = _level(given.get("all"), _at(source, lines, ("all",)), "all") if "all" in given else None
    out: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, policy in policies.items():
        entry = given.get(name, {})
        props: dict[str, Any] = {}
        level = default_level or LEVELS[policy.enforcementLevel]
        if isinstance(entry, str):
            level = _level(entry, _at(source, lines, (name,)), name)
        elif isinstance(entry, dict):
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            if "enforcementLevel" in entry:
                level = _level(entry["enforcementLevel"], _at(source, lines, (name, "enforcementLevel")),
                               f"{name}.enforcementLevel")  # fmt: skip
        else:
            raise PreviewInputError(
                f"{_at(source, lines, (name,))}: {name} must be a level or an object, got {type(entry).__name__}"
            )
        schema = json_format.MessageToDict(policy.configSchema) if policy.HasField("configSchema") else {}
        properties = schema.get("properties", {})
        for key, value in props.items():
            if key not in properties:
                raise PreviewInputError(
                    f"{_at(source, lines, (name, key))}: {name}.{key} is not a setting of this policy; its settings: "
                    f"{', '.join(sorted(properties))}"
                )
            try:
                jsonschema.validate(value, properties[key])
            except jsonschema.ValidationError as exc:
                inner = tuple(exc.absolute_path)
                where = _dotted((name, key, *inner))
                shown = repr(exc.instance) if len(repr(exc.instance)) <= 120 else repr(exc.instance)[:117] + "..."
                raise PreviewInputError(
                    f"{_at(source, lines, (name, key, *inner))}: {where} = {shown}: {exc.message}"
                ) from None
        filled = {k: v["default"] for k, v in properties.items() if "default" in v}
        filled.update(props)
        config = analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_CODES[level])  # type: ignore[arg-type]
        config.properties.update(filled)
        out[name] = config
    return out


def pack_config_for(stack: str, pack_dir: Path, project_root: Path, named: Path | None) -> tuple[Path | None, str]:
    """The pack config to use and why: the one named (--pack-config); else the pack's `config/<stack>.json` only
    when the pack lies inside the project (this repository's own stacks), never another project's config for a
    stack that shares its name; else none (every policy at its default level, mandatory)."""
    if named is not None:
        return named, "named"
    candidate = pack_dir / "config" / f"{stack}.json"
    if candidate.is_file() and candidate.resolve().is_relative_to(project_root.resolve()):
        return candidate, "project"
    return None, "none"


def _level(value: Any, source: str, where: str) -> str:
    if value not in LEVEL_CODES:
        raise PreviewInputError(f"{source}: {where} = {value!r}: one of {', '.join(LEVEL_CODES)}")
    return str(value)


# ----- the engine's side of the protocol ---------------------------------------------------------------------
def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(dict(value))
    return s


def _provider(records: Mapping[str, dict[str, Any]], ref: str) -> analyzer_pb2.AnalyzerProviderResource | None:
    urn = ref.rsplit("::", 1)[0] if ref else ""
    record = records.get(urn)
    if record is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=record["type"], properties=_struct(record["inputs"]), urn=urn, name=record["name"]
    )


def _request(record: dict[str, Any], inputs: Mapping[str, Any], provider: Any) -> analyzer_pb2.AnalyzeRequest:
    options = analyzer_pb2.AnalyzerResourceOptions(parent=record.get("parent") or "")
    request = analyzer_pb2.AnalyzeRequest(
        type=record["type"], properties=_struct(inputs), urn=record["urn"], name=record["name"], options=options
    )
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_resource(record: dict[str, Any], inputs: Mapping[str, Any], provider: Any) -> Any:
    resource = analyzer_pb2.AnalyzerResource(
        type=record["type"],
        properties=_struct(inputs),
        urn=record["urn"],
        name=record["name"],
        options=analyzer_pb2.AnalyzerResourceOptions(parent=record.get("parent") or ""),
        parent=record.get("parent") or "",
        dependencies=record.get("dependencies", []),
    )
    for key, urns in record.get("propertyDependencies", {}).items():
        resource.propertyDependencies[key].urns.extend(urns)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


def analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, result: SynthResult, configs: Mapping[str, Any]
) -> tuple[list[Any], list[dict[str, str]]]:
    """(diagnostics as (urn, AnalyzeDiagnostic), remediations applied) for every resource of `result`."""
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=dict(configs)))
    stub.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(stack=result.stack, project=result.project, dry_run=result.preview)
    )
    remediating = any(c.enforcementLevel == LEVEL_CODES["remediate"] for c in configs.values())
    records = {r["urn"]: r for r in result.resources}
    diagnostics: list[Any] = []
    remediations: list[dict[str, str]] = []
    inputs: dict[str, Mapping[str, Any]] = {}
    # Requests go out together and are answered in order of the resources (the pack serves them on its
    # worker threads), as the engine sends them while the program registers resources.
    providers = [_provider(records, r.get("provider", "")) for r in result.resources]
    fixes = (
        [stub.Remediate.future(_request(r, r["inputs"], p)) for r, p in zip(result.resources, providers, strict=True)]
        if remediating
        else []
    )
    for i, record in enumerate(result.resources):
        props: Mapping[str, Any] = record["inputs"]
        for remediation in fixes[i].result().remediations if fixes else []:
            if remediation.HasField("properties"):
                props = json_format.MessageToDict(remediation.properties)
                remediations.append({"policyName": remediation.policyName, "urn": record["urn"],
                                     "description": remediation.description})  # fmt: skip
        inputs[record["urn"]] = props
    pending = [
        stub.Analyze.future(_request(r, inputs[r["urn"]], p)) for r, p in zip(result.resources, providers, strict=True)
    ]
    for record, future in zip(result.resources, pending, strict=True):
        diagnostics += [(d.urn or record["urn"], d) for d in future.result().diagnostics]
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            _stack_resource(r, inputs[r["urn"]], _provider(records, r.get("provider", ""))) for r in result.resources
        ]
    )
    diagnostics += [(d.urn, d) for d in stub.AnalyzeStack(stack).diagnostics]
    return diagnostics, remediations


def _diagnostic(urn: str, d: Any, policy: Any) -> Diagnostic:
    tags = list(policy.tags) if policy is not None else []
    control = next((t.split(":", 1)[1] for t in tags if t.startswith("control:")), d.policyName)
    body = d.message.split("\n", 1)[1] if "\n" in d.message else d.message
    return Diagnostic(
        policyName=d.policyName,
        control=control,
        title=(policy.displayName.split(": ", 1)[-1] if policy is not None else d.description),
        citations=[c.strip() for c in policy.framework.specification.split(",")]
        if policy is not None and policy.framework.specification
        else [],
        severity=SEVERITIES.get(int(policy.severity), "") if policy is not None else "",
        urn=urn,
        message=body,
        enforcementLevel=LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)),
        exempted=body.startswith(EXEMPTED_MARK),
        exemption=_exemption(body),
        unverifiable=UNVERIFIABLE_MARK in body,
        remediation=policy.remediation_steps if policy is not None else "",
    )


def _exemption(body: str) -> dict[str, str] | None:
    match = EXEMPTED_LINE.match(body.split("\n", 1)[0])
    return match.groupdict() if match else None


EXEMPTIONS_POLICY = "exemptions"
_GATE_ENTRY = re.compile(r"exemptions\.(?P<list>entries|levelWaivers)\[(?P<index>\d+)\]")
_GATE_POLICY = re.compile(r"^policy (?P<policy>\S+) is \w+ in this pack config")


def _gate_location(message: str, shown: str, lines: Mapping[Loc, int]) -> dict[str, Any]:
    """Where a finding of the exemptions policy is fixed: the pack config's entry (exemptions.entries[i],
    exemptions.levelWaivers[i]) or the policy's own key (its level below minimumLevel), not the stack file."""
    entry = _GATE_ENTRY.search(message)
    policy = _GATE_POLICY.search(message.split("\n", 1)[-1])
    if entry:
        loc: Loc = ("exemptions", entry["list"], int(entry["index"]))
    elif policy:
        loc = (policy["policy"],) if (policy["policy"],) in lines else ("all",)
    else:
        loc = ("exemptions",)
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    return {"file": shown, "line": lines.get(probe), "path": _dotted(loc), "kind": "pack config"}


def _source(record: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """The record's source line, its file as the user would type it (relative to the working directory)."""
    source = record.get("source")
    if not source:
        return {}
    return {"file": _shown(root / source["file"]), "line": source["line"]}


PLACEHOLDER_NOTE = (
    "decided on an invoke answered with a placeholder ({paths} of this resource came from {tokens}); record the "
    "invoke's real answer with --invokes FILE"
)


def _placeholder_verdicts(
    diagnostics: list[Diagnostic], probed: list[list[Any]], result: SynthResult, policies: Mapping[str, Any],
    configs: Mapping[str, Any],
) -> list[Diagnostic]:  # fmt: skip
    """The findings once placeholders have been probed: a policy whose finding on a resource comes and goes with
    the placeholders' values decided on them, so its finding is UNVERIFIABLE (at the policy's unverifiableLevel;
    one the first run did not report is added, saying what another value gives)."""
    first = {(d.policyName, d.urn) for d in diagnostics}
    tokens = ", ".join(sorted(result.placeholder_invokes)) or "an invoke"
    records = result.by_urn()

    def note(urn: str) -> str:
        paths = sorted((records.get(urn) or {}).get("placeholders") or {})
        shown = ", ".join(paths[:4]) + (", ..." if len(paths) > 4 else "") if paths else "inputs of related resources"
        return PLACEHOLDER_NOTE.format(paths=shown, tokens=tokens)

    def level(name: str) -> str | None:
        config = configs.get(name)
        wanted = str(config.properties["unverifiableLevel"]) if config is not None and "unverifiableLevel" in (
            config.properties) else "mandatory"  # fmt: skip
        return None if wanted == "disabled" else wanted

    changed: dict[tuple[str, str], Any] = {}
    for run in probed:
        seen = {(d.policyName, urn or d.urn): d for urn, d in run}
        for key in (set(seen) ^ first) - changed.keys():
            if key[0] != "exemptions":
                changed[key] = seen.get(key)
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.policyName, d.urn)
        wanted = level(d.policyName) if key in changed else None
        if key in changed and not d.exempted and wanted is not None:
            d.unverifiable, d.enforcementLevel = True, wanted
            d.message = _with_note(d.message, d.control, note(d.urn))
        elif d.unverifiable and (records.get(d.urn) or {}).get("placeholders"):
            d.message = _with_note(d.message, d.control, note(d.urn))  # unknown because a placeholder was sent
        out.append(d)
    for (name, urn), probe in sorted(changed.items(), key=lambda kv: kv[0]):
        wanted = level(name)
        if (name, urn) in first or probe is None or wanted is None:
            continue
        made = _diagnostic(urn, probe, policies.get(name))
        lines = made.message.split("\n")
        at = _finding_line(lines, made.control)
        other = lines[at].removeprefix(UNVERIFIABLE_MARK)
        lines[at] = f"{UNVERIFIABLE_MARK}{note(urn)}; with other values it reports: {other}"
        made.message = "\n".join(lines)
        made.unverifiable, made.enforcementLevel, made.exempted, made.exemption = True, wanted, False, None
        out.append(made)
    return out


def _finding_line(lines: list[str], control: str) -> int:
    """Which line of a diagnostic's message is the finding (not the control's heading, not the fix)."""
    return next((i for i, x in enumerate(lines) if not x.startswith((f"{control} ", "Fix: "))), 0)


def _with_note(message: str, control: str, note: str) -> str:
    lines = message.split("\n")
    at = _finding_line(lines, control)
    finding = lines[at]
    if not finding.startswith(UNVERIFIABLE_MARK):
        finding = f"{UNVERIFIABLE_MARK}{finding}"
    lines[at] = f"{finding} ({note})"
    return "\n".join(lines)


def default_pack(project_root: Path) -> Path:
    """The HIPAA pack the project sits in or beside (policy_packs/hipaa in it or a folder above it), else the
    one of the checkout this engine runs from."""
    for folder in (project_root, *project_root.parents, PROJECT_ROOT):
        candidate = folder / "policy_packs" / "hipaa"
        if (candidate / "PulumiPolicy.yaml").is_file():
            return candidate
    raise PreviewInputError(
        f"no policy pack found in {project_root} or above it: pass --pack <the folder holding PulumiPolicy.yaml> "
        "(the HIPAA pack is policy_packs/hipaa of the gpu-enclave repository)"
    )


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it."""
    resolved = path.resolve()
    return str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) else str(path)


def check_stages(zones: Sequence[Any], given: Mapping[str, Any], shown: str) -> None:
    """The pack config carries the zones' adoption stages exactly as the stack config declares them (zones below
    enforce, their owners and expiries): a pack config that says otherwise would exempt what the stack enforces,
    or hold mandatory what its config staged."""
    gate = given.get("exemptions")
    found = gate.get("stages", []) if isinstance(gate, Mapping) else []
    wanted = pack_stages(zones)
    if found != wanted:
        raise PreviewInputError(
            f"{shown}: exemptions.stages does not match the stack config's zones[].rollout; set it to "
            f"{json.dumps(wanted)}"
        )


def run_preview(
    stack: str,
    *,
    preview: bool = False,
    project_dir: Path | None = None,
    config_file: Path | None = None,
    pack_dir: Path | None = None,
    pack_config: Path | None = None,
    references: Mapping[str, Path] | None = None,
    config_values: Mapping[str, str] | None = None,
    secret_values: Mapping[str, str] | None = None,
    invokes: RecordedInvokes | None = None,
) -> PreviewResult:
    """Synthesize `stack` and run it through the pack. The pack config defaults to `config/<stack>.json` in
    the pack (none when that file does not exist: every policy at its default level)."""
    # The project, the stack file and (on a platform stack) its config are checked before the pack starts:
    # bad input costs no process and is reported the way every command reports it.
    project = find_project(project_dir)
    stack_path = project.stack_file(stack, config_file)
    parsed = read_stack_file(stack_path)
    cfg = validate_stack_file(parsed, project.display(stack_path)) if CONFIG_KEY in parsed.config else None
    pack_dir = (pack_dir or default_pack(project.root)).resolve()
    pack_config, origin = pack_config_for(stack, pack_dir, project.root, pack_config)
    given, config_lines = read_pack_config_lines(pack_config) if pack_config is not None else ({}, {})
    if cfg is not None:
        check_stages(cfg.zones, given, _shown(pack_config) if pack_config else "(no pack config)")
    with pack_process(pack_dir) as proc:
        result = synth(
            stack, preview=preview, project_dir=project_dir, config_file=config_file, references=references,
            config_values=config_values, secret_values=secret_values, invokes=invokes,
        )  # fmt: skip
        port = read_port(proc)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty())
            configs = policy_configs(info, given, _shown(pack_config) if pack_config else "(no pack config)",
                                     config_lines)  # fmt: skip
            # Inputs that hold an invoke's placeholder go to the pack as unknown; then, for the policies whose
            # verdict changes when they hold other values, the finding is UNVERIFIABLE (enclave.placeholders).
            view, probes = probe_views(result)
            raw, remediations = analyze(stub, view, configs)
            probed = [analyze(stub, probe, configs)[0] for probe in probes]
    policies = {p.name: p for p in info.policies}
    diagnostics = [_diagnostic(urn, d, policies.get(d.policyName)) for urn, d in raw]
    if probed:
        diagnostics = _placeholder_verdicts(diagnostics, probed, result, policies, configs)
    locator = Locator(stack_path, result.resources, Path.cwd())
    records = result.by_urn()
    redact = result.redactor()
    for d in diagnostics:
        d.message = redact.text(d.message)
        record = records.get(d.urn)
        d.source = _source(record, project.root) if record is not None else {}
        if d.policyName == EXEMPTIONS_POLICY and pack_config is not None:
            d.config = _gate_location(d.message, _shown(pack_config), config_lines)
            continue
        if d.source and not locator.from_config(d.urn):
            d.config = {}  # made by the program's line, not by a stack-file entry
            continue
        where = locator.locate(d.urn, d.policyName)
        d.config = {"file": where.file, "line": where.line, "path": where.path}
    diagnostics.sort(key=lambda d: (d.control, d.urn, d.message))
    return PreviewResult(
        stack=stack,
        project=result.project,
        preview=preview,
        pack=f"{info.name}@{info.version}",
        pack_config=_shown(pack_config) if pack_config else None,
        pack_config_origin=origin,
        pack_config_file=pack_config.resolve() if pack_config else None,
        resources=len(result.resources),
        policies=[json_format.MessageToDict(p) for p in info.policies],
        diagnostics=diagnostics,
        remediations=remediations,
        synth=result,
        stack_file=stack_path.resolve(),
        program=project.main,
        pack_dir=pack_dir,
        levels={name: LEVELS[config.enforcementLevel] for name, config in configs.items()},
    )
