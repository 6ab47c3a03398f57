"""`enclave` command line: synth a stack offline (more subcommands arrive with later issues)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from components.config import ConfigError

from .synth import PROJECT_ROOT, StackNotFound, list_stacks, synth

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="GPU Enclave offline engine: run the Pulumi program under mocks, no cloud account needed.",
)
# markup off: config values are user input and may contain [brackets] or escape sequences.
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

EXIT_CONFIG = 2

StackOpt = Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<NAME>.yaml.")]
ProjectOpt = Annotated[Path, typer.Option("--project-dir", help="Pulumi project directory (holds Pulumi.yaml).")]


def _fail_config(exc: Exception) -> typer.Exit:
    err.print(str(exc))
    return typer.Exit(EXIT_CONFIG)


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
    project_dir: ProjectOpt = PROJECT_ROOT,
) -> None:
    """Register every resource of STACK under mocks and write them as JSON (the synth contract)."""
    try:
        result = synth(stack, preview=preview, project_dir=project_dir, config_file=config_file)
    except (ConfigError, StackNotFound) as exc:
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


@app.command("stacks")
def stacks_cmd(project_dir: ProjectOpt = PROJECT_ROOT) -> None:
    """List the stacks that have a stack file."""
    for name in list_stacks(project_dir):
        typer.echo(name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
