"""The nhi-risk command line: output, exit codes, and where the warehouse is."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.cli import main, parse_as_of

DATA = Path(__file__).resolve().parent / "data"


def test_ingest_prints_one_line_per_file_with_its_counts(db, capsys):
    code = main(["ingest", str(DATA / "inventory-csv"), "--db", str(db)])

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split()[:5] == ["kind", "read", "loaded", "rejected", "duplicate"]
    grants = next(line for line in out if line.endswith("grants.csv"))
    assert grants.split()[:5] == ["inventory-csv", "4", "3", "0", "1"]
    assert out[-1] == ("4 files, 0 failed; records read 15, loaded 12, rejected 2, duplicate 1")


def test_ingest_exits_non_zero_when_a_file_fails_as_a_whole(tmp_path, db, capsys):
    bad = tmp_path / "mystery.json"
    bad.write_text('{"what": "is this"}')

    code = main(
        ["ingest", str(bad), str(DATA / "inventory-csv" / "directory.csv"), "--db", str(db)]
    )

    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED" in captured.err and "mystery.json" in captured.err
    assert "2 files, 1 failed" in captured.out


def test_metrics_json_is_one_flat_object_with_dotted_names(db, capsys, monkeypatch):
    main(["ingest", str(DATA / "inventory-csv"), "--db", str(db)])
    capsys.readouterr()
    monkeypatch.setenv("NHI_RISK_DB", str(db))

    code = main(["metrics", "--json", "--as-of", "2026-11-30"])

    values = json.loads(capsys.readouterr().out)
    assert code == 0
    assert values["as_of"] == "2026-11-30T23:59:59.999999+00:00"
    assert all(not isinstance(v, (dict, list)) for v in values.values())
    # Hand count from tests/data/inventory-csv: 3 identities loaded (the "robot" row is
    # rejected), 3 people of whom 1 left; 3 credentials of which 1 revoked, 1 expired.
    assert values["inventory.identities_total"] == 3
    assert (values["inventory.humans_total"], values["inventory.humans_left"]) == (3, 1)
    assert values["inventory.credentials_total"] == 3
    assert values["inventory.credentials_active"] == 1
    # The active one, AKIAEXAMPLE000000001, was created on 2024-02-01: over 90 days old.
    assert values["inventory.credentials_dated"] == 1
    assert values["inventory.credentials_older_than_90d"] == 1
    assert values["inventory.credentials_older_than_90d_share"] == 1.0
    assert values["inventory.owner_left_with_active_credential"] == 0
    assert (values["grants.jit_total"], values["grants.jit_never_expire"]) == (2, 1)
    assert values["ingest.records_rejected"] == 2


def test_metrics_on_a_missing_warehouse_says_how_to_create_one(tmp_path, capsys):
    code = main(["metrics", "--db", str(tmp_path / "none.duckdb")])

    assert code == 2
    assert "nhi-risk ingest" in capsys.readouterr().err


def test_a_reader_that_stops_early_is_not_an_error(db):
    # `nhi-risk metrics | head -1`: the pipe closes before the command writes.
    main(["ingest", str(DATA / "inventory-csv"), "--db", str(db)])
    command = [sys.executable, "-m", "analytics.cli", "metrics", "--db", str(db)]
    reader_gone = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader_gone.stdout is not None
    reader_gone.stdout.close()
    _, err = reader_gone.communicate(timeout=120)

    assert (reader_gone.returncode, err.decode()) == (0, "")


def test_as_of_accepts_a_date_as_the_end_of_that_day_and_iso_times():
    assert parse_as_of("2026-11-30") == datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_as_of("2026-11-30T12:00:00Z") == datetime(2026, 11, 30, 12, tzinfo=UTC)
    with pytest.raises(Exception, match="expected a date"):
        parse_as_of("last week")


def test_demo_can_be_written_again_over_an_earlier_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--scale", "small", "--seed", "3"]) == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())

    assert main(["demo", "--out", str(out), "--scale", "small", "--seed", "3"]) == 0

    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == first


def test_demo_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "mine.json").write_text("[]")

    code = main(["demo", "--out", str(tmp_path), "--scale", "small"])

    assert code == 2
    assert "already holds files" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "sources").iterdir()] == ["mine.json"]


def test_a_bare_date_means_the_end_of_that_day_in_notebooks_too():
    from analytics.metrics import resolve_as_of

    assert resolve_as_of(None, "2026-11-30") == parse_as_of("2026-11-30")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def privilege_world(tmp_path_factory) -> Path:
    from tests.metrics.test_privilege import build_warehouse

    return build_warehouse(tmp_path_factory.mktemp("cli-privilege"))


def test_findings_lists_failing_subjects_with_reason_and_evidence(privilege_world, capsys):
    from tests.metrics.test_privilege import K_A

    code = main(
        [
            "findings",
            "--db",
            str(privilege_world),
            "--as-of",
            "2026-03-01T00:00:00Z",
            "--check",
            "credential_shared",
        ]
    )

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "as of 2026-03-01T00:00:00+00:00: 1 findings"
    assert out[1].split()[:3] == ["fail", "medium", "credential_shared"] and K_A in out[1]
    assert out[2].split("evidence: ")[1] == "203.0.113.0/24 Boto3; private aws-cli"


def test_findings_json_and_csv_carry_the_check_title_and_scope(privilege_world, capsys):
    args = ["findings", "--db", str(privilege_world), "--as-of", "2026-03-01T00:00:00Z"]
    main([*args, "--json", "--check", "identity_owner_offboarded", "--status", "unknown"])
    rows = json.loads(capsys.readouterr().out)
    assert [(r["subject_id"], r["status"]) for r in rows] == [
        ("arn:aws:iam::444455556666:user/svc-d", "unknown")
    ]
    assert rows[0]["scope"].startswith("Needs the directory rows")

    main([*args, "--csv", "--check", "identity_admin_equivalent"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("check_id,subject_id,status,reason,severity")
    assert len(lines) == 2 and "svc-b" in lines[1]


def test_findings_rejects_an_unknown_check_by_name(privilege_world, capsys):
    code = main(["findings", "--db", str(privilege_world), "--check", "key_unused_9d"])

    err = capsys.readouterr().err
    assert code == 2
    assert "unknown check key_unused_9d" in err and "credential_dormant_90d" in err


def test_controls_resolve_older_ids_and_export_json(privilege_world, capsys):
    code = main(
        [
            "controls",
            "--db",
            str(privilege_world),
            "--as-of",
            "2026-03-01T00:00:00Z",
            "--control",
            "PR.AC-4",
            "NHI10:2025",
            "--json",
        ]
    )

    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["control_id"], r["status"]) for r in rows] == [
        ("NHI10:2025", "failing"),
        ("PR.AA-05", "failing"),
    ]
    # svc-b's console sign-in is the one failing subject behind NHI10.
    assert rows[0]["failing_subjects"] == 1 and "nhi_human_use" in rows[0]["checks"]


def test_controls_reject_an_unknown_id_with_the_way_to_list_them(privilege_world, capsys):
    code = main(["controls", "--db", str(privilege_world), "--control", "NHI11:2025"])

    assert code == 2
    assert "no framework control or alias 'NHI11:2025'" in capsys.readouterr().err


@contextlib.contextmanager
def _held_open(db: Path) -> Iterator[None]:
    """Another process holds the warehouse open read-only, as a JupyterLab kernel does."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        yield
    finally:
        holder.communicate("")


