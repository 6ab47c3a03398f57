"""`enclave report` end to end: check the inputs, preview the stack, read its zones from the rendered
NetworkPolicies, cross-check them, merge the audit, and build the Report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from components.config import CONFIG_KEY, PlatformConfig, read_stack_file, validate_stack_file

from ..outputs import check_folder
from ..pack_catalog import load_catalog
from ..preview import default_pack, run_preview
from ..project import find_project
from ..render import RenderError, collect
from ..synth import synth
from .audit import load_audit
from .crosscheck import cross_check
from .facts import generated_at, git_commit, sha256_of
from .model import Report, build
from .zones import zone_graph


class ReportInputError(Exception):
    """--out cannot be written to (exit status 2, nothing written)."""


def check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ReportInputError(f"--out {out}: exists and is not a folder; give a folder for index.html")
    check_folder(out, "--out")


def stack_account(path: Path) -> str | None:
    """The stack's `account_id` (None when it names none, or the file is not a platform stack)."""
    platform = read_stack_file(path).config.get(CONFIG_KEY)
    account = platform.get("account_id") if isinstance(platform, dict) else None
    return str(account) if isinstance(account, str | int) and not isinstance(account, bool) else None


def evidence_report(
    stack: str,
    *,
    out: Path,
    audit: Path | None = None,
    preview: bool = False,
    project_dir: Path | None = None,
    config_file: Path | None = None,
    pack_dir: Path | None = None,
    pack_config: Path | None = None,
    references: Mapping[str, Path] | None = None,
    nca: Path | None = None,
) -> Report:
    """Everything that can be refused (the out folder, the project, the pack's catalog, the audit file, the
    stack and pack config) is checked before anything is written."""
    check_out(out)
    project = find_project(project_dir)
    pack = (pack_dir or default_pack(project.root)).resolve()
    catalog = load_catalog(pack)
    account = stack_account(project.stack_file(stack, config_file))
    audit_data = load_audit(audit, catalog.CONTROLS, stack, account) if audit is not None else None
    result = run_preview(
        stack, preview=preview, project_dir=project_dir, config_file=config_file, pack_dir=pack,
        pack_config=pack_config, references=references,
    )  # fmt: skip
    assert result.synth is not None
    try:
        objects = collect(result.synth).all_objects()
    except RenderError:  # a first preview leaves ids unknown: the zones come from the update-mode objects
        updated = synth(stack, preview=False, project_dir=project_dir, config_file=config_file, references=references)
        objects = collect(updated).all_objects()
    stack_path = project.stack_file(stack, config_file)
    parsed = read_stack_file(stack_path)
    cfg: PlatformConfig | None = (
        validate_stack_file(parsed, project.display(stack_path)) if CONFIG_KEY in parsed.config else None
    )
    used_config = Path(result.pack_config) if result.pack_config else None
    facts = {
        "stack": stack,
        "project": result.project,
        "commit": git_commit(project.root),
        "pack": result.pack,
        "packConfig": result.pack_config,
        "packConfigSha256": sha256_of(used_config),
        "preview": result.preview,
        "resources": result.resources,
        "policies": len(result.policies),
        "generated": generated_at(),
        "audit": str(audit) if audit is not None else None,
    }
    if audit is not None and account is None:
        # nothing to check the audit's account against: say so on the front page, never silently
        facts["auditAccountUnchecked"] = (
            f"stack {stack} names no account_id, so the audit's account could not be checked to be this stack's"
        )
    return build(result, catalog, facts, zone_graph(objects), cross_check(cfg, objects, nca), audit_data)
