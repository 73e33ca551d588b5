"""Gitleaks reports, versions 7 and 8."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import fingerprint, leaked

DATA = Path(__file__).resolve().parent.parent / "data" / "gitleaks"
REPORTS = "secret_scanner_reports"
KEY_ID = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
SECRET_FIELDS = ("Secret", "Match", "Line", "offender", "line")


def _v8(secret: str, **extra: object) -> dict[str, object]:
    finding: dict[str, object] = {
        "Description": "GitHub Personal Access Token",
        "StartLine": 4,
        "EndLine": 4,
        "Line": f"    token = '{secret}'",
        "Match": f"token = '{secret}'",
        "Secret": secret,
        "File": "deploy/settings.py",
        "Commit": "2222222222222222222222222222222222222222",
        "Author": "Dev Example",
        "Email": "dev@example.com",
        "Date": "2026-10-20T09:15:00Z",
        "Message": f"add token {secret}",
        "Tags": [],
        "RuleID": "github-pat",
    }
    finding.update(extra)
    return finding


def _write(path: Path, findings: list[dict[str, object]], indent: int | None = None) -> Path:
    path.write_text(json.dumps(findings, indent=indent))
    return path


@pytest.mark.shared
def test_gitleaks_reports_load_every_finding_as_open_with_unknown_validity(real, load, query):
    files = sorted((real / REPORTS).glob("gitleaks__*.json"))
    counts = {path.name: len(json.loads(path.read_text())) for path in files}

    results = load(*files)

    assert {r.path.name: (r.kind, r.read, r.loaded) for r in results} == {
        name: ("gitleaks", count, count) for name, count in counts.items()
    }
    assert query("select state, validity, count(*) from secret_findings group by all") == [
        ("open", "unknown", sum(counts.values()))
    ]


@pytest.mark.shared
def test_commit_times_are_parsed_and_go_zero_time_is_unknown(real, load, query):
    folder = real / REPORTS
    load(folder / "gitleaks__issue4336.json", folder / "gitleaks__data_many.json")

    rows = query("select file_path, committed_at from secret_findings order by file_path")

    assert rows == [
        (".bashrc", datetime(2020, 4, 4, 22, 52, 59, tzinfo=UTC)),
        (".bashrc", datetime(2020, 4, 4, 22, 52, 59, tzinfo=UTC)),
        ("README.md", None),
    ]


@pytest.mark.shared
def test_aws_key_ids_are_kept_from_the_offender(real, load, query):
    files = sorted((real / REPORTS).glob("gitleaks__*.json"))
    expected = Counter(
        found.group(0)
        for path in files
        for finding in json.loads(path.read_text())
        for field in ("Secret", "Match", "offender")
        if (found := KEY_ID.search(finding.get(field) or ""))
    )

    load(*files)

    rows = query(
        "select credential_key_id, count(*) from secret_findings "
        "where credential_key_id is not null group by all"
    )
    assert dict(rows) == dict(expected)
    assert sum(expected.values()) == 6


@pytest.mark.shared
def test_gitleaks_secrets_never_reach_the_warehouse(real, db, load, query, tmp_path):
    planted = "ghp_" + "k5" * 18
    key_id = "AKIA" + "TESTONLY" * 2
    secret_key = "wJalr" + "Q9" * 17 + "z"
    runtime = _write(
        tmp_path / "planted.json",
        [
            _v8(planted, File=f"leaked/{planted}.txt"),
            _v8(secret_key, RuleID="aws-secret", Match=f"id={key_id} key={secret_key}"),
        ],
    )
    runtime_v7 = _write(
        tmp_path / "planted_v7.json",
        [
            {
                "line": f'export GITHUB_TOKEN="{planted}" # {key_id}',
                "offender": f'GITHUB_TOKEN="{planted}"',
                "commit": "3333333333333333333333333333333333333333",
                "repo": "infra",
                "rule": "Github",
                "commitMessage": f"oops {planted}",
                "file": ".envrc",
                "date": "2026-10-21T10:00:00+02:00",
            }
        ],
    )
    files = [*sorted((real / REPORTS).glob("gitleaks__*.json")), runtime, runtime_v7]
    secrets = {planted, secret_key} | {
        value
        for path in files
        for finding in json.loads(path.read_text())
        for field in SECRET_FIELDS
        if (value := finding.get(field))
    }

    load(*files)

    assert leaked(db, secrets) == []
    assert query(
        "select file_path, credential_key_id from secret_findings "
        "where secret_type in ('github-pat', 'aws-secret') order by 1"
    ) == [
        ("deploy/settings.py", key_id),
        ("leaked/[REDACTED].txt", None),
    ]


def test_the_same_secret_has_one_fingerprint_in_gitleaks_v8_v7_and_github(load, query, tmp_path):
    secret = "ghp_" + "m2" * 18
    v8 = _write(tmp_path / "v8.json", [_v8(secret)])
    v7 = _write(
        tmp_path / "v7.json",
        [{"rule": "Github", "file": "a.sh", "offender": f"GITHUB_TOKEN = '{secret}'"}],
    )
    github = _write(
        tmp_path / "alerts.json",
        [
            {
                "number": 1,
                "state": "open",
                "secret_type": "github_personal_access_token",
                "secret": secret,
                "html_url": "https://github.com/example-org/infra/security/secret-scanning/1",
            }
        ],
    )

    load(v8, v7, github)

    assert query(
        "select source_kind, secret_fingerprint, secret_preview from secret_findings order by 1, 2"
    ) == [
        ("github-secret-scanning", fingerprint(secret), "ghp_… (40 chars)"),
        ("gitleaks", fingerprint(secret), "ghp_… (40 chars)"),
        ("gitleaks", fingerprint(secret), "ghp_… (40 chars)"),
    ]


def test_finding_fields_are_mapped_and_detected_at_is_the_snapshot_time(load, query, tmp_path):
    path = _write(tmp_path / "report.json", [_v8("ghp_" + "t4" * 18)])
    stamp = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))

    load(path)

    assert query(
        "select secret_type, detector, repository, file_path, line, commit_sha, committed_at, "
        "author, detected_at, state, validity from secret_findings"
    ) == [
        (
            "github-pat",
            "GitHub Personal Access Token",
            None,
            "deploy/settings.py",
            4,
            "2222222222222222222222222222222222222222",
            datetime(2026, 10, 20, 9, 15, tzinfo=UTC),
            "Dev Example <dev@example.com>",
            stamp,
            "open",
            "unknown",
        )
    ]


def test_bad_records_are_rejected_and_redacted_secrets_get_nofingerprint(load, query):
    result = load(DATA / "report_with_bad_records.json")[0]

    assert (result.read, result.loaded, result.rejected) == (4, 1, 3)
    assert query("select position, field from rejected_records order by position") == [
        ("[0]", None),
        ("[1]", "RuleID"),
        ("[2]", "lineNumber"),
    ]
    assert query("select finding_id, secret_fingerprint, secret_preview from secret_findings") == [
        (
            "gitleaks:0123456789abcdef0123456789abcdef01234567:src/settings.py:generic-api-key:9",
            None,
            None,
        )
    ]


def test_truncated_report_keeps_complete_findings_and_rejects_the_tail(load, query):
    result = load(DATA / "report_truncated.json")[0]

    assert (result.read, result.loaded, result.rejected, result.duplicate) == (3, 2, 1, 0)
    [(position, reason)] = query("select position, reason from rejected_records")
    assert position == "[2]"
    assert "cut off" in reason


def test_a_rescan_with_the_same_findings_is_a_duplicate(load, query, tmp_path):
    findings = [_v8("ghp_" + "r8" * 18), _v8("ghp_" + "r9" * 18, StartLine=9)]
    first = _write(tmp_path / "scan_1.json", findings)
    second = _write(tmp_path / "scan_2.json", findings, indent=2)
    for day, path in ((1, first), (8, second)):
        stamp = datetime(2026, 11, day, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))

    results = load(first, second)

    assert [(r.loaded, r.duplicate) for r in results] == [(2, 0), (0, 2)]
    assert query("select distinct detected_at from secret_findings") == [
        (datetime(2026, 11, 1, tzinfo=UTC),)
    ]


def test_loading_the_same_report_twice_loads_nothing_new(load, query):
    path = DATA / "report_truncated.json"

    first, second = load(path)[0], load(path)[0]

    assert (first.loaded, second.status, second.loaded) == (2, "already_loaded", 0)
    assert query("select count(*) from secret_findings") == [(2,)]
