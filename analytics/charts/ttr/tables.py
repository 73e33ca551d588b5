"""The time-to-remediate tables: the headline, one row per group, the evidence checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from IPython.display import HTML

from analytics.charts import check_intro, table
from analytics.charts.ttr.text import (
    EXCLUDED,
    NOT_REACHED,
    days_text,
    days_word,
    median_text,
    period_up_to,
    share_text,
)
from analytics.metrics.checks import Check
from analytics.metrics.ttr import failing, restricted_mean_column, sla_columns


def headline_table(
    summary: dict[str, float | int | None],
    slas: Sequence[float],
    horizon: float,
    *,
    period: str,
    population: str,
    source: str,
) -> HTML:
    """Return the headline numbers of :func:`analytics.metrics.ttr.summary` as a table.

    ``slas`` and ``horizon`` must be those the summary was computed with.
    """
    none = NOT_REACHED if summary["population"] else "no data"
    rows: list[tuple[str, Any]] = [
        ("Leaked secrets in the population", f"{summary['population']:,}"),
        ("Remediated (evidence that the secret stopped working)", f"{summary['remediated']:,}"),
        (
            "Censored (still open, or closed as won't fix, at the as-of)",
            f"{summary['censored']:,}",
        ),
        (f"Excluded ({EXCLUDED})", f"{summary['excluded']:,}"),
        (
            "Median days to remediate (Kaplan-Meier)",
            median_text(
                summary["median_days"],
                summary["median_days_ci_low"],
                summary["median_days_ci_high"],
                none,
            ),
        ),
        ("Days by which 90% are remediated", days_text(summary["p90_days"], none)),
    ]
    for days, column in zip(slas, sla_columns(slas), strict=True):
        rows.append((f"Remediated within {days:g} {days_word(days)}", share_text(summary[column])))
    rows += [
        (
            f"Restricted mean days exposed, over the first {horizon:g} days",
            days_text(summary[restricted_mean_column(horizon)], fallback="no data"),
        ),
        (
            "Median days from commit to remediation or as-of (secrets with a commit time)",
            days_text(summary["exposure_median_days"], fallback="no commit times"),
        ),
    ]
    frame = pd.DataFrame(rows, columns=["measure", "value"])
    return table(
        frame, "Time to remediate: headline", period=period, population=population, source=source
    )


def group_table(
    breakdown: pd.DataFrame,
    slas: Sequence[float],
    by: str,
    *,
    period: str,
    population: str,
    source: str,
) -> HTML:
    """Return :func:`analytics.metrics.ttr.breakdown` as a readable table, one row per group.

    Medians and the 90th percentile read "not reached" where the curve stays above the
    level; shares are percentages, blank for a group whose secrets were all excluded.
    """
    title = f"Time to remediate per {by.replace('_', ' ')}"
    if breakdown.empty:
        return table(
            pd.DataFrame(columns=[by]), title, period=period, population=population, source=source
        )
    empty = breakdown["population"] == 0
    shown = pd.DataFrame(
        {
            by: breakdown[by],
            "population": breakdown["population"],
            "remediated": breakdown["remediated"],
            "censored": breakdown["censored"],
            "excluded": breakdown["excluded"],
            "median days": [
                "" if none else median_text(m, lo, hi)
                for none, m, lo, hi in zip(
                    empty,
                    breakdown["median_days"],
                    breakdown["median_days_ci_low"],
                    breakdown["median_days_ci_high"],
                    strict=True,
                )
            ],
            "p90 days": [
                "" if none else days_text(v)
                for none, v in zip(empty, breakdown["p90_days"], strict=True)
            ],
        }
    )
    for days, column in zip(slas, sla_columns(slas), strict=True):
        shown[f"within {days:g} {days_word(days)}"] = breakdown[column].map(share_text)
    return table(shown, title, period=period, population=population, source=source)


def check_table(
    check: Check,
    result: tuple[pd.DataFrame, int],
    secrets: pd.DataFrame,
    as_of: datetime,
) -> HTML:
    """Return one evidence check: its title, scope, denominator, and the rows that fail.

    Parameters
    ----------
    check
        One of :data:`analytics.metrics.ttr.CHECKS`.
    result
        Its ``(rows, denominator)`` from :func:`analytics.metrics.ttr.checks`.
    secrets
        :func:`analytics.metrics.ttr.secrets` at the same as-of, not cut to a detection
        period: a check judges every secret known at the as-of. It gives each failing
        row its finding ids.

    Rows hold finding ids, the reason sentence and the evidence (event ids); no secret
    value exists in the warehouse to show.
    """
    rows, judged = result
    columns = ["finding_ids", "severity", "reason", "owner_id", "team", "evidence"]
    shown = failing(rows, secrets)[columns]
    first = secrets["detected_at"].min() if len(secrets) else None
    intro = check_intro(check, rows, judged)
    body = table(
        shown,
        f"Failing: {check.title}",
        period=period_up_to(first, as_of),
        population=f"{judged:,} judged, each a {check.subject}",
        source="secret findings, credential inventories, CloudTrail",
    )
    return HTML(intro + body.data)
