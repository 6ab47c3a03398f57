"""The report page: jinja2 templates shipped with the package (autoescaped), rendered to one self-contained
HTML file (inline CSS and SVG, nothing fetched)."""

from __future__ import annotations

import re

from jinja2 import Environment, PackageLoader, StrictUndefined

from .model import Report
from .rows import STATUSES


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "none"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("enclave.evidence", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["slug"] = slug
    return env


def render_html(report: Report) -> str:
    return (
        environment()
        .get_template("report.html.j2")
        .render(report=report, facts=report.facts, statuses=STATUSES, picture=report.picture)
    )