def _report(db: Path, out: str) -> list[str]:
    return ["report", "-q", "--db", str(db), "--out", out]


def _notebooks_with_a_broken_one(folder: Path) -> Path:
    """A notebook folder with the executive summary and a notebook that raises."""
    import shutil

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from analytics.config import NOTEBOOK_DIR

    folder.mkdir()
    shutil.copy(NOTEBOOK_DIR / "90_executive_summary.ipynb", folder)
    broken = new_notebook(
        cells=[
            new_code_cell("db = None\nas_of = None", metadata={"tags": ["parameters"]}),
            new_code_cell("raise RuntimeError('the page broke')"),
        ]
    )
    nbformat.write(broken, folder / "50_broken.ipynb")
    return folder


@pytest.mark.slow
def test_a_quiet_report_prints_one_line_and_nothing_else(db, tmp_path, capfd):
    main(["ingest", "-q", str(DATA / "inventory-csv"), "--db", str(db)])
    capfd.readouterr()

    out = str(tmp_path / "r")
    code = main([*_report(db, out), "--as-of", "2026-11-30", "--notebook", "executive_summary"])

    captured = capfd.readouterr()
    lines = captured.out.splitlines()
    assert code == 0
    assert captured.err == ""
    assert len(lines) == 1
    assert lines[0].startswith("report ") and lines[0].endswith("index.html")
    assert "1 of 1 pages rendered" in lines[0] and "as of 2026-11-30 23:59 UTC" in lines[0]


