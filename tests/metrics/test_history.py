"""metric_history: what a report run records, and which earlier run a trend compares with."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from analytics.metrics import history

NOV = datetime(2026, 11, 30, tzinfo=UTC)
OCT = datetime(2026, 10, 31, tzinfo=UTC)


def _at(hour: int) -> datetime:
    return datetime(2026, 12, 4, hour, tzinfo=UTC)


def test_a_run_records_its_numbers_and_skips_dates_and_text(db):
    values = {
        "as_of": NOV.isoformat(),
        "inventory.identities_total": 300,
        "ttr.median_days": 18.5,
        "ttr.p90_days": None,
        "activity.events_first": "2026-06-03T00:04:36+00:00",
        "agents.jit_coverage": float("nan"),
    }

    written = history.record(db, "run-1", NOV, values, _at(8))

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "select metric, value, title, population from metric_history order by metric"
    ).fetchall()
    assert written == 4
    assert rows == [
        (
            "agents.jit_coverage",
            None,
            "Share of agent tool calls under a task-scoped grant",
            "agents.tool_calls",
        ),
        ("inventory.identities_total", 300.0, "Non-human identities", "newest snapshot"),
        (
            "ttr.median_days",
            18.5,
            "Median days to remediate (Kaplan-Meier)",
            "population",
        ),
        (
            "ttr.p90_days",
            None,
            "Days by which 90% are remediated (Kaplan-Meier)",
            "population",
        ),
    ]


def test_a_run_id_is_recorded_once(db):
    history.record(db, "run-1", NOV, {"inventory.identities_total": 1}, _at(8))

    with pytest.raises(ValueError, match="run-1 is in metric_history"):
        history.record(db, "run-1", NOV, {"inventory.identities_total": 2}, _at(9))


def test_the_previous_run_is_the_latest_earlier_one_not_describing_a_later_instant(db):
    history.record(db, "nov-first", NOV, {"x": 1}, _at(8))
    history.record(db, "nov-second", NOV, {"x": 2}, _at(9))
    history.record(db, "oct-backfill", OCT, {"x": 3}, _at(10))
    history.record(db, "nov-third", NOV, {"x": 4}, _at(11))

    con = duckdb.connect(str(db), read_only=True)
    assert history.previous_run(con, "nov-first") is None
    assert history.previous_run(con, "nov-second") == "nov-first"
    # A backfill for October is never compared with November's numbers...
    assert history.previous_run(con, "oct-backfill") is None
    # ...but November, recorded after it, compares with the latest run not in its future.
    assert history.previous_run(con, "nov-third") == "oct-backfill"
    assert history.latest_run(con) == "nov-third"
    assert history.latest_run(con, up_to=OCT) == "oct-backfill"
    assert history.series(con, ["x"], "nov-third", limit=3)["value"].tolist() == [2, 3, 4]


def test_a_warehouse_made_before_metric_history_reads_as_having_no_runs(tmp_path):
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).execute("create table events (event_id varchar)").close()

    con = duckdb.connect(str(path), read_only=True)

    assert history.available(con) is False
