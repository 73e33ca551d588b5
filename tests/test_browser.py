"""The report in a real browser: Debian's chromium, driven by Playwright, no browser download.

The default demo's report (``demo_report``) is opened from its ``index.html``, following
the index's links, in one headless Chromium for the module. Each page's requests that
would leave the machine are recorded and aborted, its console errors and uncaught script
errors collected, its plotly figures checked to be drawn, and the HTML payloads the demo
plants in log fields (``hostile_strings`` of ``planted.json``) looked for: shown as text,
never run. Screenshots go to ``reports/test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import plotly.graph_objects as go
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from plotly.offline import get_plotlyjs

from analytics import charts
from analytics.demo.hostile import AGENT_NAME, FILE_PATH, IMG_MARKER, SCRIPT_MARKER
from analytics.report import SUMMARY_PAGE
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "reports" / "test-artifacts"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLOTLY_BUNDLE = get_plotlyjs()[:400]
MB = 1_000_000
SUMMARY_BUDGET = 5 * MB
PAGE_BUDGET = 8 * MB
VIEWPORT = {"width": 1280, "height": 900}
DRAW_TIMEOUT_MS = 15_000
HEIGHTS = (3, 5)

# Every figure div that plotly's HTML export wrote, and what plotly.js drew in it: the
# class newPlot adds, the size of the main SVG, the data marks (trace paths, heatmap
# images, sankey links and nodes) and any sized canvas (WebGL traces).
_FIGURES = """() => [...document.querySelectorAll('.plotly-graph-div')].map((div) => {
  const svg = div.querySelector('svg.main-svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = [...div.querySelectorAll(
    'g.trace path, g.hm image, g.sankey path, g.sankey rect')]
    .filter((el) => el.tagName !== 'path' || (el.getAttribute('d') || '') !== '').length;
  const canvases = [...div.querySelectorAll('canvas')]
    .filter((c) => c.width > 0 && c.height > 0).length;
  return {id: div.id, taken: div.classList.contains('js-plotly-plot'),
          width: box.width, height: box.height, marks: marks, canvases: canvases};
})"""
_ALL_TAKEN = """() => [...document.querySelectorAll('.plotly-graph-div')]
  .every((div) => div.classList.contains('js-plotly-plot') && div.querySelector('svg.main-svg'))"""
# What a planted payload would leave behind had it run: the global it sets, and elements
# that only markup parsed from a value could have made (a script that holds the value as
# data, such as a figure's JSON, is not one).
_PWNED = "() => window.__nhiPwned === undefined ? null : String(window.__nhiPwned)"
_INJECTED = """() => document.querySelectorAll('img[onerror]').length
  + [...document.scripts].filter((s) => s.textContent.startsWith('window.__nhiPwned')).length"""
_LINKS = "els => els.map((el) => el.getAttribute('href'))"
_HOVER_SHOWS = "(t) => (document.querySelector('.hoverlayer')?.textContent ?? '').includes(t)"
_SVG_TEXTS = "() => [...document.querySelectorAll('svg text')].map((t) => t.textContent)"


@dataclass
class Visit:
    """What one page did in the browser."""

    name: str
    leaving: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    pwned: str | None = None
    injected: int = 0
    text: str = ""
    height: int = 0


def _local_only(leaving: list[str], route: Route) -> None:
    """Let local URLs load; record and abort anything bound for a network host."""
    url = route.request.url
    if url.startswith(LOCAL_SCHEMES):
        route.continue_()
    else:
        leaving.append(url)
        route.abort()


def _open(context: BrowserContext, path: Path) -> tuple[Page, Visit]:
    """Load ``path`` in a new tab that records what leaves, errors and figures."""
    page = context.new_page()
    visit = Visit(path.name)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.console_errors.append(message.text)

    page.route("**/*", lambda route: _local_only(visit.leaving, route))
    page.on("websocket", lambda socket: visit.leaving.append(socket.url))
    page.on("console", console)
    page.on("pageerror", lambda error: visit.script_errors.append(str(error)))
    page.goto(path.as_uri())
    # A figure still undrawn after the wait is no failure here: the figure test names it.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(_ALL_TAKEN, timeout=DRAW_TIMEOUT_MS)
    visit.figures = page.evaluate(_FIGURES)
    visit.links = page.eval_on_selector_all("a[href]", _LINKS)
    visit.pwned = page.evaluate(_PWNED)
    visit.injected = page.evaluate(_INJECTED)
    visit.text = page.evaluate("() => document.body.innerText")
    visit.height = page.evaluate("() => document.documentElement.scrollHeight")
    return page, visit


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian chromium for the module; the test fails when it is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no browser at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium, as .ci/run does); this test never downloads one",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def visits(demo_report, default_demo, browser: Browser) -> dict[str, Visit]:
    """``index.html`` and every page it links, by file name, each opened once.

    Screenshots: the executive summary's whole page, the first screen of the others, and
    the table row that shows each planted hostile string (``hostile-<page>-<n>.png``).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("*.png"):
        stale.unlink()
    hostile = default_demo["planted"]["hostile_strings"]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page, index = _open(context, demo_report.index)
        page.close()
        found = {index.name: index}
        for link in dict.fromkeys(index.links):
            if not link.endswith(".html") or "://" in link:
                continue
            page, found[link] = _open(context, demo_report.run_dir / link)
            stem = link.removesuffix(".html")
            page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=link == SUMMARY_PAGE)
            for number, entry in enumerate(hostile):
                row = page.locator("tr", has_text=entry["value"])
                if entry["page"] == stem and row.count():
                    row.first.screenshot(path=ARTIFACTS / f"hostile-{stem}-{number}.png")
            page.close()
        return found
    finally:
        context.close()


