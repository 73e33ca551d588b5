"""Scan reports and time to remediate: the manifest's ``ttr`` section, redone from the files.

The recomputation below reads only the written files (GitHub alerts, the scan reports and
their modification times, CloudTrail key changes, the credential inventory) and applies
the rules of the ``ttr`` section on its own.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.demo import files
from tests.demo.files import END, SCANNERS

EXCLUDING = {"false_positive", "used_in_tests", "pattern_edited", "pattern_deleted"}
SECRET_FIELD = {"gitleaks": "Secret", "trufflehog": "Raw"}


def _evidence(out: Path) -> dict[str, Any]:
    """Detections, commits, exclusions and stops of each leaked secret, from the files."""
    detected: dict[str, list[datetime]] = defaultdict(list)
    commits: dict[str, list[datetime]] = defaultdict(list)
    excluded: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    stopped: dict[str, list[datetime]] = defaultdict(list)
    for alert in files.alerts(out):
        secret = alert["secret"]
        detected[secret].append(files.parse_time(alert["created_at"]))
        if alert["state"] == "resolved" and alert["resolution"] == "revoked":
            stopped[secret].append(files.parse_time(alert["resolved_at"]))
        elif alert["state"] == "resolved" and alert["resolution"] in EXCLUDING:
            excluded[secret].append((files.parse_time(alert["resolved_at"]), alert["resolution"]))
    for source, field in SECRET_FIELD.items():
        for path, found in files.scan_reports(out, source):
            for finding in found:
                detected[finding[field]].append(files.mtime(path))
                commits[finding[field]].append(files.committed(finding))
    key_stops: dict[str, list[datetime]] = defaultdict(list)
    for record in files.records(out):
        name, request = record["eventName"], record["requestParameters"]
        if name == "DeleteAccessKey" or (
            name == "UpdateAccessKey" and request["status"] == "Inactive"
        ):
            key_stops[request["accessKeyId"]].append(files.parse_time(record["eventTime"]))
    _, credentials = files.inventory(out, "credentials")
    rows = {row["credential_id"]: row for row in credentials}
    for secret in detected:
        if re.fullmatch(r"AKIA[A-Z2-7]{16}", secret):
            stopped[secret] += key_stops[secret]
            continue
        row = rows.get("sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16])
        if row is None:
            continue
        if row["status"] in ("inactive", "revoked", "deleted") and row["revoked_at"]:
            stopped[secret].append(files.parse_time(row["revoked_at"]))
        first_commit = min(commits[secret] or detected[secret])
        if row["last_rotated_at"] and files.parse_time(row["last_rotated_at"]) > first_commit:
            stopped[secret].append(files.parse_time(row["last_rotated_at"]))
    return {"detected": detected, "excluded": excluded, "stopped": stopped}


def _expected(evidence: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    durations, excluded = [], Counter()
    for secret, times in evidence["detected"].items():
        seen = [t for t in times if t <= as_of]
        triaged = sorted(e for e in evidence["excluded"][secret] if e[0] <= as_of)
        if not seen:
            continue
        if triaged:
            excluded[triaged[0][1]] += 1
            continue
        start = min(seen)
        stops = [t for t in evidence["stopped"][secret] if t <= as_of]
        end = min(stops) if stops else as_of
        durations.append((max(end - start, timedelta(0)).total_seconds() / 86_400, bool(stops)))
    return {"durations": sorted(durations), "excluded": dict(excluded)}


@pytest.mark.parametrize(("index", "cut_days"), [(0, 0), (1, 60)])
def test_time_to_remediate_is_recomputed_from_the_files(demo, index: int, cut_days: int):
    out, manifest = demo
    as_of = END - timedelta(days=cut_days)

    expected = _expected(_evidence(out), as_of)

    planted = manifest["ttr"]["snapshots"][index]
    assert files.parse_time(planted["as_of"]) == as_of
    assert [d[1] for d in planted["durations"]] == [d[1] for d in expected["durations"]]
    assert [d[0] for d in planted["durations"]] == pytest.approx(
        [d[0] for d in expected["durations"]], abs=1e-6
    )
    assert planted["excluded"] == expected["excluded"]
    observed = sum(d[1] for d in expected["durations"])
    assert (planted["population"], planted["remediated"], planted["censored"]) == (
        len(expected["durations"]),
        observed,
        len(expected["durations"]) - observed,
    )
    assert 0 < observed < len(expected["durations"])
    assert planted["never_remediated"] <= planted["censored"]


def test_the_planted_remediation_delay_is_stated(demo):
    _, manifest = demo
    assert manifest["ttr"]["distribution"] == {
        "kind": "lognormal",
        "median_days": 9.0,
        "sigma": 1.0,
        "measured_from": "first detection",
    }


def test_scanner_reports_are_weekly_full_scans_of_the_history(demo):
    out, _ = demo
    for source in SCANNERS:
        reports = files.scan_reports(out, source)
        scans = [files.mtime(path) for path, _ in reports]
        assert [p.name for p, _ in reports] == [
            f"{source}-{t:%Y%m%d}.{SCANNERS[source]}" for t in scans
        ]
        assert {b - a for a, b in itertools.pairwise(scans)} == {timedelta(days=7)}
        assert END - timedelta(days=1) <= scans[-1] < END
        assert all(found for _, found in reports), "a scan that finds nothing keeps no report"
        latest = reports[-1][1]
        # The scan a week before the first report found nothing, or was before the period.
        previous = scans[0] - timedelta(days=7)
        assert previous <= END - timedelta(days=180) or all(
            files.committed(f) >= previous for f in reports[0][1]
        )
        for (_, earlier), (_, later) in itertools.pairwise(reports):
            assert all(finding in later for finding in earlier)
        for (_, found), scanned in zip(reports, scans, strict=True):
            assert found == [f for f in latest if files.committed(f) < scanned]


def test_scan_reports_and_iam_snapshots_carry_their_time_and_every_other_file_the_end(demo):
    out, manifest = demo
    reports = {p for source in SCANNERS for p, _ in files.scan_reports(out, source)}
    snapshots = files.authorization_details(out)
    others = {p for p in (out / "sources").rglob("*") if p.is_file()} - reports
    others -= {p for p, _ in snapshots}
    assert reports and others
    assert {files.mtime(p) for p in others} == {END}
    assert all(files.mtime(p) < END for p in reports)
    assert [files.mtime(p) for p, _ in snapshots] == [
        files.parse_time(t) for t in manifest["privilege_snapshots"]
    ]


def test_credentials_that_stopped_working_say_when(demo):
    out, _ = demo
    header, credentials = files.inventory(out, "credentials")
    assert header[-1] == "revoked_at"
    for row in credentials:
        if row["status"] == "active":
            assert row["revoked_at"] == "", row["credential_id"]
        else:
            stopped = files.parse_time(row["revoked_at"])
            assert files.parse_time(row["created_at"]) <= stopped <= END, row["credential_id"]
