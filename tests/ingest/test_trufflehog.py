"""TruffleHog reports: version 3 JSON lines and version 2 (and trufflehog3 legacy) lines."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.ingest.detect import detect_kind
from analytics.ingest.trufflehog import decode_raw
from tests.conftest import fingerprint, leaked

DATA = Path(__file__).resolve().parent.parent / "data" / "trufflehog"
REPORTS = "secret_scanner_reports"
KEY_ID = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _v3(
    detector: str,
    raw: str,
    *,
    raw_v2: str | None = None,
    source: str = "Git",
    verified: bool = False,
    **where: object,
) -> dict[str, object]:
    location = {
        "commit": "4444444444444444444444444444444444444444",
        "file": "keys.env",
        "email": "dev <dev@example.com>",
        "repository": "https://example.com/o/r.git",
        "timestamp": "2026-10-02 11:00:00 +0200 +0200",
        "line": 2,
        **where,
    }
    finding: dict[str, object] = {
        "SourceMetadata": {"Data": {source: location}},
        "DetectorName": detector,
        "Verified": verified,
        "Raw": raw,
        "Redacted": "",
    }
    if raw_v2 is not None:
        finding["RawV2"] = raw_v2
    return finding


@pytest.mark.shared
def test_v3_report_loads_each_distinct_finding_with_verification_and_key_id(real, load, query):
    path = real / REPORTS / "trufflehog__v3_git.json"
    findings = _lines(path)
    distinct = {json.dumps(finding, sort_keys=True) for finding in findings}
    aws = next(f for f in findings if f["DetectorName"] == "AWS")
    key_id = base64.b64decode(aws["Raw"]).decode()

    result = load(path)[0]

    assert (result.kind, result.read, result.loaded, result.duplicate) == (
        "trufflehog",
        len(findings),
        len(distinct),
        len(findings) - len(distinct),
    )
    assert query(
        "select repository, file_path, line, commit_sha, committed_at, validity, "
        "credential_key_id, secret_fingerprint from secret_findings where secret_type = 'AWS'"
    ) == [
        (
            # stored as GitHub names it, not as the clone URL TruffleHog reports
            aws["SourceMetadata"]["Data"]["Git"]["repository"]
            .removeprefix("https://github.com/")
            .removesuffix(".git"),
            aws["SourceMetadata"]["Data"]["Git"]["file"],
            aws["SourceMetadata"]["Data"]["Git"]["line"],
            aws["SourceMetadata"]["Data"]["Git"]["commit"],
            datetime(2022, 6, 16, 17, 17, 40, tzinfo=UTC),
            "active",
            key_id,
            fingerprint(key_id),
        )
    ]
    assert KEY_ID.fullmatch(key_id)


@pytest.mark.shared
@pytest.mark.parametrize(
    "name", ["trufflehog__v2_many_vulns.json", "trufflehog3__many_vulns_legacy.json"]
)
def test_v2_reports_are_detected_and_load_one_row_per_distinct_finding(real, load, query, name):
    path = real / REPORTS / name
    text = path.read_text()
    findings = json.loads(text) if text.lstrip().startswith("[") else _lines(path)
    distinct = {
        (f["commitHash"], f["path"], f["reason"], tuple(f["stringsFound"])) for f in findings
    }

    result = load(path)[0]

    assert (result.kind, result.read, result.loaded, result.rejected) == (
        "trufflehog",
        len(findings),
        len(distinct),
        0,
    )
    assert query("select state, validity, count(*) from secret_findings group by all") == [
        ("open", "unknown", len(distinct))
    ]


@pytest.mark.shared
def test_trufflehog_secrets_never_reach_the_warehouse(real, db, load, query, tmp_path):
    key_id = "AKIA" + "TESTONLY" * 2
    secret_key = "wJalr" + "P3" * 17 + "z"
    token = "xoxb-" + "7" * 12 + "-" + "n6" * 12
    planted = tmp_path / "planted.jsonl"
    planted.write_text(
        "\n".join(
            json.dumps(f)
            for f in [
                _v3("AWS", key_id, raw_v2=key_id + secret_key, verified=True),
                _v3("Slack", _b64(token), source="Filesystem", file=f"dump/{token}.txt"),
            ]
        )
    )
    folder = real / REPORTS
    files = [
        folder / "trufflehog__v3_git.json",
        folder / "trufflehog__v2_many_vulns.json",
        folder / "trufflehog3__many_vulns_legacy.json",
        planted,
    ]
    secrets = {secret_key, token}
    for path in files:
        text = path.read_text()
        for finding in json.loads(text) if text.startswith("[") else _lines(path):
            secrets.update(finding.get("stringsFound", []))
            for field in ("Raw", "RawV2"):
                if finding.get(field):
                    secrets.add(finding[field])
                    try:
                        secrets.add(base64.b64decode(finding[field], validate=True).decode())
                    except (binascii.Error, UnicodeDecodeError):
                        pass

    load(*files)

    assert leaked(db, secrets) == []
    assert query(
        "select secret_type, file_path, credential_key_id, secret_fingerprint "
        "from secret_findings where repository = 'example.com/o/r' "
        "or file_path like 'dump/%' order by 1"
    ) == [
        ("AWS", "keys.env", key_id, fingerprint(key_id)),
        ("Slack", "dump/[REDACTED].txt", None, fingerprint(token)),
    ]


def test_plain_raw_v2_gives_the_key_id_even_when_raw_is_absent(load, query, tmp_path):
    key_id = "AKIA" + "PLAINV2X" * 2
    finding = _v3("AWS", "", raw_v2=key_id + "Abc/" + "d" * 36)
    path = tmp_path / "report.jsonl"
    path.write_text(json.dumps(finding) + "\n")

    load(path)

    assert query("select credential_key_id, validity from secret_findings") == [
        (key_id, "unknown")
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_b64("https://user:pw@example.com/x"), "https://user:pw@example.com/x"),
        (
            _b64("-----BEGIN KEY-----\nabc\n-----END KEY-----\n"),
            "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
        ),
        ("c2VjcmV0", "secret"),
        ("abcdefghijklmnop", "abcdefghijklmnop"),  # valid base64, decodes to binary
        ("c2VjcmV0MQ", "c2VjcmV0MQ"),  # unpadded: not strict base64
        ("sk_live_not*base64", "sk_live_not*base64"),
    ],
)
def test_raw_is_decoded_only_when_it_is_strict_base64_of_printable_text(value, expected):
    assert decode_raw(value) == expected


def test_records_without_a_detector_or_with_bad_values_are_rejected(load, query):
    result = load(DATA / "findings_with_bad_records.jsonl")[0]

    # Line 2 is an array: its two elements are read as two records, neither an object.
    assert (result.kind, result.read, result.loaded, result.rejected) == ("trufflehog", 5, 1, 4)
    assert query("select position, field from rejected_records order by position") == [
        ("line 1", "DetectorName"),
        ("line 2 [0]", None),
        ("line 2 [1]", None),
        ("line 3", "Verified"),
    ]
    assert query(
        "select file_path, line, repository, secret_fingerprint from secret_findings"
    ) == [("notes.txt", 7, None, None)]


def test_truncated_report_keeps_complete_lines_and_rejects_the_tail(load, query):
    result = load(DATA / "findings_truncated.jsonl")[0]

    assert (result.read, result.loaded, result.rejected, result.duplicate) == (3, 2, 1, 0)
    assert result.read == result.loaded + result.rejected + result.duplicate
    [(position, reason)] = query("select position, reason from rejected_records")
    assert position == "line 3"
    assert "cut off" in reason


def test_loading_the_same_report_twice_loads_nothing_new(load, query):
    path = DATA / "findings_truncated.jsonl"

    first, second = load(path)[0], load(path)[0]

    assert (first.loaded, second.status, second.loaded) == (2, "already_loaded", 0)
    assert query("select count(*) from secret_findings") == [(2,)]


def test_v3_lines_with_sorted_keys_are_still_detected():
    line = json.dumps(_v3("Slack", "not-a-secret"), sort_keys=True)

    assert line.index("DetectorName") < line.index("SourceMetadata")
    assert detect_kind(line) == "trufflehog"
