"""Figures and tables of privilege drift and standing access; they draw, never compute.

Every builder takes frames from :mod:`analytics.metrics.privilege` (or
:mod:`analytics.metrics.identity`) and the caption parts; with nothing to draw it returns a
captioned sentence instead of an empty chart.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, display
from plotly.subplots import make_subplots

from analytics.charts import captioned, check_intro, period_of, sentence, table
from analytics.metrics.checks import Check
from analytics.metrics.identity import IdentityProfile

USED_COLOUR = "#2a6f97"
UNUSED_COLOUR = "#e07a5f"
ADDED_COLOUR = "#c0392b"
REMOVED_COLOUR = "#2a9d8f"
GRANTS_SOURCE = "authorization details and inventory grants; CloudTrail"
CREDENTIALS_SOURCE = "credential inventory and IAM credential report; CloudTrail"


def window(as_of: datetime, days: int) -> str:
    """The audit window ending at ``as_of``, as a caption period."""
    return period_of(as_of - timedelta(days=days), as_of)


def summary_table(
    checks: tuple[Check, ...],
    results: dict[str, tuple[pd.DataFrame, int]],
    *,
    period: str,
    title: str = "Checks of privilege and standing access",
    source: str = f"{GRANTS_SOURCE}; {CREDENTIALS_SOURCE}",
) -> HTML:
    """One row per check: what it tests, how many subjects it judged, failed and passed."""
    rows = []
    for check in checks:
        found, judged = results[check.check_id]
        counts = found["status"].value_counts()
        rows.append(
            {
                "check": check.check_id,
                "condition": check.title,
                "subject": check.subject,
                "judged": judged,
                "fail": int(counts.get("fail", 0)),
                "pass": int(counts.get("pass", 0)),
                "unknown": int(counts.get("unknown", 0)),
                "share failing": f"{counts.get('fail', 0) / judged:.0%}" if judged else "",
            }
        )
    return table(
        pd.DataFrame(rows),
        title,
        period=period,
        population="each check's subjects (the 'judged' column is its denominator)",
        source=source,
    )


def check_table(
    check: Check,
    result: tuple[pd.DataFrame, int],
    *,
    period: str,
    source: str,
    max_rows: int = 40,
) -> HTML:
    """One check: its condition, scope, denominator and counts, then its failing rows (the
    first and last of them past ``max_rows``; ``nhi-risk findings`` lists them all)."""
    rows, judged = result
    intro = check_intro(check, rows, judged)
    failing = rows[rows["status"] == "fail"]
    shown = failing[["subject_id", "severity", "reason", "owner_id", "team", "evidence"]]
    body = table(
        shown,
        f"Failing: {check.title}",
        period=period,
        population=f"{judged:,} judged, each a {check.subject}",
        source=source,
        max_rows=max_rows,
    )
    return HTML(intro + body.data)


def granted_used_figure(
    identities: pd.DataFrame, *, period: str, top: int = 25
) -> go.Figure | HTML:
    """Granted actions used and unused per identity, the ``top`` most unused first."""
    title = "Granted actions used and unused, per identity"
    population = f"the {top} non-human identities with most unused granted actions"
    judged = identities[identities["logs_cover"] & identities["older_than_window"]]
    if judged.empty:
        return sentence(
            title,
            "no identity with standing grants in an account the audit logs cover",
            period=period,
            population=population,
            source=GRANTS_SOURCE,
        )
    shown = judged.nlargest(top, "unused_actions").iloc[::-1]
    labels = shown["name"].fillna(shown["identity_id"]).astype(str)
    fig = _used_unused_bars(
        labels,
        (shown["used_actions"], "used"),
        (shown["unused_actions"], "granted, unused"),
        axis="distinct actions",
    )
    return captioned(fig, title, period=period, population=population, source=GRANTS_SOURCE)


def _used_unused_bars(
    labels: pd.Series | pd.Index,
    used: tuple[pd.Series, str],
    unused: tuple[pd.Series, str],
    *,
    axis: str,
) -> go.Figure:
    """Horizontal stacked bars, one per label: the used part, then the unused part."""
    fig = go.Figure()
    for (values, name), colour in ((used, USED_COLOUR), (unused, UNUSED_COLOUR)):
        fig.add_bar(y=labels, x=values, orientation="h", name=name, marker_color=colour)
    fig.update_layout(barmode="stack", height=max(360, 22 * len(labels) + 160), xaxis_title=axis)
    return fig


def services_figure(by_service: pd.DataFrame, *, period: str) -> go.Figure | HTML:
    """Per service: identities granted it, and of those, identities that used it."""
    title = "Services granted and services used"
    population = (
        "non-human identities with standing grants whose use the audit logs cover, per service"
    )
    if by_service.empty:
        return sentence(
            title,
            "no granted action",
            period=period,
            population=population,
            source=GRANTS_SOURCE,
        )
    per = (
        by_service.assign(used=by_service["used_actions"] > 0)
        .groupby("service")
        .agg(granted=("identity_id", "nunique"), used=("used", "sum"))
    )
    per = per.sort_values("granted").tail(30)
    fig = _used_unused_bars(
        per.index,
        (per["used"], "granted and used"),
        (per["granted"] - per["used"], "granted, never used"),
        axis="identities",
    )
    return captioned(fig, title, period=period, population=population, source=GRANTS_SOURCE)


def drift_figure(series: pd.DataFrame, *, as_of: datetime) -> go.Figure | HTML:
    """Action patterns gained and lost between consecutive snapshots, over all identities;
    the period runs from the first snapshot of the series to ``as_of``."""
    period = (
        period_of(series["from_at"].min(), as_of)
        if len(series)
        else f"snapshots up to {as_of:%Y-%m-%d}"
    )
    title = "Privilege drift between authorization-details snapshots"
    population = "non-human identities listed in both snapshots of each pair"
    source = "aws-authorization-details snapshots"
    if series.empty:
        return sentence(
            title,
            "fewer than two snapshots of an account, or no change between them",
            period=period,
            population=population,
            source=source,
        )
    per = series.groupby(["from_at", "to_at"], as_index=False).agg(
        added=("added", "sum"), removed=("removed", "sum"), identities=("identity_id", "nunique")
    )
    pairs = zip(per["from_at"], per["to_at"], strict=True)
    labels = [f"{a:%Y-%m-%d} → {b:%Y-%m-%d}" for a, b in pairs]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=per["added"],
        name="patterns gained",
        marker_color=ADDED_COLOUR,
        text=[f"{n} identities" for n in per["identities"]],
    )
    fig.add_bar(x=labels, y=-per["removed"], name="patterns lost", marker_color=REMOVED_COLOUR)
    fig.update_layout(barmode="relative", yaxis_title="action patterns", height=420)
    return captioned(fig, title, period=period, population=population, source=source)


def age_figure(
    ages: pd.DataFrame, *, period: str, max_age_days: int, rotation_days: int
) -> go.Figure | HTML:
    """Distributions of credential age and days since rotation, thresholds marked."""
    title = "Age and time since rotation of active credentials"
    population = f"{len(ages):,} active credentials of non-human identities"
    if ages.empty:
        return sentence(
            title,
            "no active credential",
            period=period,
            population=population,
            source=CREDENTIALS_SOURCE,
        )
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("days since creation", "days since creation or rotation")
    )
    for col, (column, limit) in enumerate(
        (("age_days", max_age_days), ("rotation_age_days", rotation_days)), start=1
    ):
        for never, colour, name in (
            (True, UNUSED_COLOUR, "never expires"),
            (False, USED_COLOUR, "expires"),
        ):
            part = ages[ages["never_expires"] == never]
            fig.add_histogram(
                x=part[column],
                name=name,
                marker_color=colour,
                xbins={"size": 30},
                showlegend=col == 1,
                legendgroup=name,
                row=1,
                col=col,
            )
        fig.add_vline(x=limit, line_dash="dash", annotation_text=f"{limit} days", row=1, col=col)
    fig.update_layout(barmode="stack", height=420, yaxis_title="credentials")
    return captioned(fig, title, period=period, population=population, source=CREDENTIALS_SOURCE)


def identity_view(item: IdentityProfile) -> None:
    """Display everything of :func:`analytics.metrics.identity.profile` in a notebook."""
    as_of = f"up to {item.as_of:%Y-%m-%d %H:%M} UTC"
    who = html.escape(item.identity_id)
    display(HTML(f"<h3>{who}</h3>"))
    parts = (
        (item.sources, "As each source describes it", "identity sources"),
        (item.owner, "Owner", "inventory directory"),
        (item.grants, "Standing grants in force", GRANTS_SOURCE),
        (item.credentials, "Credentials, use and workloads", CREDENTIALS_SOURCE),
        (
            item.findings[["check_id", "subject_id", "severity", "reason", "evidence"]],
            "Failing findings",
            "every check of the toolkit",
        ),
    )
    for frame, title, source in parts:
        display(table(frame, title, period=as_of, population=item.identity_id, source=source))
    if item.activity.empty:
        display(HTML("<p>No audit event names this identity.</p>"))
        return
    fig = go.Figure()
    for outcome, part in item.activity.groupby("outcome"):
        fig.add_bar(x=part["day"], y=part["events"], name=str(outcome))
    fig.update_layout(barmode="stack", height=320, yaxis_title="events per day")
    display(
        captioned(
            fig,
            "Audit events per day",
            period=period_of(item.activity["day"].min(), item.as_of),
            population=item.identity_id,
            source="CloudTrail",
        )
    )
