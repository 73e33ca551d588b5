"""The scale benchmark's generator and harness, at sizes small enough for the test suite.

No timing is asserted here: speed targets live in ``make bench``. What is checked is that
the benchmark measures what it says: delivery files shaped and laid out as AWS writes them,
JSON-lines twins holding the same events in the same split, the same bytes for the same
seed, and a harness that runs every step and refuses a warehouse that lost events.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from benchmarks import run
from benchmarks.generate import generate, generate_single
from benchmarks.steps import FLAT_COLUMNS

EVENTS = 3000
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DELIVERY_PATH = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory):
    """A 3,000-event set generated once for the module."""
    return generate(EVENTS, seed=11, work=tmp_path_factory.mktemp("bench-work"))


def _delivery_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*.json.gz"))
    }


def test_delivery_files_follow_the_aws_layout_and_gzip(trail) -> None:
    files = _delivery_files(trail.delivery)
    assert len(files) == trail.files == 3
    total = 0
    for name, data in files.items():
        match = DELIVERY_PATH.match(name)
        assert match, name
        # Gzip as CloudTrail writes it: deflate, one member, no stored name or time.
        assert data[:8] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00"
        text = gzip.decompress(data).decode("utf-8")
        assert text.startswith('{"Records":[') and text.endswith("]}\n")
        assert text.count("\n") == 1
        records = json.loads(text)["Records"]
        total += len(records)
        # About a thousand events a file, all of the file's account and region, in time
        # order, and all before the delivery time the name carries.
        assert 850 <= len(records) <= 1150
        assert {r["recipientAccountId"] for r in records} == {match["account"]}
        assert {r["awsRegion"] for r in records} == {match["region"]}
        times = [r["eventTime"] for r in records]
        assert times == sorted(times)
        delivered = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        assert (match["y"], match["m"], match["d"]) == (
            f"{delivered:%Y}",
            f"{delivered:%m}",
            f"{delivered:%d}",
        )
        last = datetime.strptime(times[-1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert last <= delivered
    assert total == EVENTS


def test_json_lines_files_hold_the_same_events_in_the_same_split(trail) -> None:
    delivery = sorted(trail.delivery.rglob("*.json.gz"))
    lines = sorted(trail.jsonl.rglob("*.jsonl.gz"))
    assert [p.relative_to(trail.jsonl).as_posix().removesuffix(".jsonl.gz") for p in lines] == [
        p.relative_to(trail.delivery).as_posix().removesuffix(".json.gz") for p in delivery
    ]
    for records_file, lines_file in zip(delivery, lines, strict=True):
        with gzip.open(records_file, "rt") as handle:
            records = json.load(handle)["Records"]
        with gzip.open(lines_file, "rt") as handle:
            events = [json.loads(line) for line in handle]
        assert events == records


def test_events_look_like_cloudtrail(trail) -> None:
    events = []
    for path in trail.delivery.rglob("*.json.gz"):
        with gzip.open(path, "rt") as handle:
            events.extend(json.load(handle)["Records"])
    assert len({e["eventID"] for e in events}) == EVENTS
    assert all(UUID.match(e["eventID"]) for e in events)
    assert {e["eventType"] for e in events} == {"AwsApiCall"}
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["eventTime"]) for e in events)
    kinds = Counter(e["userIdentity"]["type"] for e in events)
    assert set(kinds) == {"IAMUser", "AssumedRole", "AWSService"}
    for event in events:
        who = event["userIdentity"]
        if who["type"] == "IAMUser":
            assert who["accessKeyId"].startswith("AKIA")
            assert who["arn"] == f"arn:aws:iam::{who['accountId']}:user/{who['userName']}"
        elif who["type"] == "AssumedRole":
            role, session = re.match(
                rf"^arn:aws:sts::{who['accountId']}:assumed-role/([^/]+)/(.+)$", who["arn"]
            ).groups()
            issuer = who["sessionContext"]["sessionIssuer"]
            assert issuer["arn"] == f"arn:aws:iam::{who['accountId']}:role/{role}"
            assert who["principalId"].endswith(f":{session}")
            assert who["sessionContext"]["attributes"]["mfaAuthenticated"] in ("true", "false")
        else:
            assert event["sourceIPAddress"] == who["invokedBy"]
    failed = sum("errorCode" in e for e in events)
    assert all(("errorMessage" in e) == ("errorCode" in e) for e in events)
    # About 3 % of calls fail: 90 expected, and 30..180 is beyond six standard deviations.
    assert 30 <= failed <= 180
    assert len({(e["eventSource"], e["eventName"]) for e in events}) >= 40


def test_a_seed_gives_the_same_bytes_whatever_the_processes(tmp_path: Path, trail) -> None:
    again = generate(EVENTS, seed=11, work=tmp_path / "one", processes=1)
    other = generate(EVENTS, seed=12, work=tmp_path / "other")
    first = _delivery_files(trail.delivery)
    assert _delivery_files(again.delivery) == first
    assert _delivery_files(other.delivery) != first
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in trail.jsonl.rglob("*.gz")]
    assert sorted(digest) == sorted(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in again.jsonl.rglob("*.gz")
    )
    assert again.cached is False
    assert generate(EVENTS, seed=11, work=tmp_path / "one").cached is True


def test_the_single_records_file_holds_the_trails_events(trail) -> None:
    single = generate_single(EVENTS, seed=11, work=trail.root.parent)
    with single.path.open() as handle:
        records = json.load(handle)["Records"]
    expected = []
    for path in trail.delivery.rglob("*.json.gz"):
        with gzip.open(path, "rt") as handle:
            expected.extend(json.load(handle)["Records"])
    assert sorted(records, key=lambda e: e["eventID"]) == sorted(
        expected, key=lambda e: e["eventID"]
    )


def test_harness_runs_every_step_and_writes_the_results(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    argv = ["--events", "5000", "--report", "0", "--work", str(tmp_path), "--results"]
    assert run.main([*argv, str(results)]) == 0
    text = results.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    steps = [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]]
    assert steps[:3] == [
        "limit: DuckDB read_ndjson, JSON lines .gz",
        "nhi-risk ingest, delivery files .json.gz",
        "pandas json_normalize, delivery files",
    ]
    assert re.fullmatch(r"nhi-risk ingest, one \d+ MB Records file", steps[3])
    assert steps[4:] == ["nhi-risk metrics"]
    assert all(row.split(" | ")[1] == "5,000" for row in rows[1:])
    for heading in ("## Machine", "- CPU: ", "- packages: duckdb ", "## Method"):
        assert heading in text
    assert "skipped (BENCH_REPORT=0)" in text
    # The two baselines store the same flat table, so their times compare like with like.
    for name in ("limit-5000.duckdb", "pandas-5000.duckdb"):
        con = duckdb.connect(str(tmp_path / "runs" / name), read_only=True)
        try:
            columns = [row[0] for row in con.execute("describe events").fetchall()]
            assert columns == list(FLAT_COLUMNS)
            assert con.execute("select count(distinct event_id) from events").fetchall() == [
                (5000,)
            ]
        finally:
            con.close()
    # The check that guards every ingest row refuses a warehouse that does not hold the trail.
    with pytest.raises(run.BenchError, match="expected 5001"):
        run.check_ingest(tmp_path / "runs" / "ingest-5000.duckdb", 5001, 5)
    run.check_ingest(tmp_path / "runs" / "ingest-5000.duckdb", 5000, 5)