def _plotly_outputs(notebook: Path) -> int:
    cells = nbformat.read(notebook, as_version=4).cells
    return sum(
        PLOTLY_MIME in output.get("data", {})
        for cell in cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.mark.slow
def test_the_index_links_every_rendered_page_and_the_executive_summary(demo_report, visits):
    rendered = {page.html for page in demo_report.pages if page.html}
    linked = set(visits) - {"index.html"}

    assert demo_report.ok, [(p.notebook, p.error) for p in demo_report.failed]
    assert linked == rendered
    assert SUMMARY_PAGE in linked


@pytest.mark.slow
def test_no_page_requests_anything_from_the_network(visits):
    leaving = {name: visit.leaving for name, visit in visits.items() if visit.leaving}

    assert len(visits) > 2
    assert not leaving


@pytest.mark.slow
def test_no_page_logs_a_console_error_or_raises_a_script_error(visits):
    errors = {
        name: visit.console_errors + visit.script_errors
        for name, visit in visits.items()
        if visit.console_errors or visit.script_errors
    }

    assert not errors


@pytest.mark.slow
def test_every_plotly_figure_the_notebook_made_is_drawn_on_its_page(demo_report, visits):
    notebooks = {page.html: demo_report.run_dir / page.ipynb for page in demo_report.pages}
    counts, undrawn = {}, {}
    for name, visit in visits.items():
        expected = _plotly_outputs(notebooks[name]) if name in notebooks else 0
        counts[name] = (len(visit.figures), expected)
        bad = [
            figure
            for figure in visit.figures
            if not figure["taken"]
            or figure["width"] <= 0
            or figure["height"] <= 0
            or figure["marks"] + figure["canvases"] == 0
        ]
        if bad:
            undrawn[name] = bad

    assert {name: pair for name, pair in counts.items() if pair[0] != pair[1]} == {}
    assert sum(drawn for drawn, _ in counts.values()) > 0
    assert not undrawn


@pytest.mark.slow
def test_hostile_strings_from_logs_are_shown_as_text_and_never_run(default_demo, visits):
    planted = default_demo["planted"]["hostile_strings"]
    ran = {name: visit.pwned for name, visit in visits.items() if visit.pwned is not None}
    injected = {name: visit.injected for name, visit in visits.items() if visit.injected}
    hidden = [
        (entry["page"], entry["value"])
        for entry in planted
        if entry["value"] not in visits[f"{entry['page']}.html"].text
    ]

    assert {entry["source_kind"] for entry in planted} == {"agent-gateway", "gitleaks"}
    assert not ran, "a planted payload ran; its value says which"
    assert not injected, "markup from a log value became elements"
    assert not hidden, "a planted value is not shown as text where the manifest says"


@pytest.mark.slow
def test_pages_stay_within_their_size_budget_and_embed_plotly_once(demo_report, visits):
    figures = {name: len(visit.figures) for name, visit in visits.items()}
    sizes, bundles = {}, {}
    for name in visits:
        path = demo_report.run_dir / name
        sizes[name] = path.stat().st_size
        bundles[name] = path.read_text(encoding="utf-8").count(PLOTLY_BUNDLE)

    over = {
        name: size
        for name, size in sizes.items()
        if size >= (SUMMARY_BUDGET if name == SUMMARY_PAGE else PAGE_BUDGET)
    }
    assert not over
    assert {name: n for name, n in bundles.items() if figures[name] and n != 1} == {}
    assert {name: n for name, n in bundles.items() if n > 1} == {}


@pytest.mark.slow
def test_a_full_page_screenshot_of_the_executive_summary_is_kept(visits):
    header = (ARTIFACTS / "executive_summary.png").read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])

    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == VIEWPORT["width"]
    assert height == max(visits[SUMMARY_PAGE].height, VIEWPORT["height"])


