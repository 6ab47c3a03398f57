"""The program's own errors, told as the program's: a config value it requires, a module it imports, an exception
it raises. Each becomes a ProgramError (exit status 2) of a few lines, naming what to do and showing the
program's frames only (file, line, code), never the engine's or the SDK's."""

from __future__ import annotations

import traceback
from pathlib import Path

import pulumi

from .project import ProjectError

MAX_FRAMES = 5
MAX_MESSAGE = 300


class ProgramError(ProjectError):
    """The program stopped with an error of its own (exit status 2)."""


ENGINE = Path(__file__).resolve().parent


def _is_program_file(filename: str, root: Path) -> bool:
    path = Path(filename)
    if not path.is_absolute() or not path.is_relative_to(root) or path.is_relative_to(ENGINE):
        return False
    parts = path.relative_to(root).parts
    return not any(p in ("site-packages", "dist-packages") or p.startswith(".venv") for p in parts)


def program_frames(exc: BaseException, root: Path) -> list[traceback.FrameSummary]:
    """The frames of `exc`'s traceback (and its causes') that are the program's: files under its project folder,
    outside any virtualenv."""
    frames: list[traceback.FrameSummary] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = [f for f in traceback.extract_tb(current.__traceback__) if _is_program_file(f.filename, root)] + frames
        current = current.__cause__ or current.__context__
    return frames


def _where(frame: traceback.FrameSummary, root: Path) -> str:
    return f"{Path(frame.filename).relative_to(root)}:{frame.lineno}"


def _frames_text(frames: list[traceback.FrameSummary], root: Path) -> list[str]:
    shown = frames[-MAX_FRAMES:]
    lines = [f"  {_where(f, root)} in {f.name}: {(f.line or '').strip()}" for f in shown]
    if len(frames) > len(shown):
        lines.insert(0, f"  ... {len(frames) - len(shown)} earlier frames of the program")
    return lines


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def describe(exc: BaseException, root: Path, stack_file: str, project: str) -> ProgramError:
    """The ProgramError that tells the user what `exc`, raised while the program ran, means for them."""
    frames = program_frames(exc, root)
    at = f" at {_where(frames[-1], root)}" if frames else ""
    missing = _find(exc, pulumi.ConfigMissingError)
    if isinstance(missing, pulumi.ConfigMissingError):
        key = missing.key
        short = key.split(":", 1)[1] if key.startswith(f"{project}:") else key
        option = "--config-secret" if missing.secret else "--config"
        return ProgramError(
            f"the program requires config value {key}{at}, which {stack_file} does not set.\n"
            f"Set it in {stack_file} (`pulumi config set {'--secret ' if missing.secret else ''}{short} VALUE`) "
            f"or for this run: {option} {short}=VALUE"
        )
    module = _find(exc, ModuleNotFoundError)
    if isinstance(module, ModuleNotFoundError) and module.name:
        requirements = root / "requirements.txt"
        package = module.name.split(".")[0].replace("_", "-")
        fix = (
            f"pip install -r {requirements}"
            if requirements.is_file()
            else f"install the package that provides it (e.g. pip install {package})"
        )
        return ProgramError(
            f"the program imports {module.name}{at}, which is not installed where enclave runs.\n"
            f"Install the program's dependencies into enclave's environment: {fix}"
        )
    if isinstance(exc, SyntaxError) and exc.filename:
        where = Path(exc.filename)
        shown = where.relative_to(root) if where.is_absolute() and where.is_relative_to(root) else where
        return ProgramError(
            f"the program does not compile: {shown}:{exc.lineno}: {type(exc).__name__}: {exc.msg}\n"
            f"  {(exc.text or '').strip()}"
        )
    lines = [f"the program raised {type(exc).__name__}: {_short(str(exc))}"]
    lines += _frames_text(frames, root) if frames else ["  (no frame of the program: raised by the SDK or enclave)"]
    return ProgramError("\n".join(lines))


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
