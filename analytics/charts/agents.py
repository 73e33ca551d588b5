"""Figures of AI agents' tool access; they draw what :mod:`analytics.metrics.agents` computed.

Each builder takes frames and the caption parts; with nothing to draw it returns a
captioned sentence instead of an empty chart.
"""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML
from plotly.subplots import make_subplots

from analytics.charts import captioned, sentence

CALLS_SOURCE = "agent-gateway logs and GenAI traces"
POLICY_SOURCE = "agent-gateway logs; sandbox policies"
COVERED = "#2a6f97"
VIOLATION = "#c0392b"
DENIED = "#e9c46a"
ALLOWED = "#8ab17d"


def jit_figure(weekly: pd.DataFrame, *, period: str) -> go.Figure | HTML:
    """Share of gateway tool calls under a task-scoped grant per week, calls behind it."""
    title = "Just-in-time coverage of agent tool calls, per week"
    population = f"{int(weekly['calls'].sum()) if len(weekly) else 0:,} gateway tool calls"
    if weekly.empty:
        return sentence(
            title,
            "no tool call logged by a gateway",
            period=period,
            population=population,
            source=CALLS_SOURCE,
        )
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=weekly["week"],
        y=weekly["calls"],
        name="calls",
        marker_color="#d9d9d9",
        secondary_y=True,
    )
    fig.add_scatter(
        x=weekly["week"],
        y=weekly["coverage"],
        name="share under a JIT grant",
        mode="lines+markers",
        line={"color": COVERED},
        secondary_y=False,
    )
    fig.update_yaxes(
        title_text="share of calls", range=[0, 1], tickformat=".0%", secondary_y=False
    )
    fig.update_yaxes(title_text="calls", secondary_y=True, showgrid=False)
    fig.update_layout(height=420, xaxis_title="week starting")
    return captioned(fig, title, period=period, population=population, source=CALLS_SOURCE)


def egress_figure(egress: pd.DataFrame, *, period: str) -> go.Figure | HTML:
    """Per agent: calls to allowed hosts, calls outside the allowlist, and denied ones.

    ``egress`` is the ``agent_egress_not_allowed`` check's rows (status per call).
    """
    title = "Where agent calls went, against the sandbox allowlist"
    population = "agent tool calls with a target host, by agents a sandbox policy covers"
    judged = egress[egress["status"].isin(("pass", "fail"))]
    if judged.empty:
        return sentence(
            title,
            "no call by an agent that a sandbox policy covers",
            period=period,
            population=population,
            source=POLICY_SOURCE,
        )
    kind = (
        judged["reason"]
        .str.contains("gateway denied", regex=False)
        .map({True: "denied by the gateway", False: "allowed host"})
    )
    kind = kind.where(judged["status"] == "pass", "outside the allowlist")
    counts = judged.assign(kind=kind).groupby(["identity_id", "kind"]).size().unstack(fill_value=0)
    fig = go.Figure()
    for name, colour in (
        ("allowed host", ALLOWED),
        ("outside the allowlist", VIOLATION),
        ("denied by the gateway", DENIED),
    ):
        if name in counts:
            fig.add_bar(
                y=counts.index, x=counts[name], orientation="h", name=name, marker_color=colour
            )
    fig.update_layout(
        barmode="stack", height=max(320, 24 * len(counts) + 160), xaxis_title="calls"
    )
    return captioned(fig, title, period=period, population=population, source=POLICY_SOURCE)


def blast_radius_figure(owners: pd.DataFrame, *, period: str) -> go.Figure | HTML:
    """Sankey of inherited credentials: agent -> credential -> owner -> services it reaches.

    Only pairs whose credential belongs to someone else; the last hop shows every service
    the owner may act in, which is what the agent can reach through the credential.
    """
    title = "Inherited credentials: agent, credential, owner, and what the owner can reach"
    population = "agent and credential pairs where the credential belongs to someone else"
    source = "agent-gateway logs; credential inventory and CloudTrail; grants in force"
    borrowed = owners[owners["owner"].notna() & (owners["owner"] != owners["agent_id"])]
    if borrowed.empty:
        return sentence(
            title,
            "no agent acted with another identity's or a person's credential",
            period=period,
            population=population,
            source=source,
        )
    labels: list[str] = []
    index: dict[tuple[str, str], int] = {}

    def node(layer: str, name: str) -> int:
        if (layer, name) not in index:
            index[(layer, name)] = len(labels)
            labels.append(name)
        return index[(layer, name)]

    links: dict[tuple[int, int], int] = {}
    for row in borrowed.itertuples(index=False):
        steps = [
            node("agent", row.agent_id),
            node("credential", row.credential_id),
            node("owner", f"{row.owner} ({row.owner_class})"),
        ]
        for a, b in pairwise(steps):
            links[(a, b)] = links.get((a, b), 0) + int(row.calls)
        for service in row.owner_services:
            key = (steps[-1], node("service", str(service)))
            links[key] = max(links.get(key, 0), 1)
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={
                "source": [a for a, _ in links],
                "target": [b for _, b in links],
                "value": list(links.values()),
            },
        )
    )
    fig.update_layout(height=max(420, 18 * len(labels)))
    return captioned(fig, title, period=period, population=population, source=source)


def review_gap_figure(missed: pd.DataFrame, reviews: list, *, period: str) -> go.Figure | HTML:
    """Each access path created and gone between two reviews, as a span between the review
    dates (dashed lines); ``missed`` holds ``path_id``, ``created_at`` and ``gone_at``."""
    title = "Access paths that no periodic review saw"
    population = f"{len(missed):,} grants and credentials created and gone between reviews"
    source = "inventory grants and credentials"
    if missed.empty:
        return sentence(title, "none", period=period, population=population, source=source)
    shown = missed.sort_values("created_at").head(300)
    fig = go.Figure()
    for row in shown.itertuples(index=False):
        fig.add_scatter(
            x=[row.created_at, row.gone_at],
            y=[row.path_id, row.path_id],
            mode="lines+markers",
            line={"color": VIOLATION, "width": 4},
            showlegend=False,
            hovertext=row.path_id,
        )
    for moment in reviews:
        fig.add_vline(x=moment, line_dash="dash", line_color="#555")
    fig.update_layout(
        height=max(360, 8 * len(shown) + 160),
        yaxis={"showticklabels": False},
        xaxis_title="time (dashed: access reviews)",
    )
    return captioned(fig, title, period=period, population=population, source=source)
