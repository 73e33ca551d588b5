"""``metric_history``: the headline numbers of every report run, and their trends.

A report run appends one row per headline metric (:func:`record`) before its notebooks
run; the executive summary then compares each number with the *previous run*: the latest
run recorded earlier whose as-of is not later than this run's. A backfill (a run for an
older as-of) is therefore never compared with the future, and two runs on the same data
compare equal. Only numbers are kept; a metric without a value is NULL.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from numbers import Real
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics import __version__
from analytics.errors import UsageError
from analytics.warehouse import connect

log = logging.getLogger(__name__)

_INSERT = (
    "insert into metric_history "
    "(run_id, recorded_at, as_of, metric, value, title, population, source, toolkit_version) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def numeric(values: dict[str, Any]) -> dict[str, float | None]:
    """The entries of a :func:`analytics.metrics.headline` dict that are numbers (or
    missing numbers, ``None``), as floats; dates and text are left out."""
    out: dict[str, float | None] = {}
    for name, value in values.items():
        if value is None:
            out[name] = None
        elif isinstance(value, Real) and not isinstance(value, bool):
            number = float(value)
            out[name] = None if math.isnan(number) else number
    return out


def record(
    db: str | Path,
    run_id: str,
    as_of: datetime,
    values: dict[str, Any],
    recorded_at: datetime,
) -> int:
    """Append a run's headline numbers to ``metric_history`` in one transaction.

    Parameters
    ----------
    db
        The warehouse, opened read-write for the time of the insert.
    values
        :func:`analytics.metrics.headline` as computed for the run; its dates and text
        values are skipped (see :func:`numeric`).

    Returns
    -------
    int
        The number of rows written.

    Raises
    ------
    WarehouseLockedError
        An ingest is writing to the warehouse.
    UsageError
        The run id is in the history already (its report folder was deleted).
    """
    from analytics.metrics import CATALOGUE

    about = {metric.name: metric for metric in CATALOGUE}
    rows = []
    for name, value in numeric(values).items():
        metric = about.get(name)
        rows.append(
            (
                run_id,
                recorded_at,
                as_of,
                name,
                value,
                metric.title if metric else name,
                metric.population if metric else "",
                metric.source if metric else "",
                __version__,
            )
        )
    con = connect(db, read_only=False)
    try:
        known = con.execute(
            "select count(*) from metric_history where run_id = ?", [run_id]
        ).fetchone()
        if known and known[0]:
            raise UsageError(
                f"run {run_id} is in metric_history of {db} already (its report folder "
                f"may have been deleted): give the report another run id"
            )
        con.execute("begin transaction")
        con.executemany(_INSERT, rows)
        con.execute("commit")
    finally:
        con.close()
    log.info("recorded %d headline metrics of run %s in metric_history", len(rows), run_id)
    return len(rows)


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has a ``metric_history`` table: one made by a release before
    it gets one at its next ingest or report (read-only readers cannot add it)."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_name = 'metric_history'"
    ).fetchone()
    return bool(row and row[0])


def latest_run(con: duckdb.DuckDBPyConnection, up_to: datetime | None = None) -> str | None:
    """The run recorded last (of those whose as-of is not later than ``up_to``, if given);
    ``None`` when there is none."""
    row = con.execute(
        "select run_id from metric_history "
        "where $up_to is null or as_of <= $up_to "
        "group by run_id order by min(recorded_at) desc, run_id desc limit 1",
        {"up_to": up_to},
    ).fetchone()
    return None if row is None else str(row[0])


def previous_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run a trend compares ``run_id`` with: the latest recorded before it whose as-of
    is not later than its own; ``None`` when there is none."""
    row = con.execute(
        "with this as ("
        "  select min(recorded_at) as recorded_at, min(as_of) as as_of"
        "  from metric_history where run_id = $run_id"
        ") "
        "select h.run_id "
        "from metric_history as h, this "
        "where h.run_id <> $run_id and h.recorded_at < this.recorded_at "
        "  and h.as_of <= this.as_of "
        "group by h.run_id "
        "order by min(h.recorded_at) desc, h.run_id desc "
        "limit 1",
        {"run_id": run_id},
    ).fetchone()
    return None if row is None else str(row[0])


def values_of(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The recorded rows of one run, indexed by metric name."""
    return (
        con.execute(
            "select * from metric_history where run_id = ? order by metric",
            [run_id],
        )
        .df()
        .set_index("metric")
    )


def series(
    con: duckdb.DuckDBPyConnection, metrics: list[str], until_run: str, limit: int = 12
) -> pd.DataFrame:
    """The recorded values of ``metrics`` over the last ``limit`` runs up to ``until_run``
    (those recorded no later, with an as-of no later), oldest first: one row per run and
    metric with ``run_id``, ``as_of``, ``metric`` and ``value``."""
    return con.execute(
        "with this as ("
        "  select min(recorded_at) as recorded_at, min(as_of) as as_of"
        "  from metric_history where run_id = $run_id"
        "), chosen as ("
        "  select h.run_id, min(h.recorded_at) as recorded_at"
        "  from metric_history as h, this"
        "  where h.recorded_at <= this.recorded_at and h.as_of <= this.as_of"
        "  group by h.run_id"
        "  order by recorded_at desc, h.run_id desc"
        "  limit $limit"
        ") "
        "select h.run_id, h.as_of, h.metric, h.value "
        "from metric_history as h join chosen using (run_id) "
        "where list_contains($metrics, h.metric) "
        "order by chosen.recorded_at, h.run_id, h.metric",
        {"run_id": until_run, "limit": limit, "metrics": metrics},
    ).df()
