"""The data-overview tables on a hand-built warehouse, checked against hand counts.

Account A has events on 1, 2, 6 and 9 January 2026 (UTC); its 5 January event is written
with a -02:00 offset and falls on the 6th in UTC. Account B has events on 1 and 3 January
and one on 20 January, after the as-of. One event is repeated in a second file (a
duplicate), one record has no time (rejected), and one file is not a known format.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from analytics import charts, overview
from analytics.warehouse import connect

A = "111122223333"
B = "444455556666"
AS_OF = datetime(2026, 1, 10, tzinfo=UTC)
SECRET = "SENTINEL-RECORD-CONTENT-42"


def _event(event_id: str, time: str, account: str) -> dict[str, object]:
    return {
        "eventTime": time,
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "eventID": event_id,
        "recipientAccountId": account,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{account}:user/bot"},
    }


@pytest.fixture
def con(tmp_path, db, load):
    """A read-only connection to the hand-built warehouse described in the module doc."""
    first = [
        _event("a1", "2026-01-01T10:00:00Z", A),
        _event("a2", "2026-01-02T10:00:00Z", A),
        _event("a3", "2026-01-02T11:00:00Z", A),
        _event("a4", "2026-01-05T23:30:00-02:00", A),
        _event("a5", "2026-01-09T00:00:00Z", A),
        _event("b1", "2026-01-01T00:00:00Z", B),
        _event("b2", "2026-01-03T23:59:59Z", B),
        _event("b3", "2026-01-20T00:00:00Z", B),
        {"eventSource": "sts.amazonaws.com", "eventID": "no-time", "userAgent": SECRET},
    ]
    second = [_event("a5", "2026-01-09T00:00:00Z", A), _event("a6", "2026-01-09T12:00:00Z", A)]
    (tmp_path / "trail-1.json").write_text(json.dumps({"Records": first}))
    (tmp_path / "trail-2.json").write_text(json.dumps({"Records": second}))
    (tmp_path / "notes.json").write_text(json.dumps({"hello": "world"}))
    load(tmp_path / "trail-1.json", tmp_path / "trail-2.json", tmp_path / "notes.json")
    connection = connect(db, read_only=True)
    yield connection
    connection.close()


def _days(*days: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(2026, 1, day) for day in days]


def test_loaded_by_kind_accounts_for_every_record_read(con):
    loaded = overview.loaded_by_kind(con).set_index("kind")

    trail = loaded.loc["cloudtrail"]
    assert (trail.files_loaded, trail.files_failed) == (2, 0)
    assert (trail.records_read, trail.records_loaded) == (11, 9)
    assert (trail.records_rejected, trail.records_duplicate) == (1, 1)
    assert trail.first_record_at == pd.Timestamp("2026-01-01T00:00:00Z")
    assert trail.last_record_at == pd.Timestamp("2026-01-20T00:00:00Z")
    assert (loaded.loc["unknown"].files_failed, loaded.loc["unknown"].records_read) == (1, 0)


def test_events_per_day_counts_utc_days_up_to_the_as_of(con):
    per_day = overview.events_per_day(con, AS_OF)

    a = per_day[per_day.account_id == A]
    assert list(a.day) == _days(1, 2, 6, 9)
    assert list(a.events) == [1, 2, 1, 2]
    assert list(per_day[per_day.account_id == B].day) == _days(1, 3)
    assert set(per_day.sources) == {"cloudtrail"}


@pytest.mark.parametrize(
    ("gap_days", "expected"),
    [
        (1, [(A, 3, 5, 3), (A, 7, 8, 2), (B, 2, 2, 1)]),
        (2, [(A, 3, 5, 3), (A, 7, 8, 2)]),
        (3, [(A, 3, 5, 3)]),
        (4, []),
    ],
)
def test_coverage_gaps_are_runs_of_at_least_gap_days_without_events(con, gap_days, expected):
    gaps = overview.coverage_gaps(con, AS_OF, gap_days)

    found = [(g.account_id, g.gap_start.day, g.gap_end.day, g.gap_days) for g in gaps.itertuples()]
    assert found == expected


def test_coverage_gaps_ignore_events_after_the_as_of(con):
    later = datetime(2026, 1, 31, tzinfo=UTC)

    gaps = overview.coverage_gaps(con, later, 2)

    assert (B, 4, 19, 16) in [
        (g.account_id, g.gap_start.day, g.gap_end.day, g.gap_days) for g in gaps.itertuples()
    ]
    assert B not in set(overview.coverage_gaps(con, AS_OF, 2).account_id)


def test_coverage_gaps_refuse_a_threshold_below_one_day(con):
    with pytest.raises(ValueError, match="gap_days must be 1 or more"):
        overview.coverage_gaps(con, AS_OF, 0)


def test_coverage_by_account_counts_days_and_silence_before_the_as_of(con):
    coverage = overview.coverage_by_account(con, AS_OF).set_index("account_id")

    a, b = coverage.loc[A], coverage.loc[B]
    assert (a.first_day, a.last_day) == tuple(_days(1, 9))
    assert (a.days_in_period, a.days_with_events, a.days_without_events) == (9, 4, 5)
    assert (a.events, a.days_silent_before_as_of) == (6, 1)
    assert (b.days_in_period, b.days_with_events, b.events) == (3, 2, 2)
    assert b.days_silent_before_as_of == 7


def test_rejected_records_name_the_place_and_reason_without_record_content(con):
    rejected = overview.rejected_records(con)

    assert len(rejected) == 1
    row = rejected.iloc[0]
    assert row.kind == "cloudtrail"
    assert row.path.endswith("trail-1.json")
    assert row.record_index == 8
    assert row.field == "eventTime"
    assert row.reason
    assert SECRET not in rejected.to_csv()


def test_rejected_records_stop_at_the_limit(con):
    assert len(overview.rejected_records(con, limit=0)) == 0


def test_failed_files_give_the_path_and_the_error(con):
    failed = overview.failed_files(con)

    assert list(failed.path.str.rsplit("/", n=1).str[-1]) == ["notes.json"]
    assert "cannot tell the kind" in failed.error.iloc[0]


def test_coverage_figure_draws_every_gap_and_states_period_population_source(con):
    per_day = overview.events_per_day(con, AS_OF)
    gaps = overview.coverage_gaps(con, AS_OF, 2)

    fig = charts.coverage_figure(per_day, gaps, as_of=AS_OF, gap_days=2)

    gap_trace = fig.data[1]
    assert [x for x in gap_trace.x if x is not None] == _days(3, 6, 7, 9)
    subtitle = fig.layout.title.subtitle.text
    assert "Period: 2026-01-01 to 2026-01-10 (UTC)" in subtitle
    assert "Population: 2 accounts with at least one event" in subtitle
    assert "Source: events table (cloudtrail)" in subtitle


def test_table_escapes_cell_text_and_says_none_when_empty():
    frame = pd.DataFrame({"path": ["<script>alert(1)</script>"]})

    shown = charts.table(frame, "Paths", period="p", population="q", source="s").data
    empty = charts.table(frame.iloc[0:0], "Paths", period="p", population="q", source="s").data

    assert "<script>alert" not in shown and "&lt;script&gt;" in shown
    assert "Period: p · Population: q · Source: s" in shown
    assert "None." in empty
