"""Writing what a command produces: the target checked before any work is done, every file written whole or not
at all (to a temporary file beside it, renamed into place once every file of the command is written), and each
failure an OutputError naming the option, the path and the reason (exit status 2: exit 1 means findings)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import interrupt


class OutputError(Exception):
    """An output path cannot be written (exit status 2, nothing written): option, path and reason."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _special(path: Path) -> bool:
    """A device, FIFO or socket (/dev/null, /dev/stdout, /dev/full): written in place, never replaced."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _writable_folder(folder: Path, option: str, path: Path) -> None:
    """The nearest existing folder at or above `folder` must be a folder we may create files in."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{option} {path}: {probe} is a file, not a folder")
    # try it: permission bits say nothing to root, nor about a read-only mount or a file system that refuses
    try:
        handle, name = tempfile.mkstemp(prefix=".enclave-probe-", dir=probe)
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot write in {probe} ({_reason(exc)})") from None


def check_file(path: Path, option: str) -> None:
    """Before any work: `path` can become a file (not a folder, its folder writable or creatable)."""
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; give a file path")
    if _special(path):
        return
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{option} {path}: not writable (permission denied)")
    _writable_folder(path.parent, option, path)


def check_folder(path: Path, option: str) -> None:
    """Before any work: `path` is a folder, or can be made one."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path}: exists and is not a folder; give a folder")
    _writable_folder(path, option, path)


def write_files(files: Mapping[Path, str], option: str) -> None:
    """Write every file or none: each to a temporary file beside it, then all renamed into place (an interrupt
    waits for the renames, so it never leaves a mix of old and new files). Devices are written directly."""
    for path in files:
        check_file(path, option)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            if _special(path):
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            except OSError as exc:
                raise OutputError(f"{option} {path}: cannot write ({_reason(exc)})") from None
            temp = Path(name)
            interrupt.track_temp(temp)
            staged.append((temp, path))
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
            except OSError as exc:
                raise OutputError(f"{option} {path}: cannot write ({_reason(exc)})") from None
        for path, text in files.items():
            if _special(path):
                try:
                    with path.open("w", encoding="utf-8") as out:
                        out.write(text)
                except OSError as exc:
                    raise OutputError(f"{option} {path}: cannot write ({_reason(exc)})") from None
        with interrupt.deferred():
            for temp, path in staged:
                try:
                    os.replace(temp, path)
                except OSError as exc:
                    raise OutputError(f"{option} {path}: cannot write ({_reason(exc)})") from None
                interrupt.untrack_temp(temp)
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                temp.unlink()
            interrupt.untrack_temp(temp)


def write_text(path: Path, text: str, option: str) -> None:
    write_files({path: text}, option)