def test_a_payload_written_into_a_page_unescaped_is_caught(browser: Browser, tmp_path: Path):
    # The control for the hostile-string test: the same probe sees each payload run when a
    # page does not escape it.
    caught = {}
    context = browser.new_context()
    try:
        for payload, sets in ((AGENT_NAME, SCRIPT_MARKER), (FILE_PATH, IMG_MARKER)):
            page_file = tmp_path / f"unescaped-{sets}.html"
            page_file.write_text(
                f"<!DOCTYPE html><html><body><p>{payload}</p></body></html>", encoding="utf-8"
            )
            _, visit = _open(context, page_file)
            caught[sets] = (visit.pwned, visit.injected)
    finally:
        context.close()

    assert caught == {SCRIPT_MARKER: (SCRIPT_MARKER, 1), IMG_MARKER: (IMG_MARKER, 1)}


def test_plotly_shows_hostile_labels_titles_and_hover_text_as_text(browser, tmp_path: Path):
    values = [AGENT_NAME, FILE_PATH]
    fig = go.Figure(go.Bar(x=values, y=HEIGHTS, hovertext=values, name=FILE_PATH))
    fig.update_layout(showlegend=True, xaxis_title=AGENT_NAME)
    charts.captioned(fig, AGENT_NAME, period="p", population="p", source=FILE_PATH)
    div = charts._OfflineRenderer(charts.CONFIG).to_mimebundle(fig.to_dict())["text/html"]
    page_file = tmp_path / "labels.html"
    page_file.write_text(
        f"<!DOCTYPE html><html><body><script>{get_plotlyjs()}</script>{div}</body></html>",
        encoding="utf-8",
    )
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page, visit = _open(context, page_file)
        hovered = []
        for bar, height in zip(page.locator(".bars .point path").all(), HEIGHTS, strict=True):
            # Plotly's drag layer covers the bars, so the mouse goes there, not the element;
            # plotly throttles hover, so wait for the label of this bar (its height).
            box = bar.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_function(_HOVER_SHOWS, arg=f", {height})")
            hovered.append(page.locator(".hoverlayer").text_content() or "")
        labels = page.evaluate(_SVG_TEXTS)
        pwned = page.evaluate(_PWNED)
    finally:
        context.close()

    assert visit.figures and visit.figures[0]["marks"] > 0
    assert (visit.pwned, pwned, visit.injected) == (None, None, 0)
    assert not visit.console_errors + visit.script_errors
    assert all(labels.count(value) >= 2 for value in values), "axis label and title or legend"
    assert len(hovered) == 2
    assert all(value in text for value, text in zip(values, hovered, strict=True))
