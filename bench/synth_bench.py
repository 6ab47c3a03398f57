"""Offline synth benchmark: wall time and peak memory of `enclave synth` per stack and mode.

    .venv/bin/python bench/synth_bench.py [--repeat 5] [--stacks dev staging prod]

Each (stack, mode) runs in a fresh subprocess, so the figures are what one CLI call costs (interpreter
start and imports included) and one run cannot warm another. Prints a table: median / min / max wall
seconds and the peak resident set size (ru_maxrss of the child). Targets: see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(stack: str, preview: bool, out: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, resources registered) of one `enclave synth` in a subprocess."""
    cmd = [sys.executable, "-m", "enclave.cli", "synth", "--stack", stack, "--out", str(out)]
    if preview:
        cmd.append("--preview")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (ru_maxrss in KiB on Linux)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    rss = usage.ru_maxrss
    count = len(json.loads(out.read_text())["resources"])
    return wall, rss, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stacks", nargs="+", default=["dev", "staging", "prod"])
    args = parser.parse_args()
    print(f"{'stack':8} {'mode':8} {'resources':>9} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MiB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for stack in args.stacks:
            for preview in (True, False):
                runs = [run_once(stack, preview, Path(tmp) / "out.json") for _ in range(args.repeat)]
                walls = [r[0] for r in runs]
                rss_text = f"{max(r[1] for r in runs) / 1024:13.0f}"
                mode = "preview" if preview else "update"
                print(
                    f"{stack:8} {mode:8} {runs[0][2]:9d} {statistics.median(walls):9.2f} "
                    f"{min(walls):7.2f} {max(walls):7.2f} {rss_text}"
                )


if __name__ == "__main__":
    main()
