"""One aggregation, three ways: local-mode Apache Spark, DuckDB, and the ingest agree.

The sample is a small trail written as AWS writes trails and as people copy them: gzipped
and plain delivery files on one line, a pretty-printed delivery file, and one event per
line; with role sessions (with and without their issuer), a federated user, AWS services,
an anonymous caller, failures (an error code, a failed console sign-in), calls without an
access key, an event delivered twice, a record without an event name, and two UTC days.
Spark and DuckDB must give the same usage rows, and both the rows the ingest keeps in
usage_daily for the same files: that proves the Spark path follows the toolkit's rules.
One Spark session serves the module.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from analytics.aggregate import USAGE_COLUMNS, aggregate, spark_session
from analytics.cli import main
from analytics.ingest import ingest_paths

P, Q = "111122223333", "444455556666"
USAGE = f"select {', '.join(USAGE_COLUMNS)} from usage_daily where origin = ?"


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = spark_session("local[2]")
    yield session
    session.stop()


def _who(n: int) -> dict:
    """One of the caller shapes CloudTrail writes, picked by ``n``."""
    user = f"svc-{n % 3}"
    shapes = [
        {"type": "IAMUser", "arn": f"arn:aws:iam::{P}:user/{user}", "accountId": P,
         "userName": user, "accessKeyId": f"AKIATESTSPARK{n % 3:07d}"},
        {"type": "AssumedRole", "arn": f"arn:aws:sts::{P}:assumed-role/deployer/run-{n}",
         "accountId": P, "accessKeyId": f"ASIATESTSPARK{n:07d}",
         "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deployer",
                                              "arn": f"arn:aws:iam::{P}:role/deployer"}}},
        # A session logged without its issuer: counted against the role its ARN names.
        {"type": "AssumedRole", "arn": f"arn:aws-cn:sts::{Q}:assumed-role/batch/{n}",
         "accountId": Q},
        {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
        {"type": "FederatedUser", "arn": f"arn:aws:sts::{P}:federated-user/bob",
         "accountId": P, "userName": "bob",
         "sessionContext": {"sessionIssuer": {"type": "IAMUser",
                                              "arn": f"arn:aws:iam::{P}:user/broker"}}},
        {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"},
        # Padded and placeholder values, as some exports write them.
        {"type": "IAMUser", "arn": f"  arn:aws:iam::{P}:user/padded ", "accessKeyId": "N/A"},
        {"type": "Unknown", "userName": "someone", "accountId": "null"},
    ]  # fmt: skip
    return shapes[n % len(shapes)]


def _event(n: int, rng: random.Random) -> dict:
    second = rng.randrange(2 * 86400)  # two UTC days
    event = {
        "eventVersion": "1.08",
        "eventTime": f"2026-05-{1 + second // 86400:02d}T{second % 86400 // 3600:02d}:"
        f"{second % 3600 // 60:02d}:{second % 60:02d}Z",
        "eventSource": rng.choice(["s3.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com"]),
        "eventName": rng.choice(["GetObject", "AssumeRole", "Decrypt"]),
        "eventID": f"spark-sample-{n}",
        "awsRegion": "eu-west-1",
        "userIdentity": _who(n),
        "requestParameters": {"bucketName": "logs"},
    }
    if n % 4:
        event["recipientAccountId"] = P if n % 4 != 3 else Q
    if n % 9 == 0:
        event["errorCode"] = "AccessDenied"
    if n % 13 == 0:
        event["errorCode"] = ""  # empty: not a failure
    return event


def _sample(root: Path) -> Path:
    rng = random.Random(20260501)
    events = [_event(n, rng) for n in range(240)]
    login = {
        **events[0],
        "eventID": "spark-sample-login",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "responseElements": {"ConsoleLogin": "Failure"},
    }
    nameless = {**events[1], "eventID": "spark-sample-nameless"}
    del nameless["eventName"]
    trail = root / "trail" / "AWSLogs" / P / "CloudTrail" / "eu-west-1" / "2026" / "05"
    trail.mkdir(parents=True)
    one_line = json.dumps({"Records": events[:100]})
    gzipped = trail / f"{P}_CloudTrail_eu-west-1_20260501T0000Z_a.json.gz"
    gzipped.write_bytes(gzip.compress(one_line.encode()))
    plain = {"Records": [*events[100:160], login, nameless]}
    (trail / f"{P}_CloudTrail_eu-west-1_20260501T0100Z_b.json").write_text(json.dumps(plain))
    # Pretty-printed, and delivering event 150 a second time.
    pretty = json.dumps({"Records": [*events[160:200], events[150]]}, indent=2)
    (root / "trail" / "copied-by-hand.json").write_text(pretty)
    lines = "\n".join(json.dumps(event) for event in events[200:]) + "\n"
    (root / "trail" / "exported.jsonl").write_text(lines)
    (root / "trail" / "README.md").write_text("not a log")
    return root / "trail"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple]]:
    """The sample folder, and the usage rows the ingest keeps for it."""
    root = tmp_path_factory.mktemp("spark-sample")
    folder = _sample(root)
    db = root / "ingested.duckdb"
    results = ingest_paths([str(folder)], db=db)
    assert [r.status for r in results] == ["loaded"] * 4
    assert sum(r.duplicate for r in results) == 1 and sum(r.rejected for r in results) == 1
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set timezone = 'UTC'")
    rows = con.execute(USAGE, ["warehouse"]).fetchall()
    con.close()
    return folder, sorted(rows, key=_order)


def _order(row: tuple) -> tuple:
    return tuple((value is None, "" if value is None else str(value)) for value in row)


def _sorted(rows: pa.Table) -> list[tuple]:
    return sorted((tuple(row[c] for c in USAGE_COLUMNS) for row in rows.to_pylist()), key=_order)


def test_spark_duckdb_and_the_ingest_count_the_sample_alike(spark, sample) -> None:
    folder, ingested = sample

    on_spark = aggregate(str(folder), engine="spark", spark=spark)
    on_duckdb = aggregate(str(folder), engine="duckdb")

    assert _sorted(on_spark.rows) == _sorted(on_duckdb.rows) == ingested
    assert on_spark.events == on_duckdb.events == 241  # 240 + the failed sign-in
    assert on_spark.skipped == on_duckdb.skipped == 1  # the record without an event name
    assert on_spark.format == on_duckdb.format == "cloudtrail" and on_spark.detected
    identities = {row[3] for row in ingested}
    # Sessions against their roles, a federated user against its issuer, services by name.
    assert {
        f"arn:aws:iam::{P}:role/deployer",
        f"arn:aws-cn:iam::{Q}:role/batch",
        f"arn:aws:iam::{P}:user/broker",
        "aws-service:lambda.amazonaws.com",
        "aws-account:ANONYMOUS_PRINCIPAL",
        f"arn:aws:iam::{P}:user/padded",
        "unknown:someone",
    } <= identities
    assert {row[6] for row in ingested} == {"success", "failure"}
    assert None in {row[4] for row in ingested}  # calls without an access key count


def test_events_exported_from_the_warehouse_count_alike_on_both_engines(
    spark, sample, tmp_path: Path
) -> None:
    folder, ingested = sample
    db = folder.parent / "ingested.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set timezone = 'UTC'")
    con.execute(f"copy events to '{tmp_path / 'events.parquet'}' (format parquet)")
    con.execute(f"copy events to '{tmp_path / 'events.jsonl'}' (format json)")
    con.close()

    for exported in ("events.parquet", "events.jsonl"):
        on_spark = aggregate(str(tmp_path / exported), engine="spark", spark=spark)
        on_duckdb = aggregate(str(tmp_path / exported), engine="duckdb")

        assert on_spark.format == "events" and on_duckdb.format == "events"
        assert _sorted(on_spark.rows) == _sorted(on_duckdb.rows) == ingested, exported


def test_spark_lists_a_uri_itself_and_counts_it_as_duckdb_counts_the_folder(spark, sample) -> None:
    folder, _ = sample
    logs = folder / "AWSLogs"  # the two delivery files, as AWS writes them: one line each

    on_spark = aggregate(logs.as_uri(), engine="spark", spark=spark)
    on_duckdb = aggregate(str(logs), engine="duckdb")

    assert on_spark.origin == f"spark:{logs.as_uri()}"
    assert _sorted(on_spark.rows) == _sorted(on_duckdb.rows)
    assert on_spark.events == on_duckdb.events == 161  # 160 events and the failed sign-in
    assert on_spark.skipped == 1


@pytest.mark.shared
@pytest.mark.parametrize("trail", ["aws_cloudtrail_flaws2", "aws_cloudtrail_stratus_red_team"])
def test_real_trails_count_alike_on_spark_and_in_the_ingest(
    spark, real: Path, trail: str, tmp_path: Path
) -> None:
    db = tmp_path / "real.duckdb"
    results = ingest_paths([str(real / trail)], db=db)
    assert results and all(r.status == "loaded" for r in results)
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set timezone = 'UTC'")
    ingested = sorted(con.execute(USAGE, ["warehouse"]).fetchall(), key=_order)
    rejected = con.execute("select count(*) from rejected_records").fetchall()[0][0]
    con.close()

    on_spark = aggregate(str(real / trail), engine="spark", spark=spark)

    assert _sorted(on_spark.rows) == ingested
    assert on_spark.skipped == rejected


def test_the_command_loads_spark_usage_under_its_origin_and_a_rerun_replaces_it(
    spark, sample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, ingested = sample
    db = tmp_path / "w.duckdb"
    command = ["aggregate", "--engine", "spark", "--source", str(folder), "--db", str(db)]

    first = main(command)
    second = main(command)

    out = capsys.readouterr().out
    origin = f"spark:{folder}"
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set timezone = 'UTC'")
    rows = sorted(con.execute(USAGE, [origin]).fetchall(), key=_order)
    runs = con.execute(
        "select origin, engine, source, usage_rows, events, first_day, last_day "
        "from aggregate_runs"
    ).fetchall()
    con.close()
    assert first == second == 0
    assert rows == ingested
    assert [run[:5] for run in runs] == [(origin, "spark", str(folder), len(ingested), 241)]
    assert [str(day) for day in runs[0][5:]] == ["2026-05-01", "2026-05-02"]
    assert f"replacing {len(ingested):,})" in out
    assert spark.range(3).count() == 3  # the module's session was joined, not stopped


def test_a_bad_source_on_spark_is_one_line_and_exit_2(
    spark, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "inventory.json").write_text('[{"user": "a", "team": "b"}]')

    missing = main(["aggregate", "--engine", "spark", "--source", str(tmp_path / "none")])
    other = main(["aggregate", "--engine", "spark", "--source", str(tmp_path / "logs")])

    errors = capsys.readouterr().err.splitlines()
    assert missing == other == 2
    assert len(errors) == 2
    assert "no such file or folder" in errors[0]
    assert "expected CloudTrail records" in errors[1] and "team, user" in errors[1]
