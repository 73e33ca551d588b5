"""The executive summary as one static HTML fragment: no script, no external resource.

The page is meant to be read in a mail client's browser, offline, and printed on one
page, so it is plain HTML and CSS; the trend lines are inline SVG drawn here from numbers.
Every value that comes from data (identity names, owners, check titles) is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import pandas as pd
from IPython.display import HTML

from analytics.metrics.summary import HEADLINES, ExecutiveSummary

ARROWS = {"up": "▲", "down": "▼", "same": "=", "new": ""}
KINDS = {
    "ai_agent": "AI agent",
    "iam_user": "IAM user",
    "iam_role": "IAM role",
    "service_account": "service account",
    "github_app": "GitHub app",
}
CSS = """\
.nhi-summary { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; color: #1f2328; max-width: 62rem; margin: 0 auto; padding: 1rem 1.25rem; }
.nhi-summary h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
.nhi-summary h2 { font-size: 1.15rem; margin: 1.25rem 0 .4rem; }
.nhi-summary .nhi-scope, .nhi-summary .nhi-compare { margin: .2rem 0; color: #444; }
.nhi-summary .nhi-tiles { display: grid; gap: .75rem;
  grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); margin-top: .75rem; }
.nhi-summary .nhi-tile { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; }
.nhi-summary .nhi-label { font-weight: 600; }
.nhi-summary .nhi-value { font-size: 1.7rem; font-weight: 700; margin: .1rem 0; }
.nhi-summary .nhi-trend { font-weight: 600; }
.nhi-summary .worse { color: #b3261e; } .nhi-summary .better { color: #1e7b34; }
.nhi-summary .same, .nhi-summary .new { color: #57606a; }
.nhi-summary .nhi-about, .nhi-summary .nhi-benchmark, .nhi-summary .nhi-note {
  font-size: 12px; color: #57606a; margin: .25rem 0 0; }
.nhi-summary table { border-collapse: collapse; width: 100%; font-size: 13px; }
.nhi-summary th, .nhi-summary td { border-bottom: 1px solid #d0d7de; padding: 4px 6px;
  text-align: left; vertical-align: top; }
.nhi-summary code { font-size: 12px; word-break: break-all; }
.nhi-summary ol li { margin-bottom: .35rem; }
.nhi-summary svg { display: block; margin-top: .25rem; }
@media print { .nhi-summary { max-width: none; padding: 0; font-size: 11px; }
  .nhi-summary .nhi-tiles { grid-template-columns: repeat(3, 1fr); } }
"""


def page(brief: ExecutiveSummary) -> HTML:
    """The whole executive summary: scope, headline tiles, risks, next actions."""
    esc = html.escape
    if brief.previous_run:
        compare = (
            f"Trends compare with the previous report run, {esc(brief.previous_run)} "
            f"(as of {_day(brief.previous_as_of)})."
        )
    else:
        compare = "No earlier report run on this warehouse: trends appear from the next run."
    compared = brief.previous_run is not None
    tiles = "\n".join(
        _tile(row, brief.history, compared) for row in brief.headlines.to_dict("records")
    )
    run = esc(brief.run_id) if brief.run_id else "none (computed when opened)"
    return HTML(
        f"<style>{CSS}</style>\n"
        f'<article class="nhi-summary">\n'
        f"<h1>Non-human identity risk: executive summary</h1>\n"
        f'<p class="nhi-scope">{esc(brief.scope)}</p>\n'
        f'<p class="nhi-compare">{compare}</p>\n'
        f'<section class="nhi-tiles">\n{tiles}\n</section>\n'
        f"{_risks(brief)}\n{_actions(brief)}\n"
        f'<p class="nhi-note">Report run {run}; every number is as of '
        f"{brief.as_of:%Y-%m-%d %H:%M} UTC unless its tile says otherwise. The analyst pages "
        f"of the same run show how each number is computed and list every finding.</p>\n"
        f"</article>"
    )


def _tile(row: dict[str, Any], recorded: pd.DataFrame, compared: bool) -> str:
    esc = html.escape
    metric = str(row["metric"])
    unit = next(h.unit for h in HEADLINES if h.metric == metric)
    direction = str(row["direction"])
    assessment = str(row["assessment"]) or "new"
    if direction == "new" and not compared:
        trend = "no earlier run"
    elif direction == "new":
        trend = "not comparable: one of the two runs has no value"
    elif direction == "same":
        trend = "= unchanged since the previous run"
    else:
        change = _change(row["change"], unit)
        trend = f"{ARROWS[direction]} {change} since the previous run ({assessment})"
    points = recorded.loc[recorded["metric"] == metric, "value"].dropna().tolist()
    benchmark = str(row["benchmark"])
    return (
        f'<div class="nhi-tile" data-metric="{esc(metric)}" data-direction="{esc(direction)}">'
        f'<div class="nhi-label">{esc(str(row["label"]))}</div>'
        f'<div class="nhi-value">{esc(str(row["shown"]))}</div>'
        f'<div class="nhi-trend {esc(assessment)}">{esc(trend)}</div>'
        f"{_sparkline(points, str(row['label']))}"
        + (f'<p class="nhi-benchmark">{esc(benchmark)}</p>' if benchmark else "")
        + f'<p class="nhi-about">Period: {esc(str(row["period"]))} · '
        f"Population: {esc(str(row['population']))} · Source: {esc(str(row['source']))}</p>"
        "</div>"
    )


def _change(change: float, unit: str) -> str:
    if unit == "days":
        return f"{change:+,.1f} days"
    if unit == "share":
        return f"{change * 100:+.1f} points"
    return f"{change:+,.0f}"


def _sparkline(points: list[float], label: str, width: int = 160, height: int = 28) -> str:
    """An inline SVG line of the recorded values, oldest left; nothing under two points."""
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = width / (len(points) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 3 - (value - low) / span * (height - 6):.1f}"
        for i, value in enumerate(points)
    )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{html.escape(label)}: last {len(points)} report runs</title>"
        f'<polyline fill="none" stroke="#57606a" stroke-width="1.5" points="{coords}"/></svg>'
    )


def _risks(brief: ExecutiveSummary) -> str:
    esc = html.escape
    caption = (
        f'<p class="nhi-about">Period: as of {brief.as_of:%Y-%m-%d}, activity in the 90 days '
        f"before · Population: identities and other subjects with at least one failing "
        f"finding, ranked by the severity of their distinct failing checks (a triage order, "
        f"not a measured risk) · Source: every check of the toolkit</p>"
    )
    if brief.risks.empty:
        return f"<h2>Where the risk is</h2>{caption}<p><em>No check failed.</em></p>"
    rows = []
    for rank, risk in enumerate(brief.risks.itertuples(), start=1):
        why = list(risk.why)
        shown = "; ".join(why[:3]) + (f"; and {len(why) - 3} more" if len(why) > 3 else "")
        rows.append(
            f"<tr><td>{rank}</td><td><code>{esc(str(risk.subject))}</code></td>"
            f"<td>{esc(KINDS.get(risk.kind, str(risk.kind).replace('_', ' ')))}</td>"
            f"<td>{esc(_owner(risk.owner, risk.owner_name, risk.owner_left))}</td>"
            f"<td>{esc(str(risk.worst))}</td><td>{esc(shown)}</td></tr>"
        )
    return (
        "<h2>Where the risk is</h2>"
        f"{caption}<table><thead><tr><th>#</th><th>Identity or subject</th><th>Kind</th>"
        "<th>Owner</th><th>Worst</th><th>Why (failing checks, worst first)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _actions(brief: ExecutiveSummary) -> str:
    esc = html.escape
    if brief.actions.empty:
        return "<h2>What to do next</h2><p><em>No check failed: nothing to do.</em></p>"
    items = []
    for action in brief.actions.itertuples():
        controls = f"; evidence for {esc(action.controls)}" if action.controls else ""
        items.append(
            f"<li><strong>{esc(action.action)}</strong><br>"
            f'<span class="nhi-about">{action.failing:,} of {action.judged:,} judged fail '
            f"“{esc(action.title)}” (<code>{esc(action.check_id)}</code>, "
            f"{esc(action.severity)}){controls}.</span></li>"
        )
    return (
        "<h2>What to do next</h2>"
        f'<p class="nhi-about">Period: as of {brief.as_of:%Y-%m-%d} · Population: the '
        f"subjects each check judged · Source: the failing checks, worst severity first, "
        f"then the most subjects failing</p><ol>{''.join(items)}</ol>"
    )


def _owner(person_id: str | None, name: str | None, left: bool) -> str:
    if not person_id:
        return "no owner"
    shown = f"{name} ({person_id})" if name else person_id
    return f"{shown}, has left" if left else shown


def _day(instant: datetime | None) -> str:
    return "?" if instant is None else f"{instant:%Y-%m-%d}"
