"""Attacks on the warehouse while it is written: a killed ingest, a second writer, a reader
during a write, a full disk and an output folder that cannot be written.

The ingests run as separate processes, as they would in production: DuckDB's lock is per
process, and only a process can be killed. To kill an ingest at a known point inside its
transaction, a small launcher wraps the last step before the commit (``_record_files``) so
that it tells the test, through a marker file, when every row of the group is inserted,
then holds the transaction open for the given number of seconds.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics.cli import main
from analytics.config import LOCK_WAIT_ENV
from analytics.errors import UsageError
from analytics.ingest import ingest_paths
from analytics.warehouse import connect

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "analytics.cli"]
# argv: marker file, seconds to hold the open transaction, then the nhi-risk arguments.
# Both ways files land are held: the adapters' groups (batch) and CloudTrail delivery files
# loaded set-wise (cloudtrail_bulk), whose groups land in a worker thread.
_HOLD_IN_TRANSACTION = """
import sys, time
from pathlib import Path
from analytics import cli
from analytics.ingest import batch, cloudtrail_bulk

marker, seconds = Path(sys.argv[1]), float(sys.argv[2])
record_files = batch._record_files
record_staged = cloudtrail_bulk._record_files

def record_then_hold(con, batches, ids):
    record_files(con, batches, ids)
    marker.write_text(str(sum(len(b.rows.get("events", [])) for b in batches)))
    time.sleep(seconds)

def record_staged_then_hold(con, kept, ids, counts):
    results = record_staged(con, kept, ids, counts)
    marker.write_text(str(sum(r.loaded for r in results)))
    time.sleep(seconds)
    return results

batch._record_files = record_then_hold
cloudtrail_bulk._record_files = record_staged_then_hold
sys.exit(cli.main(sys.argv[3:]))
"""
# The command line with groups of one delivery file each (a group is 512 MB otherwise).
_ONE_FILE_GROUPS = """
import sys
from analytics import cli
from analytics.ingest import cloudtrail_bulk

cloudtrail_bulk.GROUP_BYTES = 1
sys.exit(cli.main(sys.argv[1:]))
"""


def _trail(path: Path, first: int, count: int) -> Path:
    """Write a CloudTrail delivery file of ``count`` events with ids ``first`` onwards."""
    records = [
        {
            "eventID": f"evt-{n:08d}",
            "eventTime": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333",
            "userIdentity": {
                "type": "IAMUser",
                "arn": f"arn:aws:iam::111122223333:user/svc-{n % 40}",
                "accountId": "111122223333",
            },
        }
        for n in range(first, first + count)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Records": records}))
    return path


def _state(db: Path) -> dict[str, object]:
    """Rows per table, and each ingested file with its status and record counts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by table_name"
            ).fetchall()
        ]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in tables}
        files = con.execute(
            "select path, content_sha256, status, records_read, records_loaded "
            "from ingest_files order by path"
        ).fetchall()
        events = con.execute("select count(distinct event_id) from events").fetchall()[0][0]
    finally:
        con.close()
    return {"counts": counts, "files": files, "distinct_events": events}


def _env(lock_wait: float) -> dict[str, str]:
    return {**os.environ, LOCK_WAIT_ENV: str(lock_wait), "PYTHONUNBUFFERED": "1"}


