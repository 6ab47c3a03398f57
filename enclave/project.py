"""The Pulumi project a command works on, found as `pulumi` finds it, and the one resolver of its stack files.

The project is the nearest folder, from the working directory (or `--project-dir`) upwards, that holds a
`Pulumi.yaml`; its program is `main` (default: `__main__.py` beside it) and its stack files live in
`stackConfigDir` (default: beside it). Every problem is a `ProjectError` naming the file and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config.stackfile import YamlLimitError, check_yaml_limits

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


class ProjectError(Exception):
    """The project or a stack file cannot be used (exit status 2); the message says which file and why."""


class StackNotFound(ProjectError):
    """No stack file for the stack asked for."""


@dataclass(frozen=True)
class Project:
    root: Path
    file: Path
    name: str
    main: Path
    stack_dir: Path

    def stacks(self) -> list[str]:
        """The stacks that have a stack file, by name."""
        if not self.stack_dir.is_dir():
            return []
        names = {p.name.removeprefix("Pulumi.").rsplit(".", 1)[0] for p in self.stack_dir.glob("Pulumi.*.y*ml")}
        return sorted(n for n in names if n)

    def stack_file(self, stack: str, config_file: Path | None = None) -> Path:
        """`config_file` when given (like `pulumi --config-file`), else `<stackConfigDir>/Pulumi.<stack>.yaml`."""
        if config_file is not None:
            return _given_file(config_file)
        if not stack or "/" in stack or "\\" in stack or stack.startswith("."):
            raise StackNotFound(f"--stack {stack!r}: a stack name, e.g. {', '.join(self.stacks()) or 'dev'}")
        for suffix in (".yaml", ".yml"):
            path = self.stack_dir / f"Pulumi.{stack}{suffix}"
            if path.is_file():
                return path
        known = ", ".join(self.stacks()) or "(none)"
        raise StackNotFound(
            f"no stack {stack!r}: {self.display(self.stack_dir / f'Pulumi.{stack}.yaml')} does not exist; "
            f"stacks of project {self.name}: {known}"
        )

    def display(self, path: Path) -> str:
        """A path as the user would type it: relative to the working directory when under it."""
        resolved = path.resolve()
        cwd = Path.cwd().resolve()
        return str(resolved.relative_to(cwd)) if resolved.is_relative_to(cwd) else str(path)


def _given_file(path: Path) -> Path:
    if path.is_dir():
        raise ProjectError(f"--config-file {path}: is a folder; give the stack file (Pulumi.<stack>.yaml)")
    if not path.is_file():
        raise ProjectError(f"--config-file {path}: no such file")
    return path.resolve()


def find_project(start: Path | None = None) -> Project:
    """The project holding `start` (default: the working directory), searching upwards like `pulumi`."""
    origin = (start or Path.cwd()).resolve()
    if start is not None and not origin.exists():
        raise ProjectError(f"--project-dir {start}: no such folder")
    if start is not None and not origin.is_dir():
        raise ProjectError(f"--project-dir {start}: is a file; give the folder that holds Pulumi.yaml")
    folder = origin if origin.is_dir() else origin.parent
    for candidate in (folder, *folder.parents):
        for name in PROJECT_FILES:
            if (candidate / name).is_file():
                return read_project(candidate / name)
    where = f"--project-dir {start}" if start is not None else f"the working directory {origin}"
    raise ProjectError(
        f"no Pulumi.yaml in {where} or any folder above it: run enclave inside a Pulumi project, or pass "
        "--project-dir <the folder that holds Pulumi.yaml>"
    )


def read_project(path: Path) -> Project:
    """Parse a project file: its name, its Python program and its stack folder."""
    try:
        text = path.read_text(encoding="utf-8")
        check_yaml_limits(text)
        meta: Any = yaml.safe_load(text)
    except YamlLimitError as exc:
        raise ProjectError(f"{path}: not read: {exc}") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        detail = " ".join(x for x in (exc.context, exc.problem) if x)
        raise ProjectError(f"{where}: not valid YAML: {detail}") from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ProjectError(f"{path}: a project file is a mapping with name and runtime (see `pulumi new`)")
    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProjectError(f"{path}: `name` is missing; give the project a name")
    runtime = meta.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(f"{path}: runtime is {runtime_name!r}; enclave runs Python programs (runtime: python)")
    root = path.parent.resolve()
    main_value = meta.get("main", ".")
    if not isinstance(main_value, str):
        raise ProjectError(f"{path}: `main` must be a path, got {main_value!r}")
    main = root / main_value
    if not main_value.endswith(".py"):
        main = main / "__main__.py"
    if not main.is_file():
        raise ProjectError(f"{path}: the program {main} does not exist (check `main`)")
    stack_dir_value = meta.get("stackConfigDir", ".")
    if not isinstance(stack_dir_value, str):
        raise ProjectError(f"{path}: `stackConfigDir` must be a path, got {stack_dir_value!r}")
    return Project(root, path.resolve(), name.strip(), main.resolve(), (root / stack_dir_value).resolve())
