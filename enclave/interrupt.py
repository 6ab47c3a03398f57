"""Ctrl-C (SIGINT) and SIGTERM end any `enclave` command at once: the policy pack processes it started are
killed, the temporary files of unfinished writes removed, one line says so, and the exit status is 130 (143 for
SIGTERM), without waiting for the threads of the mocked engine or the pack's gRPC channel to wind down.

`install()` is called by the CLI's entry point only; library use keeps Python's own KeyboardInterrupt."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

_lock = threading.RLock()  # re-entrant: the handler runs in the main thread, which may hold it
_children: set[subprocess.Popen[bytes]] = set()
_temps: set[Path] = set()
_deferring = 0
_pending: int | None = None


def track_child(proc: subprocess.Popen[bytes]) -> None:
    with _lock:
        _children.add(proc)


def untrack_child(proc: subprocess.Popen[bytes]) -> None:
    with _lock:
        _children.discard(proc)


def track_temp(path: Path) -> None:
    with _lock:
        _temps.add(path)


def untrack_temp(path: Path) -> None:
    with _lock:
        _temps.discard(path)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A signal that arrives inside waits until the block ends (the renames that publish a command's files)."""
    global _deferring
    with _lock:
        _deferring += 1
    try:
        yield
    finally:
        with _lock:
            _deferring -= 1
            pending = _pending if _deferring == 0 else None
        if pending is not None:
            stop(pending)


def stop(signum: int) -> None:
    """Kill the pack processes, remove unfinished files, say so, and exit 128 + signum now."""
    with _lock:
        children, temps = list(_children), list(_temps)
    for proc in children:
        with contextlib.suppress(OSError):
            proc.kill()
    for path in temps:
        with contextlib.suppress(OSError):
            path.unlink()
    name = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"\n{name}: nothing written, no policy pack left running\n")
        sys.stderr.flush()
    for proc in children:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=0.5)
    os._exit(128 + signum)


def _handle(signum: int, _frame: FrameType | None) -> None:
    global _pending
    with _lock:
        if _deferring:
            _pending = signum
            return
    stop(signum)


def install() -> None:
    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
