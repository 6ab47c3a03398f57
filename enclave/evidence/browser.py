"""Debian's chromium, headless, driven by playwright (a dev requirement): for the report's browser test and
`make screenshot`. Never a browser playwright downloads (`playwright install` is not used)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MISSING = "run `make tools` (it installs Debian's chromium) and `make .venv/.dev` (playwright)"


class BrowserMissing(Exception):
    """chromium or playwright is not installed: the message says `make tools`."""


def launch(playwright: Any) -> Any:
    """A headless chromium from /usr/bin/chromium."""
    if not CHROMIUM.exists():
        raise BrowserMissing(f"{CHROMIUM} not found: {MISSING}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)


def sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        raise BrowserMissing(f"the playwright package is not installed: {MISSING}") from None
    return start()


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1760) -> None:
    """The top `height` pixels of the page at `width`, as PNG."""
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
            )
            page.goto(html.resolve().as_uri())
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png), full_page=False)
        finally:
            browser.close()


if __name__ == "__main__":
    import sys

    try:
        screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
    except BrowserMissing as exc:
        sys.exit(str(exc))
