"""The time-to-remediate figures: the survival curve, SLA attainment, the cohort trend.

Each figure carries the caption of :func:`analytics.charts.caption`; with nothing to draw a
builder returns a captioned sentence instead of an empty chart.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML
from plotly.subplots import make_subplots

from analytics.charts import captioned, sentence
from analytics.charts.ttr.text import (
    BAND_COLOUR,
    CURVE_COLOUR,
    MEDIAN_COLOUR,
    NOT_REACHED,
    SURVEY_COLOUR,
    SURVEY_TEXT,
    ci_text,
    days_word,
    group_labels,
    share_text,
)
from analytics.metrics.survival import SurvivalCurve
from analytics.metrics.ttr import SURVEY_ESTIMATE_DAYS, sla_columns


def survival_figure(
    curve: SurvivalCurve,
    *,
    period: str,
    population: str,
    source: str,
    survey_days: float = SURVEY_ESTIMATE_DAYS,
    survey_label: str | None = None,
) -> go.Figure | HTML:
    """Return the Kaplan-Meier curve of the share of leaked secrets still exposed.

    The curve steps down at each remediation; ticks mark secrets still open at the as-of
    (censored), the shaded band is the pointwise 95% confidence band, and the median is
    marked where the curve reaches 50%. A dashed vertical line marks ``survey_days``, an
    industry survey's self-reported *mean*: a reference point for the reader, not a
    benchmark, since a mean of what respondents recall and a median estimated from
    detection records measure different things.

    Parameters
    ----------
    curve
        :func:`analytics.metrics.ttr.curve` of the population.
    period, population, source
        The caption (see :func:`about`).
    survey_days
        Where the reference line stands, in days.
    survey_label
        Its text; by default it names the survey and says why it is not comparable.

    Returns
    -------
    plotly.graph_objects.Figure or IPython.display.HTML
        The figure, or a captioned sentence when the population is empty.
    """
    title = "Share of leaked secrets still exposed, by days since detection"
    if curve.n == 0:
        return sentence(
            title,
            "No leaked secret is in the population, so there is no curve to draw.",
            period=period,
            population=population,
            source=source,
        )
    life = curve.to_frame()
    fig = go.Figure()
    fig.add_scatter(
        x=life["time"],
        y=life["ci_high"],
        mode="lines",
        line={"width": 0, "shape": "hv"},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.add_scatter(
        x=life["time"],
        y=life["ci_low"],
        mode="lines",
        line={"width": 0, "shape": "hv"},
        fill="tonexty",
        fillcolor=BAND_COLOUR,
        name="95% confidence band",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=life["time"],
        y=life["survival"],
        mode="lines",
        line={"color": CURVE_COLOUR, "width": 2.5, "shape": "hv"},
        name="still exposed (Kaplan-Meier)",
        customdata=life[["at_risk", "ci_low", "ci_high"]],
        hovertemplate=(
            "day %{x:.1f}: %{y:.0%} still exposed (95% CI %{customdata[1]:.0%} to "
            "%{customdata[2]:.0%}), %{customdata[0]} at risk<extra></extra>"
        ),
    )
    open_ = life[life["censored"] > 0]
    fig.add_scatter(
        x=open_["time"],
        y=open_["survival"],
        mode="markers",
        marker={"symbol": "line-ns-open", "size": 10, "color": CURVE_COLOUR},
        name="still open at the as-of (censored)",
        customdata=open_["censored"],
        hovertemplate="day %{x:.1f}: %{customdata} still open at the as-of<extra></extra>",
    )
    median = curve.percentile(0.5)
    fig.add_hline(y=0.5, line={"color": "#999999", "width": 1, "dash": "dot"})
    if median is not None:
        fig.add_scatter(
            x=[median],
            y=[0.5],
            mode="markers+text",
            marker={"color": MEDIAN_COLOUR, "size": 10, "symbol": "diamond"},
            text=[f"median {median:.1f} days ({ci_text(*curve.median_ci())})"],
            textposition="bottom right",
            name="median",
            hovertemplate="median: %{x:.1f} days<extra></extra>",
        )
    else:
        fig.add_annotation(
            x=1,
            xref="paper",
            y=0.49,
            xanchor="right",
            yanchor="top",
            text="median not reached: fewer than half remediated so far",
            showarrow=False,
            bgcolor="rgba(255, 255, 255, 0.85)",
            font={"color": MEDIAN_COLOUR},
        )
    label = survey_label or SURVEY_TEXT.format(days=f"{survey_days:g}")
    fig.add_vline(x=survey_days, line={"color": SURVEY_COLOUR, "width": 2, "dash": "dash"})
    fig.add_annotation(
        x=survey_days,
        y=0.02,
        xanchor="left",
        yanchor="bottom",
        align="left",
        text="<br>".join(html.escape(line) for line in textwrap.wrap(label, 48)),
        showarrow=False,
        bgcolor="rgba(255, 255, 255, 0.85)",
        font={"color": SURVEY_COLOUR, "size": 11},
    )
    longest = float(life["time"].max())
    fig.update_layout(
        xaxis={
            "title": "days since first detection",
            "range": [0, max(longest, survey_days) * 1.03],
        },
        yaxis={"title": "share still exposed", "tickformat": ".0%", "range": [0, 1.03]},
        height=480,
        legend={"orientation": "h", "y": -0.18},
    )
    return captioned(fig, title, period=period, population=population, source=source)


def sla_figure(
    breakdown: pd.DataFrame,
    slas: Sequence[float],
    by: str,
    *,
    period: str,
    population: str,
    source: str,
) -> go.Figure | HTML:
    """Return bars of the share remediated within each SLA, one group of bars per ``by``.

    ``breakdown`` is :func:`analytics.metrics.ttr.breakdown` with the same ``by`` and
    ``slas``. Each group's label gives its population size (``n``), because a share of
    three secrets says far less than a share of three hundred. Shares are Kaplan-Meier
    estimates: a secret opened recently counts as unknown beyond its age, not as a miss.
    """
    title = f"Share remediated within each SLA (Kaplan-Meier), per {by.replace('_', ' ')}"
    if breakdown.empty or not breakdown["population"].sum():
        return sentence(
            title,
            "No leaked secret is in the population, so no SLA share can be estimated.",
            period=period,
            population=population,
            source=source,
        )
    labels = group_labels(breakdown, by)
    height = 260 + len(labels) * (22 * len(slas) + 16)
    fig = go.Figure()
    for days, column in zip(slas, sla_columns(slas), strict=True):
        fig.add_bar(
            y=labels,
            x=breakdown[column].astype(float),
            name=f"remediated within {days:g} {days_word(days)}",
            orientation="h",
            text=breakdown[column].map(share_text),
            textposition="outside",
            hovertemplate="%{y}: %{x:.0%} within " + f"{days:g} days<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        xaxis={"tickformat": ".0%", "range": [0, 1.1]},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        height=height,
        # about 40 px under the plot, whatever its height: below the tick labels
        legend={"orientation": "h", "y": -40 / (height - 180), "traceorder": "normal"},
    )
    return captioned(fig, title, period=period, population=population, source=source)


def cohort_figure(
    cohorts: pd.DataFrame,
    *,
    within: float = 7,
    period: str,
    population: str,
    source: str,
) -> go.Figure | HTML:
    """Return, per detection month, the median days to remediate and the share remediated
    within ``within`` days.

    ``cohorts`` is :func:`analytics.metrics.ttr.breakdown` by ``detection_month`` with
    ``within`` among its SLAs. Each month's label gives its population size. The median is
    drawn with its 95% interval where both ends are known; a month where fewer than half
    were remediated reads "not reached". Recent months have had little time: their
    estimates rest on few days of follow-up and move as the data grows.
    """
    title = f"Per detection month: median days to remediate and share within {within:g} days"
    if cohorts.empty or not cohorts["population"].sum():
        return sentence(
            title,
            "No leaked secret is in the population, so there is no monthly trend to draw.",
            period=period,
            population=population,
            source=source,
        )
    (share_column,) = sla_columns([within])
    if share_column not in cohorts:
        raise ValueError(
            f"cohorts has no {share_column} column; compute the breakdown with "
            f"{within:g} among its SLA days"
        )
    labels = group_labels(cohorts, "detection_month")
    median = pd.to_numeric(cohorts["median_days"], errors="coerce")
    low = pd.to_numeric(cohorts["median_days_ci_low"], errors="coerce")
    high = pd.to_numeric(cohorts["median_days_ci_high"], errors="coerce")
    bounds = zip(cohorts["median_days_ci_low"], cohorts["median_days_ci_high"], strict=True)
    intervals = [ci_text(lo, hi) for lo, hi in bounds]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_scatter(
        x=labels,
        y=median,
        mode="markers",
        marker={"color": CURVE_COLOUR, "size": 11, "symbol": "diamond"},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (high - median).where(high.notna(), 0),
            "arrayminus": (median - low).where(low.notna(), 0),
            "color": CURVE_COLOUR,
        },
        customdata=intervals,
        name="median (95% CI)",
        hovertemplate="%{x}: median %{y:.1f} days (%{customdata})<extra></extra>",
        row=1,
        col=1,
    )
    missing = [label for label, value in zip(labels, median, strict=True) if pd.isna(value)]
    fig.add_scatter(
        x=missing,
        y=[0] * len(missing),
        mode="text",
        text=[NOT_REACHED] * len(missing),
        textposition="top center",
        textfont={"color": "#777777"},
        name="median not reached",
        hovertemplate="%{x}: fewer than half remediated so far<extra></extra>",
        showlegend=False,
        row=1,
        col=1,
    )
    fig.add_bar(
        x=labels,
        y=cohorts[share_column].astype(float),
        marker={"color": CURVE_COLOUR},
        text=cohorts[share_column].map(share_text),
        textposition="outside",
        name=f"within {within:g} days",
        hovertemplate="%{x}: %{y:.0%} within " + f"{within:g} days<extra></extra>",
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="median days", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(
        title_text=f"within {within:g} days", tickformat=".0%", range=[0, 1.15], row=2, col=1
    )
    fig.update_xaxes(type="category")
    fig.update_layout(height=560, showlegend=False)
    return captioned(fig, title, period=period, population=population, source=source)
