"""Declared, deployed and verified on one page: the drifted account's audit, as `enclave audit --format json`
writes it, read by `enclave report --audit` beside the prod stack's preview, under the same control ids."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import MOTO_SKIP, ROOT, audit, reset
from .seed import seed_drifted


def test_the_report_shows_the_audit_of_the_drifted_account(
    endpoint: str, prod: Any, moto_prod: tuple[str, ...], tmp_path: Path
) -> None:
    reset(endpoint)
    seed_drifted(prod, endpoint)
    audit_file = tmp_path / "prod.audit.json"
    run = audit(endpoint, "--format", "json", *MOTO_SKIP, *moto_prod, "--out", str(audit_file))
    assert run.code == 1, run.stderr
    written = json.loads(audit_file.read_text(encoding="utf-8"))
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "enclave.cli", "report", *moto_prod, "--out", str(out), "--audit", str(audit_file)],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # the preview passes; the live account's mandatory findings fail it
    assert "Traceback" not in proc.stderr
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    checks = {r["check"]: r for r in data["rows"] if r["source"] == "audit"}
    by_status: dict[str, set[tuple[str, str]]] = {}
    for r in checks.values():
        by_status.setdefault(r["status"], set()).add((r["control"], r["resource"]))
    assert by_status["fail"] == {(f["control"], f["resource"]) for f in written["findings"]}
    assert by_status["drift"] == {(d["control"], d["resource"]) for d in written["drift"]}
    assert by_status["not verified"] == {
        (c, f"account {written['account']}") for c in ("DETECT-06", "EKS-04", "EKS-05", "EKS-06", "S3-02")
    }
    assert sum(1 for r in checks.values() if r["status"] == "fail") == len(written["findings"]) == 46
    assert data["totals"]["preview"]["fail"] == 0 and data["totals"]["audit"]["pass"] == 0
    verdicts = {s["citation"]: s["verdict"] for s in data["safeguards"]}
    for f in written["findings"]:
        assert all(verdicts[c] == "not met" for c in f["citations"]), f
    html = (out / "index.html").read_text(encoding="utf-8")
    assert all(f["control"] in html for f in written["findings"])
    with (out / "findings.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert [r["check"] for r in csv_rows] == [r["check"] for r in data["rows"]]
