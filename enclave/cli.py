"""`enclave` command line: synthesize, render, preview against the policy pack, check reachability, list
add-on images, offline."""

from __future__ import annotations

import json
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from components.config import CONFIG_KEY, ConfigError, PlatformConfig, read_stack_file, validate_platform
from components.k8s.images import addon_image_refs, mirror_copies

from .preview import PACK_DIR, PreviewInputError, run_preview
from .project import ProjectError, find_project
from .reach import access_paths, analyze, default_nca, expected_connectivity
from .render import RenderError, collect, write
from .report import print_table, verdict_line
from .sarif import to_sarif
from .synth import synth

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="GPU Enclave offline engine: run the Pulumi program under mocks, no cloud account needed.",
)
# markup off: config values are user input and may contain [brackets] or escape sequences.
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

EXIT_CONFIG = 2

StackOpt = Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<NAME>.yaml.")]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project-dir", help="The Pulumi project (default: the nearest folder upwards holding Pulumi.yaml)."),
]


def _fail_config(exc: Exception) -> typer.Exit:
    err.print(str(exc))
    return typer.Exit(EXIT_CONFIG)


ConfigFileOpt = Annotated[
    Path | None,
    typer.Option("--config-file", help="Read the stack config from this file instead of Pulumi.<NAME>.yaml."),
]


def _platform_config(stack: str, config_file: Path | None, project_dir: Path | None) -> PlatformConfig:
    """The validated platform config of STACK, found the way every command finds it."""
    project = find_project(project_dir)
    path = project.stack_file(stack, config_file)
    parsed = read_stack_file(path)
    return validate_platform(parsed.config.get(CONFIG_KEY), project.display(path), parsed.lines)


@app.command("synth")
def synth_cmd(
    stack: StackOpt,
    preview: Annotated[
        bool, typer.Option("--preview", help="First-preview mode: ids, ARNs and endpoints are unknown.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write JSON here instead of stdout.")] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config-file", help="Read stack config from this file instead of stacks/Pulumi.<NAME>.yaml."),
    ] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Register every resource of STACK under mocks and write them as JSON (the synth contract)."""
    try:
        result = synth(stack, preview=preview, project_dir=project_dir, config_file=config_file)
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    custom = sum(1 for r in result.resources if r["custom"])
    mode = "preview" if preview else "update"
    err.print(
        f"{stack}: {len(result.resources)} resources ({custom} custom, "
        f"{len(result.resources) - custom} components), {mode} mode -> {out}"
    )


@app.command("render")
def render_cmd(
    stack: StackOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the YAML files.")],
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="Read stack config from this file instead.")
    ] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Write every Kubernetes object of STACK as kubectl-appliable YAML: <namespace>.yaml, cluster.yaml,
    and helm/<release>.values.yaml for the Helm releases."""
    try:
        result = synth(stack, preview=False, project_dir=project_dir, config_file=config_file)
        paths = write(collect(result), out)
    except (ConfigError, ProjectError) as exc:
        raise _fail_config(exc) from None
    except RenderError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    for path in paths:
        typer.echo(str(path))


@app.command("reach")
def reach_cmd(
    stack: StackOpt,
    analyze_: Annotated[
        bool,
        typer.Option(
            "--analyze",
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
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        csv_out.write_text(analysis.csv, encoding="utf-8")
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


@app.command("preview")
def preview_cmd(
    stack: StackOpt,
    preview: Annotated[
        bool, typer.Option("--preview", help="First-preview mode: ids, ARNs and endpoints are unknown.")
    ] = False,
    config_file: Annotated[
        Path | None,
        typer.Option("--config-file", help="Read stack config from this file instead of stacks/Pulumi.<NAME>.yaml."),
    ] = None,
    pack: Annotated[Path, typer.Option("--pack", help="Policy pack directory.")] = PACK_DIR,
    pack_config: Annotated[
        Path | None,
        typer.Option(
            "--pack-config",
            help="Policy pack config (the --policy-pack-config format); default: <pack>/config/<NAME>.json.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or sarif.")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")] = None,
    project_dir: ProjectOpt = None,
) -> None:
    """Run STACK through the HIPAA policy pack, as `pulumi preview --policy-pack` would, with no cloud account and
    no Pulumi CLI. Exit 0 when no mandatory finding, 1 when any, 2 for bad input."""
    try:
        result = run_preview(
            stack, preview=preview, project_dir=project_dir, config_file=config_file, pack_dir=pack,
            pack_config=pack_config,
        )  # fmt: skip
    except (ConfigError, ProjectError, PreviewInputError) as exc:
        raise _fail_config(exc) from None
    if fmt is Format.table:
        text = None
        if out is None:
            print_table(result, Console(markup=False, highlight=False))
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as handle:
                print_table(result, Console(file=handle, markup=False, highlight=False, width=160))
    elif fmt is Format.json:
        text = json.dumps(result.to_json(), indent=2) + "\n"
    else:
        stack_file = find_project(project_dir).stack_file(stack, config_file)
        text = json.dumps(to_sarif(result, stack_file, Path.cwd()), indent=2) + "\n"
    if text is not None:
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    if fmt is not Format.table or out is not None:
        err.print(verdict_line(result))
    if result.blocking:
        raise typer.Exit(1)


@app.command("images")
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
    copies = mirror_copies(cfg.kubernetes, cfg.region)
    if not copies:
        err.print(f"{stack}: no kubernetes.image_mirror: nodes pull these images from their registries")
        for image in addon_image_refs(cfg.kubernetes, cfg.region):
            typer.echo(image)
        return
    for source, destination in copies:
        typer.echo(f"{source} {destination}")


@app.command("stacks")
def stacks_cmd(project_dir: ProjectOpt = None) -> None:
    """List the stacks that have a stack file."""
    try:
        names = find_project(project_dir).stacks()
    except ProjectError as exc:
        raise _fail_config(exc) from None
    for name in names:
        typer.echo(name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
