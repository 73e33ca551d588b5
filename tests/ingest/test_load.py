"""The warehouse rules every adapter relies on: idempotence, atomic files, no silent loss,
clear errors for files that cannot be read, and one writer at a time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from analytics.errors import WarehouseLockedError, WarehouseMissingError
from analytics.ingest import batch as batch_module
from analytics.ingest import ingest_paths
from analytics.ingest import load as load_module
from analytics.warehouse import connect

DATA = Path(__file__).resolve().parents[1] / "data"
TABLES = (
    "identities",
    "credentials",
    "grants",
    "events",
    "secret_findings",
    "ingest_files",
    "rejected_records",
)


def _event(n: int) -> dict[str, object]:
    return {
        "eventTime": "2026-11-01T10:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "eventID": f"evt-{n}",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bot"},
    }


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
    finally:
        con.close()


def test_loading_the_same_files_twice_changes_nothing(tmp_path, db, load):
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"Records": [_event(n) for n in range(3)]}))
    load(path, DATA / "inventory-csv")
    before = _snapshot(db)

    again = load(path, DATA / "inventory-csv")

    assert {r.status for r in again} == {"already_loaded"}
    assert _snapshot(db) == before


def test_a_file_interrupted_mid_load_leaves_the_previous_state(tmp_path, db, load, monkeypatch):
    first = tmp_path / "first.json"
    first.write_text(json.dumps([_event(1)]))
    load(first)
    before = _snapshot(db)
    second = tmp_path / "second.json"
    second.write_text(json.dumps([_event(n) for n in range(2, 50)]))
    real_insert = batch_module._insert

    def insert_then_die(*args):
        real_insert(*args)
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the rows went in

    monkeypatch.setattr(batch_module, "_insert", insert_then_die)
    with pytest.raises(KeyboardInterrupt):
        load(second)
    assert _snapshot(db) == before

    monkeypatch.setattr(batch_module, "_insert", real_insert)
    [result] = load(second)
    assert (result.loaded, result.duplicate) == (48, 0)


def test_records_read_equal_loaded_plus_rejected_plus_duplicate(tmp_path, load, query):
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(_event(1)),
        "{not json",
        json.dumps(_event(1)),
        json.dumps(_event(2)),
        json.dumps({"eventName": "x"}),
    ]
    path.write_text("\n".join(lines) + "\n")

    [result] = load(path, kind="cloudtrail")

    assert (result.read, result.loaded, result.rejected, result.duplicate) == (5, 2, 2, 1)
    assert query(
        "select records_read, records_loaded, records_rejected, records_duplicate "
        "from ingest_files"
    ) == [(5, 2, 2, 1)]
    assert query("select position from rejected_records order by record_index") == [
        ("line 2",),
        ("line 5",),
    ]


def test_an_event_already_loaded_from_another_file_is_a_duplicate(tmp_path, load, query):
    (tmp_path / "a.json").write_text(json.dumps([_event(1), _event(2)]))
    (tmp_path / "b.json").write_text(json.dumps([_event(2), _event(3)]))

    _first, second = load(tmp_path / "a.json", tmp_path / "b.json")

    assert (second.loaded, second.duplicate) == (1, 1)
    assert query("select count(*) from events") == [(3,)]


def test_a_file_of_unknown_kind_fails_with_the_list_of_kinds(tmp_path, load):
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"hello": "world"}))
    empty = tmp_path / "empty.json"
    empty.write_text("")

    unknown, blank = load(path, empty)

    assert unknown.failed and "cannot tell the kind" in unknown.error
    assert "cloudtrail" in unknown.error and "--kind" in unknown.error
    assert blank.failed and "the file is empty" in blank.error


def test_an_empty_report_of_a_named_kind_loads_nothing_without_error(tmp_path, load):
    path = tmp_path / "trufflehog.jsonl"
    path.write_text("")

    [result] = load(path, kind="trufflehog")

    assert (result.status, result.read) == ("loaded", 0)


def test_folders_are_walked_for_data_files_and_missing_paths_are_reported(tmp_path, load):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "README.md").write_text("# not data")
    (tmp_path / "logs" / "e.json").write_text(json.dumps([_event(1)]))
    (tmp_path / "logs" / "loop").symlink_to(tmp_path / "logs")

    results = load(tmp_path / "logs", tmp_path / "nowhere.json", str(tmp_path / "*.csv"))

    assert [(r.path.name, r.status) for r in results] == [
        ("e.json", "loaded"),
        ("nowhere.json", "failed"),
        ("*.csv", "failed"),
    ]
    assert "no such file" in results[1].error
    assert "matches no file" in results[2].error


def test_a_reader_cannot_open_a_missing_warehouse(tmp_path):
    with pytest.raises(WarehouseMissingError, match="nhi-risk ingest"):
        connect(tmp_path / "absent.duckdb", read_only=True)


def test_a_second_writer_gets_a_message_naming_the_lock(tmp_path, db):
    ingest_paths([str(DATA / "inventory-csv" / "directory.csv")], db=db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError, match="locked by another nhi-risk process"):
            ingest_paths([str(DATA / "inventory-csv" / "grants.csv")], db=db)
        assert time.monotonic() - started < 20
    finally:
        holder.kill()
        holder.wait()


def test_cloudtrail_digest_files_are_passed_over_and_empty_deliveries_load(tmp_path, load):
    digest = tmp_path / "111122223333_CloudTrail-Digest_us-east-1_20261130T0000Z.json"
    digest.write_text(
        json.dumps(
            {
                "awsAccountId": "111122223333",
                "digestStartTime": "2026-11-29T23:00:00Z",
                "digestEndTime": "2026-11-30T00:00:00Z",
                "logFiles": [],
            }
        )
    )
    quiet = tmp_path / "quiet_hour.json"
    quiet.write_text('{"Records":[]}')

    passed, empty = load(digest, quiet)

    assert (passed.status, passed.failed) == ("passed_over", False)
    assert "digest" in passed.error
    assert (empty.kind, empty.status, empty.read) == ("cloudtrail", "loaded", 0)


def test_json_nested_beyond_reason_fails_the_file_without_a_traceback(tmp_path, load):
    path = tmp_path / "deep.json"
    path.write_text('{"Records": [' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "]}")

    [result] = load(path, kind="cloudtrail")

    assert result.failed and "nested too deeply" in result.error


@pytest.mark.parametrize(("threads", "megabytes"), [(1, 1024), (2, 1024), (8, 1280), (32, 5120)])
def test_duckdb_has_1_gb_for_an_ingest_or_160_mb_a_thread(threads, megabytes):
    # Each thread parses delivery files of its own: on many cores, 1 GB is too little.
    def limit(*statements: str) -> str:
        con = duckdb.connect()
        try:
            for statement in statements:
                con.execute(statement)
            return con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        finally:
            con.close()

    assert limit(f"set threads = {threads}", load_module.MEMORY_LIMIT) == limit(
        f"set memory_limit = '{megabytes}MB'"
    )
