"""The scheduling examples in contrib/: a cron file, and a systemd service with its timer.

Each is parsed the way its scheduler reads it, its command must parse with the `nhi-risk`
parser, and the command itself is run on a small input with /srv/nhi-risk moved to a
temporary folder, twice, as two nights.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics.cli import build_parser, main
from analytics.config import PROJECT_DIR
from tests.test_report import _trail

CONTRIB = PROJECT_DIR / "contrib"
CRON = CONTRIB / "cron" / "nhi-risk"
SERVICE = CONTRIB / "systemd" / "nhi-risk-report.service"
TIMER = CONTRIB / "systemd" / "nhi-risk-report.timer"
GUIDE = PROJECT_DIR / "docs" / "scheduling.md"
SRV = "/srv/nhi-risk"

# minute, hour, day of month, month, day of week (0 and 7 are both Sunday)
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
CRON_ITEM = re.compile(r"(?:\*|(?P<start>\d+)(?:-(?P<end>\d+))?)(?:/(?P<step>\d+))?")
CRON_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*=")


@dataclass
class CronJob:
    """One job line of an /etc/cron.d file: five schedule fields, a user, a command."""

    schedule: list[str]
    user: str
    command: str


def _cron(path: Path) -> tuple[dict[str, str], list[CronJob]]:
    """The variables and the jobs of a cron.d file (numeric schedules; no ``@daily`` forms)."""
    variables: dict[str, str] = {}
    jobs = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if CRON_VARIABLE.match(line):
            name, value = line.split("=", 1)
            variables[name.strip()] = value.strip()
            continue
        fields = line.split(None, 6)
        fields += [""] * (7 - len(fields))
        jobs.append(CronJob(fields[:5], fields[5], fields[6]))
    return variables, jobs


def _valid_cron_field(field: str, low: int, high: int) -> bool:
    """Whether ``field`` is a list of ``*``, numbers or ranges, each with an optional step."""
    for item in field.split(","):
        match = CRON_ITEM.fullmatch(item)
        if match is None:
            return False
        bounds = [int(value) for value in (match["start"], match["end"]) if value is not None]
        if any(not low <= value <= high for value in bounds) or bounds != sorted(bounds):
            return False
        if match["step"] is not None and int(match["step"]) == 0:
            return False
    return True


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as ``{section: {key: [values]}}``: keys may repeat, ``#`` and ``;``
    start comments, and a line ending in a backslash continues on the next."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path}: {line!r} comes before any [Section]"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _report_args(argv: list[str]) -> Namespace:
    """``nhi-risk`` arguments as the command line reads them."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"nhi-risk does not accept {shlex.join(argv)} (its message is above)")


def _exec_start() -> list[str]:
    (exec_start,) = _unit(SERVICE)["Service"]["ExecStart"]
    return shlex.split(exec_start)


def _under(path: str, folders: list[str]) -> bool:
    return any(Path(path).is_relative_to(folder) for folder in folders)


@pytest.mark.parametrize(
    ("field", "low", "high", "valid"),
    [
        ("30", 0, 59, True),
        ("*/15", 0, 59, True),
        ("1-5,7", 0, 7, True),
        ("60", 0, 59, False),
        ("*/0", 0, 59, False),
        ("5-1", 0, 23, False),
        ("mon", 0, 7, False),
    ],
)
def test_cron_field_check_accepts_only_fields_within_their_range(field, low, high, valid):
    assert _valid_cron_field(field, low, high) is valid


def test_cron_file_has_one_job_with_a_valid_schedule_run_as_the_service_user():
    variables, jobs = _cron(CRON)

    (job,) = jobs
    assert all(
        _valid_cron_field(field, low, high)
        for field, (low, high) in zip(job.schedule, CRON_RANGES, strict=True)
    ), job.schedule
    assert job.user == "nhi-risk"
    assert "%" not in job.command  # cron turns % into a newline
    assert variables["MAILTO"]
    assert variables["SHELL"] == "/bin/sh"


def test_cron_command_is_the_scheduled_report_found_on_the_files_path():
    variables, (job,) = _cron(CRON)
    argv = shlex.split(job.command)

    args = _report_args(argv[1:])

    assert argv[0] == "nhi-risk"
    assert "/opt/nhi-risk/.venv/bin" in variables["PATH"].split(":")
    assert args.command == "report"
    assert args.ingest == [f"{SRV}/incoming"]
    assert (args.db, args.out, args.quiet) == (f"{SRV}/warehouse.duckdb", f"{SRV}/reports", True)


def test_service_and_cron_run_the_same_report_command():
    _, (job,) = _cron(CRON)

    service_args = _report_args(_exec_start()[1:])

    assert _exec_start()[0] == "/opt/nhi-risk/.venv/bin/nhi-risk"
    assert service_args == _report_args(shlex.split(job.command)[1:])