def _cli(
    *args: str, lock_wait: float, timeout: float = 60, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``nhi-risk ARGS`` in a process of its own, waiting ``lock_wait`` s for a lock."""
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env=_env(lock_wait),
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )


def _hold(marker: Path, seconds: float, *args: str) -> subprocess.Popen[str]:
    """Start an ingest that stops inside its first transaction for ``seconds``."""
    return subprocess.Popen(
        [sys.executable, "-c", _HOLD_IN_TRANSACTION, str(marker), str(seconds), *args],
        cwd=ROOT,
        env=_env(0),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(marker: Path, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the ingest ended before its transaction: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the ingest did not reach its transaction in time")
        time.sleep(0.05)


def _kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


@pytest.fixture
def first_state(tmp_path, db):
    """A warehouse after a first small ingest, and its state."""
    ingest_paths([str(_trail(tmp_path / "first" / "first.json", 0, 10))], db=db)
    return _state(db)


@pytest.mark.slow
def test_an_ingest_killed_inside_its_transaction_leaves_the_previous_state_then_reruns_once(
    tmp_path, db, first_state
):
    big = tmp_path / "big"
    _trail(big / "a.json", 1_000, 20_000)
    _trail(big / "b.json", 21_000, 20_000)
    marker = tmp_path / "inserted"
    ingest = _hold(marker, 300, "ingest", str(big), "--db", str(db))
    _wait_for(marker, ingest)

    _kill(ingest)
    after_kill = _state(db)
    rerun = ingest_paths([str(big)], db=db)

    assert ingest.returncode == -signal.SIGKILL
    assert marker.read_text() == "40000"  # both files were inside the killed transaction
    assert after_kill == first_state
    assert [(r.status, r.loaded, r.duplicate) for r in rerun] == [("loaded", 20_000, 0)] * 2
    state = _state(db)
    assert state["counts"]["events"] == state["distinct_events"] == 10 + 40_000
    assert [(f[2], f[4]) for f in state["files"]] == [("loaded", 20_000)] * 2 + [("loaded", 10)]


@pytest.mark.slow
def test_the_cli_killed_between_two_groups_keeps_the_committed_group_whole(
    tmp_path, db, first_state
):
    # Each file is a group, so a transaction, of its own; the kill lands while the second
    # is read or written, after the first is committed (it is then only in DuckDB's
    # write-ahead log, which the next open replays).
    big = tmp_path / "big"
    _trail(big / "a.json", 1_000, 50_000)
    _trail(big / "b.json", 51_000, 20_000)
    ingest = subprocess.Popen(
        [sys.executable, "-c", _ONE_FILE_GROUPS, "ingest", str(big), "--db", str(db)],
        cwd=ROOT,
        env=_env(0),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = [ingest.stdout.readline(), ingest.stdout.readline()]  # the header, then a.json

    _kill(ingest)
    rerun = ingest_paths([str(big)], db=db)

    assert lines[1].split()[:3] == ["cloudtrail", "50,000", "50,000"]
    assert lines[1].rstrip().endswith("a.json")
    assert [(r.status, r.loaded) for r in rerun] == [("already_loaded", 0), ("loaded", 20_000)]
    state = _state(db)
    assert state["counts"]["events"] == state["distinct_events"] == 10 + 70_000


def test_a_second_ingest_stops_with_a_message_naming_the_lock_and_its_holder(tmp_path, db):
    marker = tmp_path / "inserted"
    first = _hold(marker, 30, "ingest", str(_trail(tmp_path / "one.json", 0, 5)), "--db", str(db))
    _wait_for(marker, first)

    try:
        second = _cli(
            "ingest", str(_trail(tmp_path / "two.json", 100, 5)), "--db", str(db), lock_wait=0.5
        )
    finally:
        _kill(first)

    warning, error = second.stderr.strip().splitlines()
    assert second.returncode == 2
    holder = f"is locked by another nhi-risk process or DuckDB client (PID {first.pid}, "
    assert warning.startswith(f"WARNING analytics.warehouse: warehouse {db} {holder}")
    assert warning.endswith(": waiting up to 0.5 s for the lock")
    assert error.startswith(f"nhi-risk ingest: warehouse {db} {holder}")
    assert "after waiting 0.5 s" in error
    assert "Traceback" not in second.stderr
    assert _state(db)["files"] == []


def test_a_second_ingest_waits_for_the_first_then_loads(tmp_path, db):
    marker = tmp_path / "inserted"
    one = _trail(tmp_path / "one.json", 0, 5)
    first = _hold(marker, 2, "ingest", str(one), "--db", str(db))
    _wait_for(marker, first)

    second = _cli(
        "ingest",
        str(_trail(tmp_path / "two.json", 100, 5)),
        "--db",
        str(db),
        lock_wait=60,
        timeout=120,
    )
    first.communicate(timeout=60)

    state = _state(db)
    assert (first.returncode, second.returncode) == (0, 0)
    assert f"(PID {first.pid}, " in second.stderr
    assert "waiting up to 60 s for the lock" in second.stderr
    assert [(Path(f[0]).name, f[2], f[4]) for f in state["files"]] == [
        ("one.json", "loaded", 5),
        ("two.json", "loaded", 5),
    ]
    assert state["counts"]["events"] == state["distinct_events"] == 10


def test_a_report_during_an_ingest_stops_with_the_lock_message(tmp_path, db, first_state):
    marker = tmp_path / "inserted"
    big = _trail(tmp_path / "big.json", 1_000, 2_000)
    ingest = _hold(marker, 30, "ingest", str(big), "--db", str(db))
    _wait_for(marker, ingest)
    out = tmp_path / "reports"

    try:
        report = _cli(
            "report", "--db", str(db), "--out", str(out), "--run-id", "during", lock_wait=0.5
        )
    finally:
        _kill(ingest)

    assert report.returncode == 2
    holder = f"another nhi-risk process or DuckDB client (PID {ingest.pid}, "
    last = report.stderr.strip().splitlines()[-1]
    assert last.startswith(f"nhi-risk report: warehouse {db.resolve()} is locked by {holder}")
    assert "Traceback" not in report.stderr
    assert not out.exists()
    assert _state(db) == first_state


def test_a_reader_that_waits_for_an_ingest_sees_the_whole_batch(tmp_path, db, first_state):
    marker = tmp_path / "inserted"
    big = _trail(tmp_path / "big.json", 1_000, 2_000)
    ingest = _hold(marker, 2, "ingest", str(big), "--db", str(db))
    _wait_for(marker, ingest)

    con = connect(db, read_only=True, wait=60)
    try:
        events = con.execute("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()
    ingest.communicate(timeout=60)

    assert ingest.returncode == 0
    assert events == 10 + 2_000


def _file_size_limit(limit: int):
    def limit_writes() -> None:
        # Ignored, SIGXFSZ no longer kills the process: a write past the limit fails with
        # EFBIG ("File too large"), as one fails with ENOSPC on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return limit_writes


@pytest.mark.slow
def test_an_ingest_on_a_full_disk_stops_with_one_line_and_keeps_the_warehouse(
    tmp_path, db, first_state
):
    big = tmp_path / "big"
    _trail(big / "a.json", 1_000, 20_000)
    limit = db.stat().st_size + 64 * 1024

    full = _cli(
        "ingest",
        str(big),
        "--db",
        str(db),
        lock_wait=0,
        timeout=120,
        preexec_fn=_file_size_limit(limit),
    )
    after = _state(db)
    rerun = ingest_paths([str(big)], db=db)

    lines = full.stderr.strip().splitlines()
    assert full.returncode == 2
    assert lines == [lines[0]]
    assert lines[0].startswith(f"nhi-risk ingest: could not write the warehouse {db}")
    assert "File too large" in lines[0] and "0 files of this run were loaded" in lines[0]
    assert after == first_state
    assert [(r.status, r.loaded) for r in rerun] == [("loaded", 20_000)]


def _history_rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from metric_history").fetchall()[0][0]
    finally:
        con.close()


def test_a_report_into_a_folder_below_a_file_stops_and_records_nothing(
    tmp_path, db, first_state, capsys
):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the report folder should be")

    code = main(["report", "--db", str(db), "--out", str(blocker), "--run-id", "r1"])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"nhi-risk report: cannot create the report folder {blocker}/r1")
    assert "pass --out a folder you can write to" in err[-1]
    assert _history_rows(db) == 0
    assert _state(db) == first_state


def test_a_report_into_a_read_only_folder_stops_and_records_nothing(tmp_path, db, first_state):
    out = tmp_path / "reports"
    out.mkdir(mode=0o500)
    command = [sys.executable, "-m", "analytics.cli", "report", "--db", str(db)]
    command += ["--out", str(out), "--run-id", "r1"]
    if os.geteuid() == 0:
        # Root ignores permission bits through CAP_DAC_OVERRIDE; without it (dropped from
        # the bounding set of the child) root meets the folder's mode like anyone else.
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]

    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)

    err = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Permission denied" in err[-1] and "Traceback" not in done.stderr
    assert not (out / "r1").exists()
    assert _history_rows(db) == 0
    assert _state(db) == first_state


@pytest.mark.parametrize("value", ["ten", "-1", "nan"])
def test_a_lock_wait_that_is_not_a_number_of_seconds_is_refused(db, monkeypatch, value):
    monkeypatch.setenv(LOCK_WAIT_ENV, value)

    with pytest.raises(UsageError, match=f"NHI_RISK_LOCK_WAIT='{value}' is not a number"):
        connect(db, read_only=False)
