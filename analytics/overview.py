"""What the warehouse holds and how well the audit logs cover it: the data-overview tables.

Each function runs one query from ``analytics/sql/overview_<name>.sql`` with bound
parameters and returns a pandas DataFrame, ready for a table or a chart. Two kinds of
question are answered here:

* the load ledger (files and records per source kind, rejected records, failed files),
  which describes every ingest so far and is therefore not cut at the as-of;
* audit-log coverage (events per account and day, gaps, silence before the as-of), which
  counts only events up to the as-of.

Days are UTC calendar days. An account appears only when at least one of its events was
loaded: an account whose trail was never ingested is invisible here, not "silent".
"""

from __future__ import annotations

import logging
from datetime import datetime

import duckdb
import pandas as pd

from analytics.warehouse import sql_text

log = logging.getLogger(__name__)

REJECTED_LIMIT = 1000


def _frame(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None
) -> pd.DataFrame:
    """Run ``overview_<name>.sql`` with ``params`` bound and return the result."""
    sql = sql_text(f"overview_{name}")
    log.debug("overview %s %s: %s", name, params or {}, sql)
    return con.execute(sql, params or {}).df()


def loaded_by_kind(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return files and records per source kind, with the times their records cover.

    Returns
    -------
    pandas.DataFrame
        One row per kind (``unknown`` for files whose kind could not be told):
        ``files_loaded``, ``files_failed``, ``records_read``, ``records_loaded``,
        ``records_rejected``, ``records_duplicate`` (``read = loaded + rejected +
        duplicate``), ``first_record_at`` / ``last_record_at`` (record times, empty for
        snapshot sources) and ``first_observed_at`` / ``last_observed_at`` (snapshot
        times, UTC).

    Notes
    -----
    A file whose content was already loaded is skipped without a new ledger row, so it is
    not counted twice. ``observed_at`` falls back to the file's modification time when
    neither the file nor the ingest call says when the snapshot was taken.
    """
    return _frame(con, "loaded_by_kind")


def events_per_day(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    """Return the number of audit events per account and UTC day, up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``account_id`` (``(no account)`` when the event names none), ``day`` and
        ``events``; only days with at least one event have a row.
    """
    return _frame(con, "events_per_day", {"as_of": as_of})


def coverage_by_account(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    """Return, per account, how many days of its logged period have events.

    Returns
    -------
    pandas.DataFrame
        ``first_day`` and ``last_day`` with an event, ``days_in_period`` (inclusive),
        ``days_with_events``, ``days_without_events``, ``events``, and
        ``days_silent_before_as_of`` (days from the last event day to the as-of day; a
        large value means the logs stopped arriving, or the account went quiet).

    Notes
    -----
    A day with one event counts as covered, even if the trail delivered only part of it.
    """
    return _frame(con, "coverage_by_account", {"as_of": as_of})


def coverage_gaps(
    con: duckdb.DuckDBPyConnection, as_of: datetime, gap_days: int = 2
) -> pd.DataFrame:
    """Return runs of at least ``gap_days`` days with no event inside each account's period.

    Parameters
    ----------
    as_of
        Only events at or before this instant count.
    gap_days
        The shortest run of event-free UTC days reported, at least 1. Quiet weekends are
        normal for some accounts; raise it to see only outages.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``gap_start`` and ``gap_end`` (the first and last day without
        events, inclusive) and ``gap_days``. Silence after an account's last event is not
        a gap here; see ``days_silent_before_as_of`` in :func:`coverage_by_account`.

    Raises
    ------
    ValueError
        ``gap_days`` is below 1.
    """
    if gap_days < 1:
        raise ValueError(f"gap_days must be 1 or more (days without events), got {gap_days}")
    return _frame(con, "coverage_gaps", {"as_of": as_of, "gap_days": gap_days})


def rejected_records(con: duckdb.DuckDBPyConnection, limit: int = REJECTED_LIMIT) -> pd.DataFrame:
    """Return records that could not be loaded: where they are and why, never their content.

    Parameters
    ----------
    limit
        At most this many rows, ordered by file and record index; the full count per kind
        is ``records_rejected`` in :func:`loaded_by_kind`.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``path``, ``position`` (line or JSON path in the file),
        ``record_index``, ``field`` (empty when the whole record is unreadable) and
        ``reason``.
    """
    return _frame(con, "rejected_records", {"limit": limit})


def failed_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return files that failed as a whole: ``path``, ``kind``, ``error``, ``attempted_at``.

    A failed file loaded nothing; its records are not in ``records_read``.
    """
    return _frame(con, "failed_files")
