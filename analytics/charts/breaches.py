"""Figures of the public breach catalogue: incidents per year, and the risks they show."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML

from analytics.charts import captioned, sentence

SOURCE = "the toolkit's breach catalogue (data/reference/nhi_breaches.csv), public sources"


def _period(incidents: pd.DataFrame) -> str:
    years = pd.to_datetime(incidents["disclosed_on"]).dt.year
    return f"incidents disclosed {years.min()} to {years.max()}"


def per_year_figure(incidents: pd.DataFrame) -> go.Figure | HTML:
    """Incidents per year of disclosure, stacked by the type of credential involved."""
    title = "Public NHI breaches per year, by credential type"
    population = f"{len(incidents):,} incidents in the catalogue"
    if incidents.empty:
        return sentence(
            title,
            "no incident loaded: ingest data/reference",
            period="none",
            population=population,
            source=SOURCE,
        )
    years = pd.to_datetime(incidents["disclosed_on"]).dt.year
    counts = incidents.assign(year=years).groupby(["year", "credential_type"]).size()
    table = counts.unstack(fill_value=0)
    fig = go.Figure()
    for credential in table.columns:
        fig.add_bar(x=table.index.astype(str), y=table[credential], name=str(credential))
    fig.update_layout(barmode="stack", height=420, yaxis_title="incidents", xaxis_title="year")
    return captioned(fig, title, period=_period(incidents), population=population, source=SOURCE)


def risk_figure(incidents: pd.DataFrame, titles: dict[str, str]) -> go.Figure | HTML:
    """How many incidents show each OWASP NHI risk (an incident may show several)."""
    title = "OWASP NHI risks shown by public breaches"
    population = f"{len(incidents):,} incidents; one incident counts once per risk it shows"
    if incidents.empty:
        return sentence(
            title,
            "no incident loaded: ingest data/reference",
            period="none",
            population=population,
            source=SOURCE,
        )
    counts = incidents["owasp_nhi"].explode().value_counts()
    order = [risk for risk in titles if risk in counts.index]
    labels = [f"{risk} {titles[risk]}" for risk in order]
    fig = go.Figure(go.Bar(x=[counts[r] for r in order], y=labels, orientation="h"))
    fig.update_layout(height=420, xaxis_title="incidents", yaxis={"autorange": "reversed"})
    return captioned(fig, title, period=_period(incidents), population=population, source=SOURCE)
