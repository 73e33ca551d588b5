"""Where and how the toolkit creates files: owner-only modes whatever the umask, and run
ids and page names that cannot lead a report out of its folder.

Every test runs under umask 000, the most permissive a user can have, so a file left to
the umask would come out readable (and writable) by everyone.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analytics.config import KEY_ENV
from analytics.errors import UsageError
from analytics.ingest import FileResult, ingest_paths
from analytics.report import run_report
from analytics.warehouse import connect


@pytest.fixture(autouse=True)
def open_umask():
    """Run the test with umask 000, then restore the runner's own."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _trail(path: Path) -> Path:
    event = {
        "eventTime": "2026-02-01T08:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "eventID": "evt-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ci"},
    }
    path.write_text(json.dumps({"Records": [event]}))
    return path


def test_ingest_creates_the_warehouse_its_log_key_and_folder_for_the_owner_only(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(KEY_ENV, raising=False)
    db = tmp_path / "data" / "warehouse.duckdb"
    wal = db.with_name(db.name + ".wal")
    wal_modes: list[int] = []

    def look_at_the_log(result: FileResult) -> None:
        # Called once the file's transaction is committed and before the final checkpoint
        # folds the write-ahead log into the file: the moment the log exists.
        wal_modes.append(_mode(wal))

    ingest_paths([str(_trail(tmp_path / "trail.json"))], db=db, on_file=look_at_the_log)

    assert _mode(db.parent) == 0o700
    assert _mode(db) == 0o600
    assert _mode(db.with_name(db.name + ".key")) == 0o600
    assert wal_modes == [0o600]


def test_ingest_gives_the_caller_its_umask_back(tmp_path, db):
    ingest_paths([str(_trail(tmp_path / "trail.json"))], db=db)

    assert os.umask(0) == 0
    assert _mode(_trail(tmp_path / "after.json")) == 0o666


def test_a_writer_connection_creates_a_new_warehouse_for_the_owner_only(tmp_path):
    db = tmp_path / "new" / "nested" / "warehouse.duckdb"

    connect(db, read_only=False).close()

    assert [_mode(p) for p in (db.parent.parent, db.parent, db)] == [0o700, 0o700, 0o600]


@pytest.mark.slow
def test_a_report_run_folder_and_every_file_in_it_are_for_the_owner_only(tmp_path, db):
    ingest_paths([str(_trail(tmp_path / "trail.json"))], db=db)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    page = new_notebook(
        cells=[
            new_code_cell("db = None\nas_of = None", metadata={"tags": ["parameters"]}),
            new_code_cell("print(db, as_of)"),
        ]
    )
    nbformat.write(page, notebooks / "00_page.ipynb")
    out = tmp_path / "reports"

    result = run_report(db, out, quiet=True, run_id="modes", notebook_dir=notebooks)

    files = sorted(p.name for p in result.run_dir.iterdir())
    assert result.ok
    assert {"00_page.html", "00_page.ipynb", "index.html", "metrics.json", "run.json"} <= set(
        files
    )
    assert [_mode(out), _mode(result.run_dir)] == [0o700, 0o700]
    assert {name: _mode(result.run_dir / name) for name in files} == dict.fromkeys(files, 0o600)


@pytest.mark.parametrize("run_id", ["../outside", "..", "nested/run", "/tmp/absolute-run"])
def test_a_run_id_that_is_not_a_plain_folder_name_is_refused_before_anything_is_written(
    tmp_path, db, run_id
):
    ingest_paths([str(_trail(tmp_path / "trail.json"))], db=db)
    out = tmp_path / "reports"
    before = sorted(tmp_path.rglob("*"))

    with pytest.raises(UsageError, match="is not a plain folder name"):
        run_report(db, out, run_id=run_id)

    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/absolute-run").exists()


def test_a_notebook_name_with_a_path_is_refused(tmp_path, db):
    ingest_paths([str(_trail(tmp_path / "trail.json"))], db=db)

    with pytest.raises(UsageError, match=r"no notebook named \.\./00_data_overview"):
        run_report(db, tmp_path / "reports", notebooks=["../00_data_overview"], run_id="r")

    assert not (tmp_path / "reports").exists()
