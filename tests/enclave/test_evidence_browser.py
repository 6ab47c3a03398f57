"""The evidence report in a real headless browser (Debian's chromium through playwright): the page loads from
file:// without a single other request, logs no error, shows the counts report.json holds, draws every zone
and every declared flow, and leaves a full-page screenshot for CI (out/ci-artifacts/report.png).

Fails, never skips, when chromium or playwright is missing: `make tools` installs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components.config import validate_platform
from enclave.cli import app
from enclave.evidence.browser import BrowserMissing, launch, sync_playwright
from enclave.evidence.rows import STATUSES
from enclave.reach import _port_strings
from enclave.render import collect
from enclave.synth import PROJECT_ROOT
from tests.conftest import stack_data

ARTIFACT = PROJECT_ROOT / "out" / "ci-artifacts" / "report.png"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "prod-report"
    result = CliRunner().invoke(app, ["report", "--stack", "prod", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def page(written: Path) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """The page, loaded; with what it logged and every request that was not for a file."""
    seen: dict[str, list[str]] = {"console": [], "errors": [], "blocked": [], "failed": []}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                tab = browser.new_page(viewport={"width": 1280, "height": 900})

                def route(r: Any) -> None:
                    if r.request.url.startswith("file:"):
                        r.continue_()
                    else:
                        seen["blocked"].append(r.request.url)
                        r.abort()

                tab.route("**/*", route)
                tab.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
                tab.on("pageerror", lambda e: seen["errors"].append(str(e)))
                tab.on("requestfailed", lambda r: seen["failed"].append(r.url))
                tab.goto((written / "index.html").as_uri(), wait_until="load")
                yield tab, seen
            finally:
                browser.close()
    except BrowserMissing as exc:
        pytest.fail(f"the browser test needs chromium and playwright: {exc}")


def test_loads_without_requests_or_errors(page: tuple[Any, dict[str, list[str]]]) -> None:
    tab, seen = page
    assert tab.title() == "HIPAA evidence: prod (gpu-enclave)"
    assert seen["blocked"] == [], f"the page tried to fetch {seen['blocked']}"
    assert seen["failed"] == [], seen["failed"]
    assert seen["errors"] == [], seen["errors"]
    assert [m for m in seen["console"] if m.startswith(("error", "warning"))] == []


def test_counts_on_the_page_are_report_json(page: tuple[Any, dict[str, list[str]]], written: Path) -> None:
    tab, _ = page
    data = json.loads((written / "report.json").read_text(encoding="utf-8"))
    for source in ("all", "preview"):
        row = tab.locator(f'tr.total[data-source="{source}"]')
        cells = row.locator("td").all_inner_texts()
        expected = data["totals"][source]
        assert cells == [str(expected[s]) for s in STATUSES] + [str(expected["total"])], source
        assert row.get_attribute("data-total") == str(expected["total"])
    shown = tab.locator("tr.safeguard-summary")
    assert shown.count() == len(data["safeguards"])
    for i, sg in enumerate(data["safeguards"]):
        row = shown.nth(i)
        assert row.get_attribute("data-citation") == sg["citation"]
        cells = row.locator("td").all_inner_texts()
        assert cells[2 : 2 + len(STATUSES)] == [str(sg["counts"][s]) for s in STATUSES], sg["citation"]
        assert cells[-1].strip() == sg["verdict"] == row.get_attribute("data-verdict")
    assert tab.locator("tr.row").count() == len(data["rows"])
    for status in STATUSES:
        assert tab.locator(f'tr.row[data-status="{status}"]').count() == sum(
            1 for r in data["rows"] if r["status"] == status
        ), status


def test_the_picture_shows_every_zone_and_flow(page: tuple[Any, dict[str, list[str]]], synthed: Any) -> None:
    tab, _ = page
    cfg = validate_platform(stack_data("prod"))
    rendered = collect(synthed("prod"))
    zones = {o["metadata"]["labels"]["enclave.dev/zone"] for o in rendered.all_objects() if o["kind"] == "Namespace"
             and "enclave.dev/zone" in o["metadata"].get("labels", {})}  # fmt: skip
    assert zones == {z.name for z in cfg.zones}
    svg = tab.locator("svg#zone-picture")
    assert svg.is_visible()
    for zone in zones:
        box = svg.locator(f'g.zone[data-zone="{zone}"]')
        assert box.count() == 1 and box.locator("rect").is_visible(), zone
        assert box.locator("text.zone-name").text_content() == zone
    assert svg.locator("g.zone").count() == len(zones)
    flows = {(f.source, f.target): ", ".join(sorted(_port_strings(f.ports), key=_order)) for f in cfg.flows}
    drawn = {
        (g.get_attribute("data-from"), g.get_attribute("data-to")): g.locator("text").text_content()
        for g in svg.locator("g.flow").all()
    }
    assert drawn == flows
    for g in svg.locator("g.flow").all():
        assert g.locator("path").get_attribute("marker-end") == "url(#arrowhead)"
        assert g.locator("path").bounding_box() is not None


def _order(port: str) -> tuple[int, str]:
    number = port.split(":", 1)[1].split("-", 1)[0]
    return (int(number), port)


def test_cross_check_status_is_shown(page: tuple[Any, dict[str, list[str]]]) -> None:
    tab, _ = page
    text = tab.locator("#cross-check strong").inner_text()
    assert text == "agrees with the declared flows" or text.startswith(("differs: ", "not run: ")), text
    assert "differs" not in text, text


def test_full_page_screenshot_for_ci(page: tuple[Any, dict[str, list[str]]]) -> None:
    tab, _ = page
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACT), full_page=True)
    assert ARTIFACT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
