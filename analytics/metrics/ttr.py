"""Time to remediate leaked secrets: a Kaplan-Meier estimate with open findings counted.

The unit is a leaked secret (its keyed fingerprint): the same secret reported by GitHub,
gitleaks and TruffleHog, or in several files, is remediated once. ``ttr_secrets.sql`` gives
one row per secret as known at the as-of:

- *start*: its first detection; for scanner reports, the report's snapshot time;
- *end*: the first evidence that it no longer works: an alert resolved as revoked, the
  access key disabled or deleted in the audit log, the matching credential no longer active
  in the inventory (at its ``revoked_at``, else the snapshot that first shows it), or the
  credential rotated after the leak. Findings match credentials by AWS key id or by the
  secret's hash id;
- secrets still open, or closed as won't-fix, are right-censored at the as-of;
- secrets resolved as false positive, used in tests, or pattern edited or deleted are out
  of the population and counted apart.

Nothing after the as-of counts: a detection, resolution, audit event or inventory change
dated later is ignored, so a past as-of reproduces what was known then.

What it cannot see: remediation that left no trace in the loaded data (a token revoked in
a system whose inventory is not loaded stays censored, which makes the estimate
pessimistic), and when a scanner first *could* have found a secret (detection is when a
loaded report first shows it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from analytics.config import METRICS_DIR
from analytics.errors import UsageError
from analytics.metrics.checks import Check, create_temp_tables, evaluate
from analytics.metrics.survival import SurvivalCurve, kaplan_meier
from analytics.warehouse import sql_text

log = logging.getLogger(__name__)

DEFAULT_SLA_DAYS = (1, 7, 30)
DEFAULT_HORIZON_DAYS = 90
SURVEY_ESTIMATE_DAYS = 27
SURVEY_SOURCE = (
    "GitGuardian and CyberArk, Voice of Practitioners 2024: average time to remediate a "
    "leaked secret, self-reported by survey respondents"
)
GROUPS = {
    "source": "first_source",
    "secret_type": "secret_type",
    "repository": "repository",
    "owner": "owner_id",
    "team": "team",
    "validity": "validity",
    "detection_month": "detection_month",
}
CHECKS = (
    Check(
        "secret_resolved_but_credential_active",
        "Secret marked revoked while its credential stays active or in use",
        "leaked secret whose alert was resolved as revoked",
        "Sees only credentials listed in a loaded inventory or seen in CloudTrail; a revoked "
        "alert whose secret matches none is 'unknown', not 'pass'.",
        "Deactivate the credential behind every secret alert closed as revoked, and confirm "
        "in the audit log that it no longer works.",
    ),
    Check(
        "secret_used_after_remediation",
        "Secret used after its remediation",
        "remediated leaked secret that is an AWS access key",
        "Sees use only where the audit log records the key id (AWS CloudTrail); other "
        "secrets' use is invisible here.",
        "Investigate each use of a leaked key after its remediation, and revoke the key where "
        "it still works.",
    ),
)


def prepare(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """Build the temporary table ``ttr_secrets`` for ``as_of`` (read-only connections too).

    The checks' SQL reads it; :func:`secrets` returns it.
    """
    sql = sql_text("ttr_secrets", METRICS_DIR)
    con.execute(f"create or replace temp table ttr_secrets as {sql}", {"as_of": as_of})


def secrets(
    con: duckdb.DuckDBPyConnection, as_of: datetime, *, prepared: bool = False
) -> pd.DataFrame:
    """One row per leaked secret known at ``as_of`` (see the module docstring).

    ``prepared`` says that :func:`prepare` (or :func:`checks`) has just run for the same
    ``as_of``, so its table is read as it is instead of being built again.
    """
    if not prepared:
        prepare(con, as_of)
    return con.execute("select * from ttr_secrets").df()


def detected_between(
    frame: pd.DataFrame, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """The secrets first detected in ``[start, end)`` (either bound may be open)."""
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= frame["detected_at"] >= pd.Timestamp(start)
    if end is not None:
        keep &= frame["detected_at"] < pd.Timestamp(end)
    return frame[keep]


def population(frame: pd.DataFrame) -> pd.DataFrame:
    """The secrets inside the population: all but the excluded resolutions."""
    return frame[~frame["excluded"].astype(bool)]


def curve(frame: pd.DataFrame) -> SurvivalCurve:
    """The Kaplan-Meier curve of the population in ``frame`` (durations in days)."""
    inside = population(frame)
    return kaplan_meier(
        inside["duration_days"].to_numpy(dtype=float), inside["remediated"].to_numpy(dtype=bool)
    )


def summary(
    frame: pd.DataFrame,
    slas: Sequence[float] = DEFAULT_SLA_DAYS,
    horizon: float = DEFAULT_HORIZON_DAYS,
) -> dict[str, float | int | None]:
    """The headline numbers of one population: sizes, median with its CI, p90, SLA shares.

    Shares are 0..1; times are days. ``None`` where the estimate is not reached (a median
    when fewer than half were remediated) or the population is empty.
    """
    inside = population(frame)
    km = curve(frame)
    low, high = km.median_ci() if km.n else (None, None)
    out: dict[str, float | int | None] = {
        "population": len(inside),
        "remediated": int(inside["remediated"].sum()),
        "censored": int((~inside["remediated"].astype(bool)).sum()),
        "excluded": int(len(frame) - len(inside)),
        "median_days": _days(km.percentile(0.5)) if km.n else None,
        "median_days_ci_low": _days(low),
        "median_days_ci_high": _days(high),
        "p90_days": _days(km.percentile(0.9)) if km.n else None,
        restricted_mean_column(horizon): _days(km.restricted_mean(horizon)) if km.n else None,
    }
    for days, column in zip(slas, sla_columns(slas), strict=True):
        out[column] = _share(km.share_within(days)) if km.n else None
    exposure = inside.loc[inside["exposure_days"].notna(), "exposure_days"]
    out["exposure_median_days"] = _days(float(np.median(exposure))) if len(exposure) else None
    return out


def headline(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    slas: Sequence[float] = DEFAULT_SLA_DAYS,
    *,
    prepared: bool = False,
) -> dict[str, float | int | None]:
    """The ``ttr.*`` metrics of ``nhi-risk metrics`` as of ``as_of``; ``prepared`` as in
    :func:`secrets`."""
    values = summary(secrets(con, as_of, prepared=prepared), slas)
    return {f"ttr.{name}": value for name, value in values.items()}


def breakdown(
    frame: pd.DataFrame, by: str, slas: Sequence[float] = DEFAULT_SLA_DAYS
) -> pd.DataFrame:
    """The summary per group of ``by`` (a key of :data:`GROUPS`), each with its size.

    Secrets with no value for the dimension (no known owner, say) form the group
    ``(unknown)``: they are counted, not dropped.

    Raises
    ------
    UsageError
        ``by`` is not a known grouping (a notebook parameter spelled wrong).
    """
    if by not in GROUPS:
        raise UsageError(
            f"cannot group time to remediate by {by!r}: choose one of {', '.join(GROUPS)}"
        )
    column = GROUPS[by]
    labelled = frame.assign(group=frame[column].fillna("(unknown)").astype(str))
    rows = [
        {by: name, **summary(part, slas)} for name, part in labelled.groupby("group", sort=True)
    ]
    return pd.DataFrame(rows)


def oldest_open(frame: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The population's secrets still open, longest first."""
    inside = population(frame)
    open_ = inside[~inside["remediated"].astype(bool)]
    columns = ["finding_ids", "sources", "secret_type", "repository", "validity",
               "owner_id", "team", "detected_at", "duration_days", "resolution"]  # fmt: skip
    return open_.sort_values("duration_days", ascending=False)[columns].head(limit)


