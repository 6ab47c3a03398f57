"""`enclave` command line: synthesize, render, preview against the policy pack, check reachability, list
add-on images, offline; and audit a live AWS account against the same controls (read-only)."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import sys
import tempfile
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from components.config import CONFIG_KEY, ConfigError, PlatformConfig, read_stack_file, validate_stack_file
from components.k8s import secrets_store
from components.k8s.images import addon_image_refs, mirror_copies

from . import interrupt
from .audit.calls import policy_text
from .audit.model import WORKERS
from .diff import diff
from .evidence.audit import AuditInputError
from .evidence.files import write_report
from .evidence.run import ReportInputError, evidence_report
from .invokes import read_invokes
from .outputs import OutputError, check_file, check_folder, write_files, write_text
from .pack_catalog import PackCatalogError
from .preview import PreviewInputError, PreviewResult, default_pack, pack_config_for, read_pack_config, run_preview
from .project import ProjectError, find_project
from .reach import access_paths, analyze, default_nca, expected_connectivity
from .references import parse_reference_options
from .render import RenderError, check_out_dir, collect, write
from .report import print_lines, print_table, verdict_line
from .sarif import to_sarif
from .schema import stack_file_schema
from .summary import ReportError, markdown, read_report
from .synth import synth

app = typer.Typer(
    no_args_is_help=True,
    help="GPU Enclave offline engine: run the Pulumi program under mocks, no cloud account needed.",
)
# markup off: config values are user input and may contain [brackets] or escape sequences.
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

EXIT_CONFIG = 2

StackOpt = Annotated[
    str, typer.Option("--stack", "-s", help="Stack name: Pulumi.<NAME>.yaml in the project's stackConfigDir.")
]
PreviewOpt = Annotated[
    bool, typer.Option("--preview", metavar="", help="First-preview mode: ids, ARNs and endpoints are unknown.")
]
ReferenceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        metavar="NAME=PATH",
        help="Answer StackReference NAME from PATH: a project folder (its stack named by NAME's last part is "
        "synthesized) or a JSON file of outputs. Default: the nearest project of that name above this one.",
    ),
]
PackOpt = Annotated[
    Path | None,
    typer.Option("--pack", help="Policy pack directory (default: policy_packs/hipaa in or above the project)."),
]
PackConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--pack-config",
        help="Policy pack config (the --policy-pack-config format); default: <pack>/config/<NAME>.json.",
    ),
]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project-dir", help="The Pulumi project (default: the nearest folder upwards holding Pulumi.yaml)."),
]
ConfigOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--config",
        "-c",
        metavar="KEY=VALUE",
        help="Set a config value for this run, as `pulumi config set KEY VALUE` would (KEY without a namespace is "
        "the project's), over the stack file's. Repeatable.",
    ),
]
ConfigSecretOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--config-secret",
        metavar="KEY=VALUE",
        help="As --config, as a secret (`pulumi config set --secret`): the program reads it with get_secret / "
        "require_secret, and its value is written nowhere.",
    ),
]
InvokesOpt = Annotated[
    Path | None,
    typer.Option(
        "--invokes",
        metavar="FILE",
        help="Real answers to the program's invokes (JSON: token -> [{args, result}]), used instead of "
        "placeholders; see `enclave preview --help`.",
    ),
]


def _version() -> str:
    try:
        return metadata.version("gpu-enclave")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        sdks = ", ".join(f"{name} {metadata.version(name)}" for name in ("pulumi", "pulumi-aws", "pulumi-policy"))
        typer.echo(f"enclave {_version()} (gpu-enclave; {sdks})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", metavar="", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """GPU Enclave offline engine: run the Pulumi program under mocks, no cloud account needed."""


def _fail_config(exc: Exception) -> typer.Exit:
    err.print(str(exc))
    return typer.Exit(EXIT_CONFIG)


F = TypeVar("F", bound=Any)


def _guarded(fn: F) -> F:
    """A command whose output cannot be written ends in one line naming the path and the reason, exit 2 (exit
    1 is for findings), never a traceback."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OutputError as exc:
            raise _fail_config(exc) from None
        except OSError as exc:  # a file the command reads or writes failed underneath: say which and why
            where = exc.filename or "(a file)"
            raise _fail_config(Exception(f"{where}: {exc.strerror or exc}")) from None

    return run  # type: ignore[return-value]