def test_service_is_a_hardened_oneshot_of_a_dedicated_user():
    service = _unit(SERVICE)["Service"]

    assert service["Type"] == ["oneshot"]
    assert service["User"] == ["nhi-risk"] and service["Group"] == ["nhi-risk"]
    assert service["WorkingDirectory"] == [SRV]
    assert service["UMask"] == ["0077"]
    assert service["NoNewPrivileges"] == ["true"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["PrivateTmp"] == ["true"]


def test_service_may_write_where_the_report_writes_and_only_read_its_inputs():
    service = _unit(SERVICE)["Service"]
    args = _report_args(_exec_start()[1:])
    writable = " ".join(service["ReadWritePaths"]).split()
    read_only = " ".join(service["ReadOnlyPaths"]).split()

    for path in (str(Path(args.db).parent), args.out):
        assert _under(path, writable) and not _under(path, read_only), path
    assert all(_under(path, read_only) for path in args.ingest)


def test_service_environment_names_the_same_warehouse_as_the_command():
    service = _unit(SERVICE)["Service"]
    environment = dict(item.split("=", 1) for item in service["Environment"])

    assert environment["NHI_RISK_DB"] == _report_args(_exec_start()[1:]).db


def test_timer_starts_the_service_once_a_day_and_catches_up_missed_runs():
    timer = _unit(TIMER)

    assert timer["Timer"]["Unit"] == [SERVICE.name]
    (calendar,) = timer["Timer"]["OnCalendar"]
    assert calendar == "daily" or re.fullmatch(r"\*-\*-\* \d\d:\d\d(:\d\d)?", calendar)
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["RandomizedDelaySec"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_systemd_accepts_the_service_and_the_timer(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not on PATH (systemd is not installed)")
    installed = Path(sys.prefix) / "bin" / "nhi-risk"
    # verify insists that ExecStart's program exists, and /opt/nhi-risk is not here.
    service = SERVICE.read_text().replace(_exec_start()[0], str(installed))
    (tmp_path / SERVICE.name).write_text(service)
    shutil.copy(TIMER, tmp_path / TIMER.name)

    verified = subprocess.run(
        ["systemd-analyze", "verify", SERVICE.name, TIMER.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    complaints = [
        line
        for line in (verified.stdout + verified.stderr).splitlines()
        if "nhi-risk-report" in line
    ]
    assert verified.returncode == 0, verified.stderr
    assert complaints == []


@pytest.mark.parametrize("example", [CRON, SERVICE, TIMER], ids=lambda path: path.name)
def test_guide_shows_each_example_as_shipped(example):
    assert example.read_text() in GUIDE.read_text()


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The service's command, /srv/nhi-risk moved to a temporary folder, run on two nights:
    the first finds a CloudTrail file in incoming/, the second finds nothing new."""
    srv = tmp_path_factory.mktemp("srv")
    (srv / "incoming").mkdir()
    (srv / "incoming" / "trail.json").write_text(json.dumps(_trail()))
    argv = [arg.replace(SRV, str(srv)) for arg in _exec_start()[1:]]
    argv += ["--notebook", "00_data_overview"]  # one page keeps the test quick
    environment = dict(item.split("=", 1) for item in _unit(SERVICE)["Service"]["Environment"])
    runs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_DB", environment["NHI_RISK_DB"].replace(SRV, str(srv)))
        patch.delenv("NHI_RISK_FINGERPRINT_KEY", raising=False)  # the key file, as on a server
        for _night in range(2):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
            runs.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
    return {"srv": srv, "runs": runs}


@pytest.mark.slow
def test_the_scheduled_command_renders_a_report_and_prints_one_line(nights):
    srv, first = nights["srv"], nights["runs"][0]
    index = sorted((srv / "reports").glob("*/index.html"))[0]

    assert first["code"] == 0, first["err"]
    assert first["out"].splitlines() == [first["out"].strip()]
    assert first["out"].startswith(f"report {index.parent.name}: 1 of 1 pages rendered")
    assert first["out"].strip().endswith(f": {index}")
    assert (srv / "warehouse.duckdb.key").is_file()


@pytest.mark.slow
def test_a_night_without_new_files_reports_again_without_loading_twice(nights):
    srv, second = nights["srv"], nights["runs"][1]
    con = duckdb.connect(str(srv / "warehouse.duckdb"), read_only=True)
    try:
        loads = con.execute("select count(*) from ingest_files").fetchone()
        events = con.execute("select count(*) from events").fetchone()
    finally:
        con.close()

    assert second["code"] == 0, second["err"]
    assert len(list((srv / "reports").glob("*/index.html"))) == 2
    assert loads == (1,)
    assert events == (len(_trail()["Records"]),)
