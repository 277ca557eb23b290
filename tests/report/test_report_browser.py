"""The report opened in a real browser: headless Chromium (Debian's `chromium`, driven by
Playwright without any browser download) loads it with no console error and no request but the
file itself, every chart has drawn marks, and a full-page screenshot is kept for a person to look
at: bench-out/report-screenshot.png (and the test's tmp folder).

Without Chromium or Playwright the test is skipped with the reason; under CI (CI=true), where
.ci/run installs Chromium, a missing browser fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SCREENSHOT = Path(__file__).resolve().parents[2] / "bench-out" / "report-screenshot.png"

# Flags that work on this kind of machine: no sandbox (root in a container), no GPU, and none of
# Chromium's own background traffic, so every request seen comes from the page.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    found = os.environ.get("ZAITAKU_CHROMIUM") or shutil.which("chromium") or ""
    if not found:
        for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
            if Path(candidate).exists():
                found = candidate
    if found:
        return found
    reason = (
        "no Chromium to open the report in: `apt-get install chromium fonts-ipaexfont-gothic` "
        "(Debian) or set ZAITAKU_CHROMIUM"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason} — .ci/run installs it, so under CI this is an error")
    pytest.skip(reason)


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (it is in requirements.lock)")
        pytest.skip("playwright is not installed: `make install` installs it")
    return sync_playwright


# Per chart: how many marks (value-carrying shapes, ids containing "-mark-") have a visible size.
_MARKS_JS = """
() => Array.from(document.querySelectorAll('figure.chart')).map(fig => {
  const svg = fig.querySelector('svg');
  const marks = Array.from(fig.querySelectorAll('[id*="-mark-"]')).filter(g => {
    const box = g.getBBox();
    return box.width > 0 || box.height > 0;
  });
  const shown = svg.getBoundingClientRect();
  return {id: fig.id, marks: marks.length, width: shown.width, height: shown.height};
})
"""


@dataclass
class Visit:
    requests: list[str]
    console: list[str]
    errors: list[str]
    charts: list[dict[str, Any]]
    web_fonts: int
    suppressed: list[str]
    title: str
    screenshot: Path


def open_in_chromium(page_file: Path, tmp_path: Path) -> Visit:
    """Open the file as a person would (file:// URL) and record every request the page makes:
    the file itself is served, anything else is blocked and recorded."""
    executable = _chromium()
    sync_playwright = _sync_playwright()
    url = page_file.resolve().as_uri()
    requests: list[str] = []
    console: list[str] = []
    errors: list[str] = []

    def route(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile: no cache, no extension, no history
            executable_path=executable,
            headless=True,
            args=FLAGS,
            viewport={"width": 1200, "height": 900},
            locale="ja-JP",
        )
        try:
            context.route("**/*", route)
            page = context.new_page()
            page.on(
                "console",
                lambda m: (
                    console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            shot = tmp_path / "screenshot.png"
            page.screenshot(path=str(shot), full_page=True)
            return Visit(
                requests=requests,
                console=console,
                errors=errors,
                charts=page.evaluate(_MARKS_JS),
                web_fonts=page.evaluate("() => document.fonts.size"),
                suppressed=page.evaluate(
                    "() => Array.from(document.querySelectorAll('td.suppressed'))"
                    ".map(td => td.textContent)"
                ),
                title=page.title(),
                screenshot=shot,
            )
        finally:
            context.close()


def test_report_in_headless_chromium(demo_report, tmp_path: Path) -> None:
    visit = open_in_chromium(demo_report.html_path, tmp_path)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(visit.screenshot, SCREENSHOT)
    print(f"\nscreenshot of the report: {SCREENSHOT}")

    assert visit.requests == [demo_report.html_path.resolve().as_uri()]
    assert visit.console == [] and visit.errors == []
    assert visit.web_fonts == 0
    assert visit.title == "岩手県 在宅医療の需給の状況"
    expected = [c for s in json.loads(demo_report.json_summary)["sections"] for c in s["charts"]]
    assert [c["id"] for c in visit.charts] == expected
    for chart in visit.charts:
        assert chart["marks"] > 0, chart
        assert chart["width"] > 900 and chart["height"] > 200, chart
    assert visit.suppressed and set(visit.suppressed) == {"-"}
    assert visit.screenshot.stat().st_size > 100_000


def test_the_browser_check_catches_requests_and_errors(tmp_path: Path) -> None:
    """The checks above are not vacuous: a page with an outside image, a web font, a script
    error and a chart without marks is caught on every count."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><style>@font-face{font-family:x;"
        "src:url(https://fonts.example/x.woff2)} body{font-family:x}</style></head><body>"
        '<img src="http://example.com/logo.png"><figure class="chart" id="c"><svg width="10" '
        'height="10"></svg></figure><script>console.error("boom"); undefinedCall();</script>'
        "</body></html>",
        encoding="utf-8",
    )
    visit = open_in_chromium(page, tmp_path)
    assert visit.requests[0] == page.resolve().as_uri()
    assert "http://example.com/logo.png" in visit.requests
    assert "https://fonts.example/x.woff2" in visit.requests
    assert any("boom" in line for line in visit.console)
    assert any("undefinedCall" in e for e in visit.errors)
    assert visit.web_fonts == 1
    assert visit.charts == [{"id": "c", "marks": 0, "width": 10, "height": 10}]
