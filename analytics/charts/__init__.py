"""Figures and tables for notebooks: offline, captioned, and without a "send to cloud" path.

Every figure and table carries a caption stating its period, its population (what is
counted, the denominator of any rate) and its data source, so a chart copied out of a
report still says what it shows.

Rendering: :func:`setup_notebook` embeds plotly.js once, in the output of the notebook's
setup cell, and makes every later figure a plain ``<div>`` plus a ``Plotly.newPlot`` call
(the ``nhi_risk_offline`` renderer) with no CDN script and no MathJax. The setup cell must
stay in the rendered page (the report hides code, never outputs), or no chart will draw.
``plotly_mimetype`` is rendered alongside, so JupyterLab keeps its native plotly viewer.

Figures of one topic live in a module of their own: :mod:`analytics.charts.ttr` for time to
remediate leaked secrets.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML, display
from plotly.io.base_renderers import MimetypeRenderer
from plotly.offline import get_plotlyjs

from analytics.config import resolve_db
from analytics.metrics import resolve_as_of
from analytics.metrics.checks import Check
from analytics.warehouse import connect

log = logging.getLogger(__name__)

RENDERER = "nhi_risk_offline"
CONFIG: dict[str, Any] = {
    "displaylogo": False,
    # plotly.js 4 offers to upload the chart's data unless told not to: a leak path.
    "showSendToCloud": False,
    "modeBarButtonsToRemove": ["sendChartToCloud"],
}
GAP_COLOUR = "#c0392b"
_TITLE_MARGIN = 96
# A figure's caption longer than this wraps at its " · " separators: plotly clips a subtitle
# that is wider than the figure rather than wrapping it.
_CAPTION_LINE = 140
_CAPTION_LINE_HEIGHT = 16


class Setup(NamedTuple):
    """What a notebook works with after :func:`setup_notebook`."""

    con: duckdb.DuckDBPyConnection
    as_of: datetime
    db: Path


class _OfflineRenderer(MimetypeRenderer):
    """A figure as HTML that expects plotly.js on the page already; no CDN, no MathJax."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        page = pio.to_html(
            fig_dict,
            config=self.config,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            validate=False,
        )
        return {"text/html": page}


def setup_notebook(
    db: str | Path | None = None, as_of: str | datetime | None = None, *, figures: bool = True
) -> Setup:
    """Prepare a notebook in one call: plotting, pandas display, warehouse, parameters.

    Registers the offline renderer with :data:`CONFIG`, embeds plotly.js in this cell's
    output, sets pandas display limits, opens the warehouse read-only and resolves the
    as-of (see :func:`analytics.metrics.resolve_as_of`). It displays the warehouse path and
    the as-of, so the page states what it describes.

    Parameters
    ----------
    db
        The warehouse file; ``None`` resolves ``$NHI_RISK_DB`` or ``data/warehouse.duckdb``.
    as_of
        The instant the notebook describes; ``None`` is the newest time in the data.
    figures
        ``False`` for a page without plotly figures (the executive summary): no plotly.js,
        no script at all, and no parameter line, since such a page states its own as-of.
    """
    pd.set_option("display.max_rows", 100)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.width", 200)
    path = resolve_db(db)
    con = connect(path, read_only=True)
    instant = resolve_as_of(con, as_of)
    log.info("notebook set up on %s as of %s", path, instant.isoformat())
    if not figures:
        return Setup(con, instant, path)
    pio.renderers[RENDERER] = _OfflineRenderer(CONFIG)
    pio.renderers["plotly_mimetype"].config = CONFIG
    pio.renderers.default = f"{RENDERER}+plotly_mimetype"
    pio.templates.default = "plotly_white"
    display(
        HTML(
            "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
            f"<script>{get_plotlyjs()}</script>\n"
            f'<p class="nhi-parameters">Warehouse <code>{html.escape(str(path))}</code>, '
            f"as of <strong>{instant:%Y-%m-%d %H:%M:%S} UTC</strong>.</p>"
        )
    )
    return Setup(con, instant, path)


def caption(period: str, population: str, source: str) -> str:
    """Return the one-line caption every figure and table carries."""
    return f"Period: {period} · Population: {population} · Source: {source}"


def sentence(title: str, text: str, *, period: str, population: str, source: str) -> HTML:
    """A captioned sentence that stands where a figure would, when there is nothing to draw."""
    return HTML(
        f'<figure class="nhi-table"><figcaption><strong>{html.escape(title)}</strong>'
        f"<br><small>{html.escape(caption(period, population, source))}</small>"
        f"</figcaption><p><em>{html.escape(text)}</em></p></figure>"
    )


def period_of(start: datetime | date | None, end: datetime | date | None) -> str:
    """Return ``"2024-07-30 to 2024-11-30 (UTC)"``; ``"no data"`` when either end is missing."""
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return "no data"
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC)"


def captioned(
    fig: go.Figure, title: str, *, period: str, population: str, source: str
) -> go.Figure:
    """Give ``fig`` a title and, as its subtitle, the caption; return it for display.

    Text is HTML-escaped, because plotly reads a few tags (links, bold) in titles. A long
    caption is set on several lines, broken between period, population and source.
    """
    lines = [f"Period: {period}"]
    for part in (f"Population: {population}", f"Source: {source}"):
        if len(lines[-1]) + len(part) + 3 <= _CAPTION_LINE:
            lines[-1] += f" · {part}"
        else:
            lines.append(part)
    fig.update_layout(
        title={
            "text": html.escape(title),
            "x": 0,
            "xanchor": "left",
            "subtitle": {"text": "<br>".join(html.escape(line) for line in lines)},
        },
        margin={"t": _TITLE_MARGIN + _CAPTION_LINE_HEIGHT * (len(lines) - 1)},
    )
    return fig


