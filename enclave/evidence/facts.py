"""The front page's facts that come from outside the preview: the project's git commit, the pack config's
digest, and the time (SOURCE_DATE_EPOCH when set, for reproducible output)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

NOT_GIT = "not a git checkout"
DIRTY = " (uncommitted changes)"


def git_commit(project_root: Path) -> str:
    """`git rev-parse HEAD` of the project, with "(uncommitted changes)" when its folder has any."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(project_root), *args], capture_output=True, text=True, check=False)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return NOT_GIT
        status = git("status", "--porcelain", "--", ".")
    except OSError:  # no git on this machine
        return NOT_GIT
    commit = head.stdout.strip()
    return commit + DIRTY if status.returncode == 0 and status.stdout.strip() else commit


def sha256_of(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None


def generated_at() -> str:
    """UTC, ISO 8601; SOURCE_DATE_EPOCH (seconds) when set, so the same inputs give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
