"""The report's three files: index.html, findings.csv and report.json, from the same rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..outputs import write_files
from .html import render_html
from .model import Report
from .rows import COLUMNS

HTML, CSV, JSON = "index.html", "findings.csv", "report.json"


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if v is None else v for k, v in row.record().items()})
    return out.getvalue()


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Render everything first, then write (a rendering error leaves the folder as it was)."""
    texts = {
        HTML: render_html(report),
        CSV: csv_text(report),
        JSON: json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
    }
    files = {out_dir / name: text for name, text in texts.items()}
    write_files(files, "--out")  # all three or none
    return list(files)
