"""Daily usage (analytics.aggregate) on DuckDB: the warehouse's own rows, counted by hand,
usage aggregated from files and loaded as another origin, and the command line.

Spark, and the equality of the engines with each other and with the ingest, are in
test_aggregate_spark.py.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from analytics.aggregate import MISSING_TEXT, aggregate, load_usage
from analytics.cli import main
from analytics.ingest import ingest_paths
from analytics.ingest.fields import text
from analytics.metrics import privilege
from analytics.warehouse import connect
from tests.metrics import test_privilege as world

P = "111122223333"
SVC = f"arn:aws:iam::{P}:user/svc-a"
ROLE = f"arn:aws:iam::{P}:role/role-r"
KEY, SESSION_KEY, OTHER_SESSION_KEY = (
    "AKIATESTAGGAAAAAAAAA",
    "ASIATESTAGG111111111",
    "ASIATESTAGG222222222",
)
USAGE = (
    "select day, source_kind, account_id, identity_id, access_key_id, action, outcome, calls, "
    "first_seen, last_seen from usage_daily where origin = ? "
    "order by day, identity_id, action, outcome"
)


def _event(n: int, time: str, source: str, name: str, who: dict, **extra: object) -> dict:
    return {
        "eventVersion": "1.08",
        "eventTime": time,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "eventID": f"agg-{n}",
        "awsRegion": "eu-west-1",
        "recipientAccountId": P,
        "userIdentity": who,
        **extra,
    }


USER = {"type": "IAMUser", "arn": SVC, "accountId": P, "accessKeyId": KEY, "userName": "svc-a"}
SESSION = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{P}:assumed-role/role-r/job-1",
    "accountId": P,
    "accessKeyId": SESSION_KEY,
    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE, "userName": "role-r"}},
}
# A session logged without its issuer: the role ARN is built from the session ARN.
BARE_SESSION = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{P}:assumed-role/role-r/job-2",
    "accountId": P,
    "accessKeyId": OTHER_SESSION_KEY,
}
SERVICE = {"type": "AWSService", "invokedBy": "events.amazonaws.com"}


def _at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def _write(path: Path, *events: dict) -> Path:
    path.write_text(json.dumps({"Records": list(events)}), encoding="utf-8")
    return path


def _rows(db: Path, origin: str = "warehouse") -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        return con.execute(USAGE, [origin]).fetchall()
    finally:
        con.close()


def test_ingest_keeps_usage_per_day_and_recomputes_the_days_a_file_touches(
    tmp_path: Path, db: Path
) -> None:
    first = _write(
        tmp_path / "first.json",
        _event(1, "2026-03-01T08:00:00Z", "s3", "GetObject", USER),
        _event(2, "2026-03-01T09:30:00Z", "s3", "GetObject", USER),
        _event(3, "2026-03-01T23:59:59Z", "dynamodb", "GetItem", SESSION),
        # 23:00 at UTC-1 is midnight UTC: the next UTC day.
        _event(4, "2026-03-01T23:00:00-01:00", "s3", "PutObject", USER, errorCode="AccessDenied"),
    )
    second = _write(
        tmp_path / "second.json",
        _event(2, "2026-03-01T09:30:00Z", "s3", "GetObject", USER),  # delivered again
        _event(5, "2026-03-02T10:00:00Z", "dynamodb", "GetItem", BARE_SESSION),
        _event(6, "2026-03-02T11:00:00Z", "lambda", "Invoke", SERVICE),
    )
    day1 = [
        (date(2026, 3, 1), "cloudtrail", P, ROLE, SESSION_KEY, "dynamodb:GetItem", "success",
         1, _at("2026-03-01T23:59:59"), _at("2026-03-01T23:59:59")),
        (date(2026, 3, 1), "cloudtrail", P, SVC, KEY, "s3:GetObject", "success",
         2, _at("2026-03-01T08:00:00"), _at("2026-03-01T09:30:00")),
    ]  # fmt: skip
    failure = (
        (date(2026, 3, 2), "cloudtrail", P, SVC, KEY, "s3:PutObject", "failure",
         1, _at("2026-03-02T00:00:00"), _at("2026-03-02T00:00:00"))
    )  # fmt: skip

    ingest_paths([str(first)], db=db)
    after_first = _rows(db)
    ingest_paths([str(second)], db=db)
    after_second = _rows(db)

    assert after_first == [*day1, failure]
    assert after_second == [
        *day1,
        (date(2026, 3, 2), "cloudtrail", P, ROLE, OTHER_SESSION_KEY, "dynamodb:GetItem",
         "success", 1, _at("2026-03-02T10:00:00"), _at("2026-03-02T10:00:00")),
        failure,
        (date(2026, 3, 2), "cloudtrail", P, "aws-service:events.amazonaws.com", None,
         "lambda:Invoke", "success", 1, _at("2026-03-02T11:00:00"), _at("2026-03-02T11:00:00")),
    ]  # fmt: skip


def test_the_missing_markers_are_the_ones_the_ingest_reads_as_missing() -> None:
    assert all(text({"x": marker}, "x") is None for marker in MISSING_TEXT)
    assert text({"x": "NA"}, "x") == "NA"


def test_a_rebuild_without_source_recomputes_the_rows_the_ingest_made(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _write(
        tmp_path / "trail.json",
        _event(1, "2026-03-01T08:00:00Z", "s3", "GetObject", USER),
        _event(2, "2026-03-02T08:00:00Z", "lambda", "Invoke", SERVICE),
    )
    ingest_paths([str(trail)], db=db)
    made_by_ingest = _rows(db)
    con = connect(db, read_only=False)
    con.execute("delete from usage_daily")
    con.close()

    code = main(["aggregate", "--db", str(db)])

    assert code == 0
    assert _rows(db) == made_by_ingest and len(made_by_ingest) == 2
    assert "2 usage rows from 2 events" in capsys.readouterr().out


def test_usage_aggregated_from_files_counts_as_the_warehouse_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The privilege world of tests/metrics/test_privilege.py, once ingested whole and once
    with its trail aggregated from the file instead: the checks that read usage agree."""
    whole = world.build_warehouse(tmp_path_factory.mktemp("whole"))
    root = tmp_path_factory.mktemp("aggregated")
    world._write_world(root)
    apart = root / "warehouse.duckdb"
    ingest_paths([str(root / "authz-1.json"), str(root / "authz-2.json")], db=apart)
    ingest_paths([str(root / "inventory")], db=apart, as_of=datetime(2026, 2, 28, tzinfo=UTC))
    result = aggregate(str(root / "trail.json"), engine="duckdb")
    load_usage(result, apart)
    checks = ("identity_privilege_drift", "identity_dormant_90d")

    seen, evidence = [], []
    for db in (whole, apart):
        con = connect(db, read_only=True)
        try:
            privilege.prepare(con, world.AS_OF)
            used = con.execute(
                "select * from privilege_used order by identity_id, action"
            ).fetchall()
            found = privilege.checks(con, world.AS_OF, only=checks)
        finally:
            con.close()
        statuses = {
            check: sorted(zip(rows["subject_id"], rows["status"], rows["reason"], strict=True))
            for check, (rows, _) in found.items()
        }
        seen.append((used, statuses, {c: judged for c, (_, judged) in found.items()}))
        dormant_rows = found["identity_dormant_90d"][0].set_index("subject_id")
        evidence.append(dormant_rows.loc[world.SVC_OLD, "evidence"])

    assert result.origin == f"duckdb:{root / 'trail.json'}" and result.events == 12
    assert seen[1] == seen[0]
    # Used (identity, action) pairs, as the hand count has them: two each of svc-a, svc-b,
    # role-c and svc-d.
    assert len(seen[0][0]) == 8
    # The last event's id where the warehouse holds it, else where the usage came from.
    assert evidence == ["priv-11", f"usage from {result.origin}"]
    dormant = {subject: status for subject, status, _ in seen[0][1]["identity_dormant_90d"]}
    assert dormant[world.SVC_OLD] == "fail" and dormant[world.SVC_A] == "pass"