def table(
    frame: pd.DataFrame,
    title: str,
    *,
    period: str,
    population: str,
    source: str,
    max_rows: int = 200,
) -> HTML:
    """Return ``frame`` as an HTML table under a captioned heading; every cell escaped.

    An empty frame shows "None." rather than an empty grid, so "nothing failed" reads as
    a statement. Longer frames show their first and last rows, ``max_rows`` in all. Times
    with a zone are shown in UTC to the second; a missing value is a blank cell.
    """
    heading = (
        f"<figcaption><strong>{html.escape(title)}</strong> ({len(frame):,} rows)"
        f"<br><small>{html.escape(caption(period, population, source))}</small>"
        f"</figcaption>"
    )
    shown = frame.copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.DatetimeTZDtype):
            shown[column] = shown[column].dt.tz_convert(UTC).dt.strftime("%Y-%m-%d %H:%M:%S")
        elif shown[column].dtype == object:
            # to_html's na_rep covers NaN only; None in a text column would print "None".
            shown[column] = shown[column].where(shown[column].notna(), "")
    body = (
        shown.to_html(index=False, na_rep="", border=0, max_rows=max_rows, escape=True)
        if len(shown)
        else "<p><em>None.</em></p>"
    )
    return HTML(f'<figure class="nhi-table">{heading}{body}</figure>')


def check_intro(check: Check, rows: pd.DataFrame, judged: int) -> str:
    """The HTML lines above a check's failing rows: its condition and id, its denominator
    with how many subjects fail, pass and are unknown, and its scope note."""
    counts = rows["status"].value_counts()
    return (
        f"<p><strong>{html.escape(check.title)}</strong> "
        f"<code>{html.escape(check.check_id)}</code><br>"
        f"Judged: {judged:,} (each a {html.escape(check.subject)}); "
        f"{counts.get('fail', 0):,} fail, {counts.get('pass', 0):,} pass, "
        f"{counts.get('unknown', 0):,} unknown.<br>"
        f"<em>Scope: {html.escape(check.scope)}</em></p>"
    )


def loaded_figure(loaded: pd.DataFrame) -> go.Figure:
    """Return stacked bars of records loaded, rejected and duplicate per source kind.

    ``loaded`` is :func:`analytics.overview.loaded_by_kind`.
    """
    fig = go.Figure()
    for column, name in (
        ("records_loaded", "loaded"),
        ("records_rejected", "rejected"),
        ("records_duplicate", "already loaded (duplicate)"),
    ):
        fig.add_bar(
            y=loaded["kind"],
            x=loaded[column],
            name=name,
            orientation="h",
            hovertemplate="%{y}: %{x:,} records " + name + "<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        xaxis_title="records read",
        yaxis={"type": "category", "automargin": True},
        height=180 + 40 * max(len(loaded), 1),
        legend={"orientation": "h", "traceorder": "normal"},
    )
    return captioned(
        fig,
        "Records read per source kind",
        period="every ingest so far",
        population="records read from files given to ingest",
        source="ingest_files",
    )


def coverage_figure(
    per_day: pd.DataFrame, gaps: pd.DataFrame, *, as_of: datetime, gap_days: int
) -> go.Figure:
    """Return a dot per account and day with events, and a bar over each coverage gap.

    ``per_day`` is :func:`analytics.overview.events_per_day`; ``gaps`` is
    :func:`analytics.overview.coverage_gaps` with the same ``gap_days``. A gap bar spans
    its event-free days in full, so a one-day gap is visible too.
    """
    accounts = per_day["account_id"].nunique()
    sources = sorted({kind for cell in per_day["sources"] for kind in cell.split(", ")})
    fig = go.Figure()
    fig.add_scatter(
        x=per_day["day"],
        y=per_day["account_id"],
        mode="markers",
        name="day with events",
        customdata=per_day["events"],
        marker={
            "color": per_day["events"],
            "colorscale": "Viridis",
            "size": 9,
            "colorbar": {"title": {"text": "events a day"}},
        },
        hovertemplate="%{y}<br>%{x|%Y-%m-%d}: %{customdata:,} events<extra></extra>",
    )
    xs: list[object] = []
    ys: list[object] = []
    for gap in gaps.itertuples(index=False):
        xs += [gap.gap_start, gap.gap_end + timedelta(days=1), None]
        ys += [gap.account_id, gap.account_id, None]
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=f"{gap_days}+ days without events",
        line={"color": GAP_COLOUR, "width": 6},
        hoverinfo="skip",
    )
    fig.update_layout(
        xaxis_title="day (UTC)",
        yaxis={
            "title": "account",
            "type": "category",
            "categoryorder": "category descending",
            "automargin": True,
        },
        height=max(320, 200 + 24 * accounts),
        legend={"orientation": "h", "y": -0.15},
    )
    start = per_day["day"].min() if len(per_day) else None
    return captioned(
        fig,
        "Audit-log coverage per account",
        period=period_of(start, as_of),
        population=f"{accounts:,} accounts with at least one event",
        source=f"events table ({', '.join(sources) or 'no audit logs loaded'})",
    )