def _console_text(print_to: Any) -> str:
    """What a rich table printer writes, as text (written to a file in one piece afterwards)."""
    buffer = io.StringIO()
    print_to(Console(file=buffer, markup=False, highlight=False, width=160))
    return buffer.getvalue()


ConfigFileOpt = Annotated[
    Path | None,
    typer.Option("--config-file", help="Read the stack config from this file instead of Pulumi.<NAME>.yaml."),
]


def _config_options(values: list[str] | None, option: str) -> dict[str, str]:
    """`KEY=VALUE` options -> {KEY: VALUE}; a malformed one is a ProjectError naming it."""
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key.strip() or key.strip() != key:
            raise ProjectError(f"{option} {value!r}: expected KEY=VALUE, e.g. {option} dbName=orders")
        out[key] = text
    return out


def _program_inputs(config: list[str] | None, config_secret: list[str] | None, invokes: Path | None) -> dict[str, Any]:
    """The run's --config, --config-secret and --invokes, checked (exit 2 on a malformed one)."""
    return {
        "config_values": _config_options(config, "--config"),
        "secret_values": _config_options(config_secret, "--config-secret"),
        "invokes": read_invokes(invokes) if invokes is not None else None,
    }


def _platform_config(stack: str, config_file: Path | None, project_dir: Path | None) -> PlatformConfig:
    """The validated platform config of STACK, found the way every command finds it."""
    project = find_project(project_dir)
    path = project.stack_file(stack, config_file)
    return validate_stack_file(read_stack_file(path), project.display(path))


@app.command("synth")
@_guarded
def synth_cmd(
    stack: StackOpt,
    preview: PreviewOpt = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write JSON here instead of stdout.")] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config-file", help="Read stack config from this file instead of stacks/Pulumi.<NAME>.yaml."),
    ] = None,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
    config: ConfigOpt = None,
    config_secret: ConfigSecretOpt = None,
    invokes: InvokesOpt = None,
) -> None:
    """Register every resource of STACK under mocks and write them as JSON (the synth contract)."""
    if out is not None:
        check_file(out, "--out")
    try:
        refs = parse_reference_options(reference or [])
        result = synth(
            stack, preview=preview, project_dir=project_dir, config_file=config_file, references=refs,
            **_program_inputs(config, config_secret, invokes),
        )  # fmt: skip
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    write_text(out, text, "--out")
    custom = sum(1 for r in result.resources if r["custom"])
    mode = "preview" if preview else "update"
    err.print(
        f"{stack}: {len(result.resources)} resources ({custom} custom, "
        f"{len(result.resources) - custom} components), {mode} mode -> {out}"
    )


@app.command("render")
@_guarded
def render_cmd(
    stack: StackOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the YAML files.")],
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="Read stack config from this file instead.")
    ] = None,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """Write every Kubernetes object of STACK as kubectl-appliable YAML: <namespace>.yaml, cluster.yaml,
    and helm/<release>.values.yaml for the Helm releases."""
    check_out_dir(out)  # before the synth: a folder it may not write into is refused at once (exit 2)
    try:
        refs = parse_reference_options(reference or [])
        result = synth(stack, preview=False, project_dir=project_dir, config_file=config_file, references=refs)
        paths = write(collect(result), out)
    except (ConfigError, ProjectError, OutputError) as exc:
        raise _fail_config(exc) from None
    except RenderError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    for path in paths:
        typer.echo(str(path))
    if paths:
        err.print(f"{stack}: wrote {len(paths)} files to {out}")
    else:
        err.print(f"{stack}: nothing to write: the stack has no Kubernetes objects or Helm releases")