def checks(con: duckdb.DuckDBPyConnection, as_of: datetime) -> dict[str, tuple[pd.DataFrame, int]]:
    """Run the evidence checks: ``{check_id: (finding rows, denominator)}``.

    Builds ``ttr_secrets`` and ``ttr_key_events``, the leaked keys' successful calls, which
    both checks search for use: one pass over the audit log instead of one per check.
    """
    prepare(con, as_of)
    create_temp_tables(con, ("ttr_key_events",), {"as_of": as_of})
    return evaluate(con, CHECKS, {"as_of": as_of})


def _days(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _share(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _label(days: float) -> str:
    return str(int(days)) if float(days).is_integer() else str(days).replace(".", "_")


def sla_columns(slas: Iterable[float]) -> list[str]:
    """The names of the SLA share columns of :func:`summary`, in order."""
    return [f"within_{_label(days)}d" for days in slas]


def restricted_mean_column(horizon: float) -> str:
    """The name of the restricted-mean value of :func:`summary` for ``horizon`` days."""
    return f"restricted_mean_{_label(horizon)}d"


def failing(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The failing rows of a check, each with the finding ids of its secret.

    ``rows`` is a check's output from :func:`checks`; ``frame`` is :func:`secrets` at the
    same as-of, whose ``finding_ids`` let a reader find the alerts in the scanner.
    """
    return rows[rows["status"] == "fail"].merge(
        frame[["secret_id", "finding_ids"]],
        how="left",
        left_on="subject_id",
        right_on="secret_id",
    )