@pytest.mark.slow
def test_a_report_with_a_failing_notebook_renders_the_others_and_exits_non_zero(
    db, tmp_path, capfd
):
    main(["ingest", "-q", str(DATA / "inventory-csv"), "--db", str(db)])
    notebooks = _notebooks_with_a_broken_one(tmp_path / "notebooks")
    capfd.readouterr()

    code = main(
        [
            *_report(db, str(tmp_path / "r")),
            "--notebook-dir",
            str(notebooks),
            "--as-of",
            "2026-11-30",
        ]
    )

    line = capfd.readouterr().out.strip()
    run_dir = Path(line.rsplit(": ", 1)[1]).parent
    index = (run_dir / "index.html").read_text()
    assert code == 1
    assert "1 of 2 pages rendered" in line and "FAILED 50_broken.ipynb" in line
    assert (run_dir / "executive_summary.html").exists()
    assert (run_dir / "50_broken.ipynb").exists() and not (run_dir / "50_broken.html").exists()
    assert "RuntimeError: the page broke" in index


@pytest.mark.slow
def test_report_ingests_new_files_first_when_asked(db, tmp_path, capfd):
    args = [
        *_report(db, str(tmp_path / "r")),
        *("--ingest", str(DATA / "inventory-csv"), "--notebook", "executive_summary"),
    ]
    code = main(args)
    again = main(args)

    lines = capfd.readouterr().out.splitlines()
    runs = sorted((tmp_path / "r").iterdir())
    recorded = json.loads((runs[-1] / "metrics.json").read_text())
    assert (code, again) == (0, 0)
    assert len(lines) == 2 and len(runs) == 2
    # Loaded once: the second ingest recognises every file and adds nothing.
    assert recorded["ingest.files_loaded"] == 4
    assert recorded["inventory.identities_total"] == 3


def test_a_run_id_that_would_leave_the_report_folder_is_refused(db, tmp_path, capsys):
    main(["ingest", "-q", str(DATA / "inventory-csv"), "--db", str(db)])
    out = tmp_path / "r"

    code = main([*_report(db, str(out)), "--run-id", "../outside"])

    assert code == 2
    assert "is not a plain folder name" in capsys.readouterr().err
    assert not (tmp_path / "outside").exists() and not out.exists()


@pytest.mark.slow
def test_a_report_while_a_notebook_holds_the_warehouse_still_renders_without_history(
    db, tmp_path, capfd, caplog, monkeypatch
):
    monkeypatch.setenv("NHI_RISK_LOCK_WAIT", "0")  # a notebook holds it for good: no wait

    main(["ingest", "-q", str(DATA / "inventory-csv"), "--db", str(db)])
    with _held_open(db):
        capfd.readouterr()
        report = ["report", "--db", str(db), "--out", str(tmp_path / "r")]
        code = main([*report, "--notebook", "executive_summary"])

    captured = capfd.readouterr()
    run_dir = Path(captured.out.strip().splitlines()[-1].rsplit(": ", 1)[1]).parent
    record = json.loads((run_dir / "run.json").read_text())
    assert code == 0
    assert "is not recorded in metric_history" in caplog.text
    assert record["metric_history"].startswith("not recorded: warehouse")
    assert "run_id" not in record["parameters"]["90_executive_summary.ipynb"]
    assert (
        "Machine identities without an owner" in (run_dir / "executive_summary.html").read_text()
    )


@pytest.mark.slow
def test_a_nightly_run_blocked_from_ingesting_still_reports_what_is_loaded(
    db, tmp_path, capfd, monkeypatch
):
    monkeypatch.setenv("NHI_RISK_LOCK_WAIT", "0")
    main(["ingest", "-q", str(DATA / "inventory-csv"), "--db", str(db)])
    with _held_open(db):
        capfd.readouterr()
        code = main(
            [
                *_report(db, str(tmp_path / "r")),
                *("--ingest", str(DATA / "gitleaks"), "--notebook", "executive_summary"),
            ]
        )

    captured = capfd.readouterr()
    assert code == 1
    assert "new files not ingested" in captured.err and "locked" in captured.err
    assert "Traceback" not in captured.err
    assert "1 of 1 pages rendered" in captured.out
    assert "new input not (all) ingested" in captured.out
