"""The executive summary's content: headline numbers with their trend, where the risk is,
and what to do next.

Everything here is read from the warehouse: the numbers of a report run from
``metric_history`` (:mod:`analytics.metrics.history`), the identities and actions from the
checks run at the run's as-of. A number is never shown without its period, population and
source, so each headline carries the three as sentences.

The ranking of identities is a triage order, not a measured risk: the worst severity among
an identity's failing findings first; then each *distinct* failing check counts once with
its severity weight (critical 8, high 4, medium 2, low 1), so an agent with a thousand
calls outside its grant does not outrank one with a critical finding and a second
problem. Remaining ties go to the identity with more failing findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from analytics import frameworks
from analytics.metrics import headline, history, registry
from analytics.metrics.checks import SEVERITIES
from analytics.metrics.privilege import SEVERITY_WEIGHT
from analytics.metrics.ttr import SURVEY_ESTIMATE_DAYS, SURVEY_SOURCE


@dataclass(frozen=True)
class Headline:
    """A number the executive summary leads with.

    Attributes
    ----------
    metric
        The headline metric (``metric_history.metric``) whose value and trend are shown.
    label
        What it is, in a few words.
    better
        ``lower`` or ``higher``: which way is an improvement.
    unit
        ``days``, ``share`` or ``count``: how the value is written.
    """

    metric: str
    label: str
    better: str
    unit: str


HEADLINES: tuple[Headline, ...] = (
    Headline("ttr.median_days", "Median time to remediate a leaked secret", "lower", "days"),
    Headline(
        "inventory.credentials_older_than_90d_share",
        "Active credentials older than 90 days",
        "lower",
        "share",
    ),
    Headline("identities.dormant_90d", "Dormant machine identities", "lower", "count"),
    Headline(
        "inventory.identities_without_owner",
        "Machine identities without an owner",
        "lower",
        "count",
    ),
    Headline(
        "agents.jit_coverage", "Agent tool calls under a just-in-time grant", "higher", "share"
    ),
    Headline("frameworks.failing_total", "Framework controls failing", "lower", "count"),
)
# How a control id is written for a reader who does not know which framework "6.2" is from.
CONTROL_PREFIX = {
    "owasp_nhi_2025": "OWASP ",
    "owasp_agentic_2026": "OWASP ",
    "nist_sp_800_207": "NIST SP ",
    "nist_csf_2_0": "NIST CSF ",
    "cis_v8": "CIS ",
}
HEADLINE_COLUMNS = (
    "metric",
    "label",
    "value",
    "shown",
    "previous",
    "change",
    "direction",
    "assessment",
    "period",
    "population",
    "source",
    "benchmark",
)


@dataclass(frozen=True)
class ExecutiveSummary:
    """What the executive summary shows, for one run.

    Attributes
    ----------
    run_id, previous_run
        The run described and the run its trends compare with (``None``: no earlier run,
        or, for ``run_id``, numbers computed now rather than read from a recorded run).
    as_of, previous_as_of
        The instants the two runs describe.
    scope
        One sentence: the population and period of the whole page.
    headlines
        One row per :data:`HEADLINES` entry, columns :data:`HEADLINE_COLUMNS`.
    history
        Each headline's recorded values over the last runs (for sparklines).
    risks
        The identities (or other subjects) with the most severe failing findings.
    actions
        The failing checks, most severe and widest first, with what to do.
    """

    run_id: str | None
    previous_run: str | None
    as_of: datetime
    previous_as_of: datetime | None
    scope: str
    headlines: pd.DataFrame
    history: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame


def build(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    run_id: str | None = None,
    risks: int = 5,
    actions: int = 5,
) -> ExecutiveSummary:
    """Assemble the executive summary of ``run_id`` (recorded by a report run).

    Parameters
    ----------
    run_id
        The run to describe. ``None`` computes the numbers now, at ``as_of``, and compares
        them with the latest recorded run whose as-of is not later: what an analyst sees
        when opening the notebook in JupyterLab.
    risks, actions
        How many identities and next actions to list.

    Raises
    ------
    KeyError
        ``run_id`` is not in ``metric_history``.
    """
    if run_id is not None:
        current = history.values_of(con, run_id)
        if current.empty:
            raise KeyError(
                f"run {run_id} is not in metric_history: it is written by `nhi-risk report`; "
                f"pass run_id=None to compute the numbers now"
            )
        values = current["value"].to_dict()
        as_of = pd.Timestamp(current["as_of"].iloc[0]).to_pydatetime()
        previous = history.previous_run(con, run_id)
        results = registry.run_all(con, as_of)
    else:
        # The checks once, for the numbers and for the risks and actions below.
        results = registry.run_all(con, as_of)
        values = history.numeric(headline(con, as_of, results))
        previous = history.latest_run(con, up_to=as_of) if history.available(con) else None
    earlier = history.values_of(con, previous) if previous else None
    before = earlier["value"].to_dict() if earlier is not None else {}
    previous_as_of = (
        pd.Timestamp(earlier["as_of"].iloc[0]).to_pydatetime()
        if earlier is not None and len(earlier)
        else None
    )
    window = _window(con, as_of)
    recorded = (
        history.series(con, [h.metric for h in HEADLINES], run_id)
        if run_id
        else pd.DataFrame(columns=["run_id", "as_of", "metric", "value"])
    )
    return ExecutiveSummary(
        run_id=run_id,
        previous_run=previous,
        as_of=as_of,
        previous_as_of=previous_as_of,
        scope=_scope(as_of, values, window),
        headlines=headline_table(values, before, window),
        history=recorded,
        risks=top_risks(con, results, risks),
        actions=next_actions(results, actions),
    )


def headline_table(
    values: dict[str, float | None],
    before: dict[str, float | None],
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> pd.DataFrame:
    """The headline rows: each value, the previous run's, the change and how to read it.

    ``direction`` is ``up``, ``down``, ``same`` or ``new`` (no previous value); the
    ``assessment`` is ``better``, ``worse`` or ``same`` given the headline's ``better``
    side, and empty when there is nothing to compare.
    """
    rows = []
    for item in HEADLINES:
        value = _number(values.get(item.metric))
        previous = _number(before.get(item.metric))
        change = None if value is None or previous is None else value - previous
        if change is None:
            direction, assessment = "new", ""
        elif abs(change) < 1e-9:
            direction, assessment = "same", "same"
        else:
            direction = "up" if change > 0 else "down"
            improved = (change < 0) == (item.better == "lower")
            assessment = "better" if improved else "worse"
        period, population, source, benchmark = _about(item, values, window)
        rows.append(
            (
                item.metric,
                item.label,
                value,
                shown(value, item.unit),
                previous,
                change,
                direction,
                assessment,
                period,
                population,
                source,
                benchmark,
            )
        )
    return pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))


def top_risks(
    con: duckdb.DuckDBPyConnection,
    results: dict[str, tuple[pd.DataFrame, int]],
    limit: int = 5,
) -> pd.DataFrame:
    """The subjects with the most severe failing findings, and why.

    A finding is about an identity when it names one (``identity_id``), else about its own
    subject (a sandbox, a secret). Columns: ``subject``, ``kind``, ``owner``, ``score``,
    ``checks`` (distinct failing checks), ``findings`` (failing rows), ``worst`` (severity),
    ``why`` (the failing checks' titles, worst first).
    """
    columns = [
        "subject",
        "kind",
        "owner",
        "owner_name",
        "owner_left",
        "score",
        "checks",
        "findings",
        "worst",
        "why",
    ]
    titles = {c.check_id: c.title for c in registry.ALL_CHECKS}
    failing = [
        rows[rows["status"] == "fail"].assign(title=titles[check_id])
        for check_id, (rows, _) in results.items()
    ]
    frame = pd.concat(failing, ignore_index=True) if failing else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.assign(
        subject=frame["identity_id"].fillna(frame["subject_id"]),
        rank=frame["severity"].map(SEVERITIES.index),
    )
    per_check = (
        frame.sort_values("rank")
        .groupby(["subject", "check_id"], sort=False)
        .agg(
            title=("title", "first"),
            severity=("severity", "first"),
            rank=("rank", "first"),
            rows=("status", "size"),
            owner=("owner_id", "first"),
        )
        .reset_index()
    )
    per_check["weight"] = per_check["severity"].map(SEVERITY_WEIGHT)
    ranked = (
        per_check.sort_values(["rank", "rows"], ascending=[True, False])
        .groupby("subject", sort=False)
        .agg(
            owner=("owner", "first"),
            score=("weight", "sum"),
            checks=("check_id", "size"),
            findings=("rows", "sum"),
            worst=("severity", "first"),
            worst_rank=("rank", "first"),
            why=("title", list),
        )
        .reset_index()
        .sort_values(
            ["worst_rank", "score", "findings", "subject"], ascending=[True, False, False, True]
        )
        .head(limit)
        .reset_index(drop=True)
    )
    ranked["owner"] = ranked["owner"].where(ranked["owner"].notna(), None)
    kinds = _kinds(con, ranked["subject"].tolist())
    people = _people(con, [o for o in ranked["owner"] if o])
    ranked["kind"] = ranked["subject"].map(kinds).fillna("")
    ranked["owner_name"] = ranked["owner"].map(lambda o: people.get(o, (None, False))[0])
    ranked["owner_left"] = ranked["owner"].map(lambda o: people.get(o, (None, False))[1])
    return ranked[columns]


def next_actions(results: dict[str, tuple[pd.DataFrame, int]], limit: int = 5) -> pd.DataFrame:
    """The failing checks, worst severity first and then the most subjects failing, each
    with its action, how many subjects fail of how many judged, and the framework
    controls it gives evidence for."""
    columns = ["check_id", "title", "action", "severity", "failing", "judged", "controls"]
    by_id = {c.check_id: c for c in registry.ALL_CHECKS}
    catalogue = frameworks.load()
    framework_of = {c.control_id: c.framework for c in catalogue.controls}
    mapped: dict[str, list[str]] = {}
    for mapping in catalogue.mappings:
        prefix = CONTROL_PREFIX[framework_of[mapping.control_id]]
        mapped.setdefault(mapping.check_id, []).append(f"{prefix}{mapping.control_id}")
    rows = []
    for check_id, (found, judged) in results.items():
        failing = found[found["status"] == "fail"]
        if failing.empty:
            continue
        worst = min(failing["severity"], key=SEVERITIES.index)
        check = by_id[check_id]
        rows.append(
            (
                check_id,
                check.title,
                check.action,
                worst,
                int(failing["subject_id"].nunique()),
                int(judged),
                ", ".join(mapped.get(check_id, [])),
            )
        )
    frame = pd.DataFrame(rows, columns=columns)
    frame["rank"] = frame["severity"].map(SEVERITIES.index)
    ordered = frame.sort_values(["rank", "failing", "check_id"], ascending=[True, False, True])
    return ordered.head(limit).drop(columns="rank").reset_index(drop=True)


def shown(value: float | None, unit: str) -> str:
    """A headline value as a person reads it: ``18.5 days``, ``34.9%``, ``1,204``."""
    if value is None:
        return "not reached" if unit == "days" else "no data"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}"


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def _count(values: dict[str, float | None], name: str) -> str:
    value = _number(values.get(name))
    return "?" if value is None else f"{value:,.0f}"


def _day(instant: datetime | None) -> str:
    return "?" if instant is None else f"{instant:%Y-%m-%d}"


def _about(
    item: Headline,
    values: dict[str, float | None],
    window: tuple[datetime | None, datetime | None],
) -> tuple[str, str, str, str]:
    """Period, population, source and benchmark sentences of one headline."""
    first, last = window
    audit = f"audit logs of {_day(first)} to {_day(last)}"
    if item.metric == "ttr.median_days":
        return (
            "secrets leaked and detected up to the as-of",
            f"{_count(values, 'ttr.population')} leaked secrets: "
            f"{_count(values, 'ttr.remediated')} remediated, "
            f"{_count(values, 'ttr.censored')} still open (Kaplan-Meier, open ones censored)",
            "GitHub secret scanning, gitleaks, TruffleHog; credential inventory; CloudTrail",
            f"Survey estimate: {SURVEY_ESTIMATE_DAYS} days ({SURVEY_SOURCE})",
        )
    if item.metric == "inventory.credentials_older_than_90d_share":
        return (
            "the newest inventory snapshot at the as-of",
            f"{_count(values, 'inventory.credentials_older_than_90d')} of "
            f"{_count(values, 'inventory.credentials_dated')} active credentials with a "
            f"known creation time",
            "inventory CSV, IAM credential report, authorization details",
            "",
        )
    if item.metric == "identities.dormant_90d":
        return (
            f"no audit event in the 90 days to the as-of ({audit})",
            "non-human AWS users and roles older than 90 days, in the accounts the audit "
            "logs cover",
            "CloudTrail; credential inventory",
            "",
        )
    if item.metric == "inventory.identities_without_owner":
        return (
            "the newest inventory snapshot at the as-of",
            f"of {_count(values, 'inventory.identities_total')} non-human identities; "
            f"{_count(values, 'identities.owner_offboarded')} more have an owner who left "
            f"and still hold an active credential",
            "inventory CSV, IAM credential report, authorization details",
            "",
        )
    if item.metric == "agents.jit_coverage":
        return (
            "tool calls in the 90 days to the as-of",
            f"{_count(values, 'agents.tool_calls')} agent tool calls logged by a gateway",
            "agent-gateway logs, OpenTelemetry traces; inventory grants",
            "",
        )
    return (
        "checks run at the as-of",
        f"of {_count(values, 'frameworks.controls_total')} controls of the OWASP NHI and "
        f"Agentic Top 10s, NIST SP 800-207, NIST CSF 2.0 and CIS v8",
        "every check, through the mappings in analytics/frameworks/mappings.yaml",
        "",
    )


def _window(
    con: duckdb.DuckDBPyConnection, as_of: datetime
) -> tuple[datetime | None, datetime | None]:
    """The first and last CloudTrail event up to the as-of."""
    row = con.execute(
        "select min(event_time), max(event_time) from events "
        "where source_kind = 'cloudtrail' and event_time <= ?",
        [as_of],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _scope(
    as_of: datetime,
    values: dict[str, float | None],
    window: tuple[datetime | None, datetime | None],
) -> str:
    first, last = window
    logs = (
        f"CloudTrail from {_day(first)} to {_day(last)} "
        f"({_count(values, 'activity.events_total')} events, "
        f"{_count(values, 'activity.accounts_covered')} accounts)"
        if first
        else "no CloudTrail"
    )
    return (
        f"As of {as_of:%Y-%m-%d %H:%M} UTC: {_count(values, 'inventory.identities_total')} "
        f"non-human identities ({_count(values, 'agents.total')} AI agents) and "
        f"{_count(values, 'inventory.credentials_active')} active credentials; {logs}; "
        f"{_count(values, 'agents.tool_calls')} agent tool calls in the last 90 days; "
        f"{_count(values, 'secrets.findings_total')} secret-leak findings."
    )


def _people(
    con: duckdb.DuckDBPyConnection, person_ids: list[str]
) -> dict[str, tuple[str | None, bool]]:
    """The directory's name of each person id, and whether they have left."""
    if not person_ids:
        return {}
    rows = con.execute(
        "select identity_id, name, status = 'left' from identities_current "
        "where kind = 'human' and list_contains($ids, identity_id)",
        {"ids": person_ids},
    ).fetchall()
    return {row[0]: (row[1], bool(row[2])) for row in rows}


def _kinds(con: duckdb.DuckDBPyConnection, subjects: list[str]) -> dict[str, str]:
    """The identity kind of each subject that is an identity (``ai_agent``, ``iam_role``)."""
    if not subjects:
        return {}
    rows = con.execute(
        "select identity_id, kind from identities_current where list_contains($ids, identity_id)",
        {"ids": subjects},
    ).fetchall()
    return {row[0]: row[1] for row in rows}