@app.command("reach")
@_guarded
def reach_cmd(
    stack: StackOpt,
    analyze_: Annotated[
        bool,
        typer.Option(
            "--analyze",
            metavar="",
            help="Render the stack and run network-config-analyzer on its NetworkPolicies; exit 1 unless what it "
            "computes equals the declared matrix.",
        ),
    ] = False,
    nca: Annotated[
        Path | None, typer.Option("--nca", help="The nca executable (default: the one `make tools` installs).")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write the analyzer's CSV here.")] = None,
    config_file: ConfigFileOpt = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Print the connectivity the stack's flow matrix declares; with --analyze, compare it with what
    network-config-analyzer computes from the rendered NetworkPolicies (= both, + undeclared, - missing)."""
    if csv_out is not None:
        check_file(csv_out, "--csv")
    try:
        cfg = _platform_config(stack, config_file, project_dir)
        if not analyze_:
            for conn in sorted(expected_connectivity(cfg)):
                typer.echo(str(conn))
            for path in access_paths(cfg):
                typer.echo(path)
            return
        result = synth(stack, preview=False, project_dir=project_dir, config_file=config_file)
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    exe = nca or default_nca()
    if not exe.exists():
        err.print(f"{exe} not found: run `make tools` (or pass --nca PATH)")
        raise typer.Exit(1)
    with tempfile.TemporaryDirectory(prefix="enclave-reach-") as tmp:
        try:
            analysis = analyze(cfg, collect(result).all_objects(), exe, Path(tmp))
        except RuntimeError as exc:
            err.print(str(exc))
            raise typer.Exit(1) from None
    if csv_out is not None:
        write_text(csv_out, analysis.csv, "--csv")
    for line in analysis.lines():
        typer.echo(line)
    for path in access_paths(cfg):
        typer.echo(f"  {path} (not a network path: outside the analysis)")
    err.print(
        f"{stack}: {len(analysis.found)} connections found by network-config-analyzer, "
        f"{len(analysis.expected)} declared, {len(analysis.undeclared)} undeclared, {len(analysis.missing)} missing"
    )
    if not analysis.matches:
        raise typer.Exit(1)


class Format(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


def _report_text(result: PreviewResult, fmt: Format, rules_url: str | None) -> str:
    """The preview as JSON, SARIF or Markdown text (the table prints itself)."""
    if fmt is Format.json:
        return json.dumps(result.to_json(), indent=2) + "\n"
    if fmt is Format.sarif:
        return json.dumps(to_sarif(result, rules_url=rules_url, version=_version()), indent=2) + "\n"
    return markdown([result.to_json()])


@app.command("preview")
@_guarded
def preview_cmd(
    stack: StackOpt,
    preview: PreviewOpt = False,
    config_file: Annotated[
        Path | None,
        typer.Option("--config-file", help="Read stack config from this file instead of stacks/Pulumi.<NAME>.yaml."),
    ] = None,
    pack: PackOpt = None,
    pack_config: PackConfigOpt = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="table (plain lines when piped), json, sarif (GitHub code scanning) or markdown (a CI job summary).",
        ),
    ] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Also write DIR/<NAME>.json and DIR/<NAME>.sarif from this one run (for CI: upload the SARIF, "
            "`enclave summary DIR/<NAME>.json` for the job summary).",
        ),
    ] = None,
    rules_url: Annotated[
        str | None,
        typer.Option(
            "--rules-url",
            metavar="URL",
            help="SARIF rules link to the pack's RULES.md here (URL#L<line>). Default: in GitHub Actions the file at "
            "the commit under test, else its file:// URI.",
        ),
    ] = None,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
    config: ConfigOpt = None,
    config_secret: ConfigSecretOpt = None,
    invokes: InvokesOpt = None,
) -> None:
    """Run STACK through the HIPAA policy pack, as `pulumi preview --policy-pack` would, with no cloud account and
    no Pulumi CLI. Exit 0 when no mandatory finding, 1 when any, 2 for bad input. In CI, run it once per stack with
    --out-dir (JSON and SARIF from one run), upload DIR/<NAME>.sarif to code scanning and append `enclave summary
    DIR/<NAME>.json` (Markdown) to $GITHUB_STEP_SUMMARY, as .github/workflows/compliance.yml does.

    Any Pulumi Python program runs offline: an invoke enclave has no faithful answer for is answered with a
    placeholder of its result's type (listed in the report); a policy that decides on one reports UNVERIFIABLE.
    Record real answers once and replay them with --invokes FILE: {"aws:ec2/getAmi:getAmi": [{"args":
    {"mostRecent": true}, "result": {"id": "ami-0abc"}}]} (engine names, camelCase)."""
    if out_dir is not None:
        check_folder(out_dir, "--out-dir")
    if out is not None:
        check_file(out, "--out")
    try:
        result = run_preview(
            stack, preview=preview, project_dir=project_dir, config_file=config_file, pack_dir=pack,
            pack_config=pack_config, references=parse_reference_options(reference or []),
            **_program_inputs(config, config_secret, invokes),
        )  # fmt: skip
    except (ConfigError, ProjectError, PreviewInputError) as exc:
        raise _fail_config(exc) from None
    files: dict[Path, str] = {}
    if out_dir is not None:
        for suffix, kind in ((".json", Format.json), (".sarif", Format.sarif)):
            files[out_dir / f"{stack}{suffix}"] = _report_text(result, kind, rules_url)
    if out is not None:
        table = fmt is Format.table
        files[out] = _console_text(lambda c: print_table(result, c)) if table else _report_text(result, fmt, rules_url)
    write_files(files, "--out-dir" if out is None else "--out")
    if fmt is Format.table and out is None:
        if not sys.stdout.isatty():
            print_lines(result, typer.echo)  # plain lines in pipes and CI logs; the table on a terminal
        else:
            print_table(result, Console(markup=False, highlight=False))
    elif out is None:
        sys.stdout.write(_report_text(result, fmt, rules_url))
    if fmt is not Format.table or out is not None:
        err.print(verdict_line(result))
    if result.blocking:
        raise typer.Exit(1)


@app.command("summary")
@_guarded
def summary_cmd(
    reports: Annotated[
        list[Path],
        typer.Argument(metavar="REPORT", help="Preview reports (`enclave preview --format json` or --out-dir)."),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the Markdown here instead of stdout.")] = None,
    title: Annotated[str, typer.Option("--title", help="The summary's heading.")] = "HIPAA policy preview",
) -> None:
    """Saved preview reports as one Markdown summary (e.g. `>> $GITHUB_STEP_SUMMARY`): per stack its verdict and
    mandatory / advisory / exempted / unverifiable counts, then each failing stack's failing controls with their
    titles. Exit 0; 2 when a file is not a preview report. The preview's exit status is what fails a build."""
    if out is not None:
        check_file(out, "--out")
    try:
        text = markdown([read_report(path) for path in reports], title=title)
    except ReportError as exc:
        raise _fail_config(exc) from None
    if out is None:
        sys.stdout.write(text)
    else:
        write_text(out, text, "--out")


@app.command("report")
@_guarded
def report_cmd(
    stack: StackOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html, findings.csv and report.json.")],
    audit: Annotated[
        Path | None,
        typer.Option(
            "--audit",
            help="Live-account findings to show beside the deploy-time ones (`enclave audit --format json` output).",
        ),
    ] = None,
    preview: PreviewOpt = False,
    config_file: ConfigFileOpt = None,
    pack: PackOpt = None,
    pack_config: PackConfigOpt = None,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """Write the evidence report of STACK: a self-contained HTML page per HIPAA safeguard (control, rule,
    resource, status), the trust-zone picture from the rendered NetworkPolicies, and findings.csv and report.json
    with the same rows. Exit 0 when no mandatory failure, 1 when any, 2 for bad input (nothing written)."""
    try:
        report = evidence_report(
            stack, out=out, audit=audit, preview=preview, project_dir=project_dir, config_file=config_file,
            pack_dir=pack, pack_config=pack_config, references=parse_reference_options(reference or []),
        )  # fmt: skip
    except (ConfigError, ProjectError, PreviewInputError, PackCatalogError, AuditInputError, ReportInputError) as exc:
        raise _fail_config(exc) from None
    except RenderError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    paths = write_report(report, out)
    err.print(f"{report.summary_line()} -> {paths[0]}")
    raise typer.Exit(report.exit_code)


@app.command("images")
@_guarded
def images_cmd(
    stack: StackOpt,
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="Read stack config from this file instead.")
    ] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Print the add-on images to copy into kubernetes.image_mirror before the first `pulumi up`, one
    `SOURCE DESTINATION` pair per line (e.g. `| xargs -n2 crane copy`). Without a mirror, the images the
    nodes pull directly."""
    try:
        cfg = _platform_config(stack, config_file, project_dir)
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    copies = mirror_copies(cfg.kubernetes, cfg.region, cfg.detection.falco) + secrets_store.mirror_copies(
        cfg.kubernetes, cfg.secrets
    )
    if not copies:
        err.print(f"{stack}: no kubernetes.image_mirror: nodes pull these images from their registries")
        secret_images = secrets_store.image_refs(cfg.kubernetes, cfg.secrets) if cfg.secrets.from_manager else []
        for image in [*addon_image_refs(cfg.kubernetes, cfg.region, cfg.detection.falco), *secret_images]:
            typer.echo(image)
        return
    for source, destination in copies:
        typer.echo(f"{source} {destination}")


@app.command("validate")
@_guarded
def validate_cmd(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="One stack (default: every stack).")] = None,
    all_: Annotated[bool, typer.Option("--all", metavar="", help="Every stack of the project (the default).")] = False,
    config_file: ConfigFileOpt = None,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """Check stack files against the config schema and the cross-field rules, without running the program:
    for pre-commit and CI. Exit 2 on any problem, each with file, line, path, value and fix. A project with a
    program of its own (no gpu-enclave:platform) is checked by running that program offline."""
    try:
        project = find_project(project_dir)
        refs = parse_reference_options(reference or [])
        if stack is not None and all_:
            raise ProjectError("--stack and --all: give one of them")
        if config_file is not None and stack is None:
            raise ProjectError("--config-file needs --stack (the stack the file stands for)")
        stacks = [stack] if stack is not None else project.stacks()
        if not stacks:
            raise ProjectError(f"project {project.name} has no stack files in {project.display(project.stack_dir)}")
    except ProjectError as exc:
        raise _fail_config(exc) from None
    failed = 0
    for name in stacks:
        try:
            path = project.stack_file(name, config_file)
            if CONFIG_KEY in read_stack_file(path).config:
                validate_stack_file(read_stack_file(path), project.display(path))
            else:  # a program of its own validates its keys as it starts (config_object): run it, offline
                synth(name, project_dir=project.root, config_file=config_file, references=refs)
        except (ConfigError, ProjectError) as exc:
            failed += 1
            err.print(str(exc))
            continue
        typer.echo(f"{name}: valid ({project.display(project.stack_file(name, config_file))})")
    if failed:
        err.print(f"{failed} of {len(stacks)} stack files invalid")
        raise typer.Exit(EXIT_CONFIG)


@app.command("schema")
@_guarded
def schema_cmd(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the schema here instead of stdout.")] = None,
) -> None:
    """Print the stack file's JSON Schema (for editors: `# yaml-language-server: $schema=<file>` on a stack
    file's first line; the repository ships it as schema/stack.schema.json)."""
    text = json.dumps(stack_file_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    write_text(out, text, "--out")
    err.print(f"wrote {out}")


class DiffFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("diff")
@_guarded
def diff_cmd(
    a: Annotated[str, typer.Argument(help="The stack to compare from, e.g. staging.")],
    b: Annotated[str, typer.Argument(help="The stack to compare to, e.g. prod.")],
    preview: PreviewOpt = False,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="table or json.")] = DiffFormat.table,
    project_dir: ProjectOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """What differs between two stacks' synthesized resources: added, removed, changed inputs (a line each when
    piped, a table on a terminal, or JSON)."""
    try:
        refs = parse_reference_options(reference or [])
        result = diff(
            synth(a, preview=preview, project_dir=project_dir, references=refs),
            synth(b, preview=preview, project_dir=project_dir, references=refs),
        )
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    if fmt is DiffFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    elif sys.stdout.isatty():
        table = Table(title=result.summary(), title_justify="left", show_lines=False, expand=True)
        for column in ("", "type", "name", "input", a, b):
            table.add_column(column, overflow="fold")
        for t, n in result.added:
            table.add_row("+", t, n, "", "", "")
        for t, n in result.removed:
            table.add_row("-", t, n, "", "", "")
        for (t, n), changes in result.changed.items():
            for c in changes:
                table.add_row("~", t, n, c.path, _short(c.a), _short(c.b))
        Console(markup=False, highlight=False).print(table)
    else:
        for line in result.lines():
            typer.echo(line)
    err.print(result.summary())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@app.command("stacks")
@_guarded
def stacks_cmd(project_dir: ProjectOpt = None) -> None:
    """List the stacks that have a stack file."""
    try:
        names = find_project(project_dir).stacks()
    except ProjectError as exc:
        raise _fail_config(exc) from None
    for name in names:
        typer.echo(name)


class AuditFormat(StrEnum):
    table = "table"
    json = "json"


def _audit_inputs(
    stack: str | None, pack: Path | None, pack_config: Path | None, project_dir: Path | None, config_file: Path | None
) -> tuple[Path, dict[str, object], str | None, str | None, str | None]:
    """The pack, its config and (with a stack) the stack's region and account, found as `enclave preview` finds
    them."""
    root = Path.cwd()
    region = account = None
    if stack is not None:
        project = find_project(project_dir)
        root = project.root
        path = project.stack_file(stack, config_file)
        parsed = read_stack_file(path)
        if CONFIG_KEY in parsed.config:  # a bad stack file is exit 2 before any AWS call, as for preview
            validate_stack_file(parsed, project.display(path))
        config = parsed.config
        platform = config.get(CONFIG_KEY)
        region = (platform.get("region") if isinstance(platform, dict) else None) or config.get("aws:region")
        account = platform.get("account_id") if isinstance(platform, dict) else None
    elif project_dir is not None:
        root = find_project(project_dir).root
    else:
        with contextlib.suppress(ProjectError):  # outside a project: the pack of this checkout
            root = find_project(project_dir).root
    pack_dir = (pack or default_pack(root)).resolve()
    if stack is not None:
        pack_config, _origin = pack_config_for(stack, pack_dir, root, pack_config)
    given = read_pack_config(pack_config) if pack_config is not None else {}
    return (
        pack_dir, given, str(pack_config) if pack_config else None, region if isinstance(region, str) else None,
        account if isinstance(account, str) else None,
    )  # fmt: skip


@app.command("audit")
@_guarded
def audit_cmd(
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            "-s",
            help="Also report drift from this stack's declared resources (synthesized "
            "offline); its region is the default region.",
        ),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region (default: the session's).")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile of the read-only auditor role.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Send every AWS call here (e.g. a moto server).")
    ] = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table or json.")] = AuditFormat.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")] = None,
    pack: PackOpt = None,
    pack_config: Annotated[
        Path | None,
        typer.Option(
            "--pack-config",
            help="Policy pack config for levels and thresholds; default with --stack: <pack>/config/<NAME>.json.",
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CONTROL",
            help="Do not check this control (e.g. EKS-04 where the endpoint "
            "has no EKS add-on API); reported as skipped, never as passing. Repeatable.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Detail reads in flight per service (default 16).")
    ] = WORKERS,
    config_file: ConfigFileOpt = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Verify the live AWS account, read-only, against the pack's controls (same ids and HIPAA citations).
    Exit 0 when every control holds, 1 on any mandatory finding (or, with --stack, a weakened declared setting),
    2 when the audit could not run or some check did not finish (each named; never counted as passing)."""
    if out is not None:
        check_file(out, "--out")
    from .audit.run import AuditError, AuditOptions, run_audit  # boto3 loads only when an audit runs
    from .audit.table import print_lines as print_audit_lines
    from .audit.table import print_table as print_audit_table
    from .audit.table import verdict as audit_verdict

    try:
        pack_dir, given, source, stack_region, stack_account = _audit_inputs(
            stack, pack, pack_config, project_dir, config_file
        )
    except (ConfigError, ProjectError, PreviewInputError, PackCatalogError) as exc:
        raise _fail_config(exc) from None
    table = fmt is AuditFormat.table
    live_progress = table and out is None and err.is_terminal
    options = AuditOptions(
        pack_dir=pack_dir, pack_config=dict(given), pack_config_source=source, region=region, profile=profile,
        endpoint_url=endpoint_url, stack=stack, project_dir=project_dir, config_file=config_file,
        stack_region=stack_region, stack_account=stack_account, skip=frozenset(skip or ()), workers=workers,
    )  # fmt: skip
    try:
        if live_progress:
            with err.status("reading the account...") as status:
                options.progress = lambda label: status.update(f"read {label}...")
                result = run_audit(options)
        else:
            result = run_audit(options)
    except (AuditError, PackCatalogError, ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    if table:
        if out is not None:
            write_text(out, _console_text(lambda c: print_audit_table(result, c)), "--out")
        elif sys.stdout.isatty():
            print_audit_table(result, Console(markup=False, highlight=False))
        else:
            print_audit_lines(result, typer.echo)
    else:
        text = json.dumps(result.to_json(), indent=2, default=str) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            write_text(out, text, "--out")
    if not (table and out is None and sys.stdout.isatty()):
        err.print(audit_verdict(result))
    code = result.exit_code()
    if code:
        raise typer.Exit(code)


@app.command("audit-policy")
@_guarded
def audit_policy_cmd(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the policy here instead of stdout.")] = None,
) -> None:
    """Print the read-only IAM policy the auditor role needs: exactly the actions `enclave audit` calls."""
    if out is None:
        sys.stdout.write(policy_text())
        return
    write_text(out, policy_text(), "--out")
    err.print(f"wrote {out}")


def main() -> None:
    interrupt.install()
    app()


if __name__ == "__main__":
    main()