def test_a_source_that_names_nothing_fails_in_one_line(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["aggregate", "--source", str(tmp_path / "missing"), "--db", str(db)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "no such file or folder" in err and "missing" in err


def test_duckdb_reads_local_sources_and_sends_uris_to_spark(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["aggregate", "--source", "s3a://trail-bucket/AWSLogs/", "--db", str(db)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "use --engine spark" in err


def test_spark_without_java_or_pyspark_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _write(tmp_path / "trail.json", _event(1, "2026-03-01T08:00:00Z", "s3", "X", USER))
    command = ["aggregate", "--engine", "spark", "--source", str(trail)]
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(tmp_path))
        patch.delenv("JAVA_HOME", raising=False)
        no_java = main(command)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pyspark.sql", None)  # as if it were not installed
        no_pyspark = main(command)

    errors = capsys.readouterr().err.splitlines()
    assert no_java == no_pyspark == 2 and len(errors) == 2
    assert "needs a Java runtime" in errors[0] and "openjdk-17" in errors[0]
    assert "pip install 'nhi-risk[spark]'" in errors[1]


def test_a_folder_of_other_json_is_refused_with_the_keys_it_holds(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.json").write_text('{"level": "info", "msg": "started"}\n')

    code = main(["aggregate", "--source", str(tmp_path / "logs"), "--db", str(db)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "app.json: expected CloudTrail records" in err and "level, msg" in err


def test_usage_written_to_a_file_loads_later_under_its_first_origin(
    tmp_path: Path, db: Path
) -> None:
    (tmp_path / "logs").mkdir()
    trail = _write(
        tmp_path / "logs" / "trail.json",
        _event(1, "2026-03-01T08:00:00Z", "s3", "GetObject", USER),
        _event(2, "2026-03-01T09:00:00Z", "s3", "GetObject", USER),
    )
    out = tmp_path / "usage.parquet"

    assert main(["aggregate", "--source", str(trail.parent), "--out", str(out)]) == 0
    assert main(["aggregate", "--source", str(out), "--db", str(db)]) == 0

    origin = f"duckdb:{trail.parent}"
    assert _rows(db, origin) == [
        (date(2026, 3, 1), "cloudtrail", P, SVC, KEY, "s3:GetObject", "success",
         2, _at("2026-03-01T08:00:00"), _at("2026-03-01T09:00:00")),
    ]  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("select origin, engine, source, usage_rows, events from aggregate_runs")
    assert runs.fetchall() == [(origin, "duckdb", str(trail.parent), 1, 2)]
    con.close()
