"""Checks: named conditions evaluated per subject, all with one output contract.

A check is two SQL files in ``analytics/metrics/``: ``<check_id>.sql`` returns one row per
subject it looked at, and ``<check_id>.denominator.sql`` returns how many subjects it
could judge, so every rate can be checked by hand. Every finding row has the columns of
:data:`FINDING_COLUMNS`: the subject, a status from a closed set, a sentence that names the
subject and says why, a severity, the dimensions shared by all checks (for breakdowns),
and the evidence (ids of the records that show it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.config import METRICS_DIR
from analytics.warehouse import bind, sql_text

log = logging.getLogger(__name__)

STATUSES = ("fail", "pass", "unknown")
SEVERITIES = ("critical", "high", "medium", "low", "info")
DIMENSIONS = ("source", "secret_type", "repository", "identity_id", "owner_id", "team")
FINDING_COLUMNS = (
    "check_id",
    "subject_id",
    "status",
    "reason",
    "severity",
    *DIMENSIONS,
    "evidence",
)


@dataclass(frozen=True)
class Check:
    """What a check tests, on whom, and what it cannot see.

    Attributes
    ----------
    check_id
        ``<subject>_<condition>[_<threshold>]``, also the name of its SQL files.
    title
        The condition that fails, as a statement.
    subject
        What one row is about.
    scope
        What the check cannot see, in a sentence: shown beside its results.
    action
        What to do about a failing subject, as an instruction: the executive summary's
        next actions.
    """

    check_id: str
    title: str
    subject: str
    scope: str
    action: str


def run_check(
    con: duckdb.DuckDBPyConnection, check: Check, params: dict[str, object]
) -> pd.DataFrame:
    """Run a check's finding query and return its rows, verified against the contract.

    Raises
    ------
    AssertionError
        The query breaks the contract (a column missing, a status or severity outside the
        closed sets): a defect of the check, not of the data.
    """
    sql = sql_text(check.check_id, METRICS_DIR)
    log.debug("check %s: %s", check.check_id, sql)
    frame = con.execute(sql, bind(sql, params)).df()
    missing = [c for c in FINDING_COLUMNS if c not in frame.columns]
    bad_status = set(frame["status"]) - set(STATUSES) if "status" in frame else set()
    bad_severity = set(frame["severity"]) - set(SEVERITIES) if "severity" in frame else set()
    if missing or bad_status or bad_severity:
        raise AssertionError(
            f"check {check.check_id} breaks the finding contract: missing {missing}, "
            f"statuses {sorted(bad_status)}, severities {sorted(bad_severity)}"
        )
    return frame[list(FINDING_COLUMNS)]


def denominator(con: duckdb.DuckDBPyConnection, check: Check, params: dict[str, object]) -> int:
    """Return how many subjects the check could judge (its ``.denominator.sql``)."""
    sql = sql_text(f"{check.check_id}.denominator", METRICS_DIR)
    rows = con.execute(sql, bind(sql, params)).fetchall()
    return int(rows[0][0])


def evaluate(
    con: duckdb.DuckDBPyConnection,
    checks: tuple[Check, ...],
    params: dict[str, object],
    only: tuple[str, ...] | None = None,
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Run ``checks`` (those in ``only``, when given): ``{check_id: (rows, denominator)}``."""
    return {
        check.check_id: (run_check(con, check, params), denominator(con, check, params))
        for check in checks
        if not only or check.check_id in only
    }


def create_temp_tables(
    con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], params: dict[str, object]
) -> None:
    """Build each temporary table from the SQL file of its name, with the parameters it uses
    (read-only connections may create temporary tables)."""
    for table in tables:
        sql = sql_text(table, METRICS_DIR)
        log.debug("temporary table %s: %s", table, sql)
        con.execute(f"create or replace temp table {table} as {sql}", bind(sql, params))
