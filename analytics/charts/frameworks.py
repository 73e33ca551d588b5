"""The framework view: which checks give evidence for which controls, and what they found."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML

from analytics.charts import captioned, sentence, table

SOURCE = "every check of the toolkit, through analytics/frameworks/mappings.yaml"
STATUS_COLOUR = {"failing": "#c0392b", "passing": "#2a9d8f", "no_evidence": "#9e9e9e"}


def heatmap_figure(
    evidence: pd.DataFrame, coverage: pd.DataFrame, framework: str, title: str, *, period: str
):
    """Controls (rows, all of the framework's) by checks (columns): each mapped cell is the
    share of the check's judged subjects that fail; a cell whose check judged nobody says
    "no data", and a control no check maps to is an empty row."""
    part = evidence[evidence["framework"] == framework]
    heading = f"{title}: controls by the checks that evidence them"
    population = "the subjects each check judged (hover: failing of judged)"
    if part.empty:
        return sentence(
            heading,
            "no check maps to this framework",
            period=period,
            population=population,
            source=SOURCE,
        )
    share = part.assign(
        share=part["failing"] / part["judged"].where(part["judged"] > 0),
        label=[
            f"{f:,} of {j:,}" if j else "no data"
            for f, j in zip(part["failing"], part["judged"], strict=True)
        ],
    )
    z = share.pivot(index="control_id", columns="check_id", values="share")
    text = share.pivot(index="control_id", columns="check_id", values="label")
    order = list(coverage.loc[coverage["framework"] == framework, "control_id"])
    z, text = z.reindex(order), text.reindex(order).fillna("")
    fig = go.Figure(
        go.Heatmap(
            z=z.values,
            x=list(z.columns),
            y=list(z.index),
            text=text.values,
            texttemplate="%{text}",
            colorscale="Reds",
            zmin=0,
            zmax=1,
            colorbar={"title": "share failing", "tickformat": ".0%"},
            hoverongaps=False,
        )
    )
    fig.update_layout(
        height=max(320, 34 * len(z.index) + 200),
        xaxis={"tickangle": -35},
        yaxis={"autorange": "reversed"},
    )
    return captioned(fig, heading, period=period, population=population, source=SOURCE)


def status_table(coverage: pd.DataFrame, framework: str, title: str, *, period: str) -> HTML:
    """The framework's controls with their status, mapped checks and subject counts."""
    part = coverage[coverage["framework"] == framework].drop(columns=["framework"])
    counts = part["status"].value_counts()
    badge = " ".join(
        f'<span style="color:{STATUS_COLOUR[s]};font-weight:600">{counts.get(s, 0)} {s}</span>'
        for s in STATUS_COLOUR
    )
    body = table(
        part,
        f"{title}: status of each control",
        period=period,
        population=f"the {len(part)} controls of the framework",
        source=SOURCE,
    )
    return HTML(f"<p>{html.escape(title)}: {badge}</p>{body.data}")
