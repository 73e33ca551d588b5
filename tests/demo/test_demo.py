"""The demo data set: deterministic, native formats, and a manifest that the files confirm.

Every count of ``planted.json`` that is cheap to recompute is recomputed here from the
written files alone, without the writer's internals.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from analytics.demo import write_demo
from tests.demo import files
from tests.demo.files import END

TRAIL_NAME = re.compile(
    r"AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz"
)
REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
INVENTORY_HEADERS = {
    "identities": (
        "identity_id,name,kind,provider,account,environment,owner_id,team,created_at,status"
    ),
    "credentials": (
        "credential_id,identity_id,credential_type,provider,created_at,expires_at,"
        "last_rotated_at,last_used_at,status,revoked_at"
    ),
    "grants": (
        "grant_id,identity_id,permission,resource,grant_type,granted_at,expires_at,revoked_at,"
        "task_id,granted_by"
    ),
    "directory": "person_id,name,email,team,employment_status,left_at",
}
GITLEAKS_KEYS = [
    "Description",
    "StartLine",
    "EndLine",
    "StartColumn",
    "EndColumn",
    "Match",
    "Secret",
    "File",
    "SymlinkFile",
    "Commit",
    "Entropy",
    "Author",
    "Email",
    "Date",
    "Message",
    "Tags",
    "RuleID",
    "Fingerprint",
]
AKIA = re.compile(r"AKIA[A-Z2-7]{16}")


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _principal(record: dict[str, Any]) -> str | None:
    identity = record["userIdentity"]
    if identity["type"] == "AssumedRole":
        return identity["sessionContext"]["sessionIssuer"]["arn"]
    return identity.get("arn")


def test_same_seed_writes_byte_identical_files(demo, tmp_path: Path) -> None:
    out, _ = demo
    write_demo(tmp_path, seed=7, scale="small", end=END)
    assert _digests(tmp_path) == _digests(out)


def test_different_seed_writes_different_files(demo, tmp_path: Path) -> None:
    out, manifest = demo
    other = write_demo(tmp_path, seed=8, scale="small", end=END)
    mine, theirs = _digests(out), _digests(tmp_path)
    assert other != manifest
    for name in ("sources/iam/credential_report.csv", "sources/inventory/credentials.csv"):
        assert mine[name] != theirs[name]
    assert set(mine) != set(theirs)


def test_unknown_scale_is_rejected_naming_the_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="small, default, large"):
        write_demo(tmp_path, scale="huge")


def test_a_folder_with_earlier_sources_is_refused(demo) -> None:
    out, _ = demo
    with pytest.raises(FileExistsError, match="already holds files"):
        write_demo(out, scale="small")


def test_cloudtrail_files_are_sorted_gzipped_batches_in_the_s3_layout(demo) -> None:
    out, _ = demo
    root = out / "sources" / "cloudtrail"
    for path in files.trail_files(out):
        match = TRAIL_NAME.fullmatch(str(path.relative_to(root)))
        assert match, path
        raw = path.read_bytes()
        assert raw[4:8] == b"\0\0\0\0" and not raw[3] & 0x08, "gzip header has a time or a name"
        records = json.loads(gzip.decompress(raw))["Records"]
        times = [r["eventTime"] for r in records]
        assert 0 < len(records) <= 1000 and times == sorted(times)
        assert {r["recipientAccountId"] for r in records} == {match[1]}
        assert {r["awsRegion"] for r in records} == {match[2]}
        for record in records:
            assert record["eventVersion"] == "1.09" and record["eventCategory"] == "Management"
            assert END - timedelta(days=180) <= _time(record["eventTime"]) < END


def test_cloudtrail_counts_match_the_manifest(demo) -> None:
    out, manifest = demo
    records = files.records(out)
    times = sorted(r["eventTime"] for r in records)
    assert manifest["cloudtrail_events_total"] == len(records)
    assert manifest["cloudtrail_files"] == len(files.trail_files(out))
    assert manifest["cloudtrail_events_by_account"] == dict(
        Counter(r["recipientAccountId"] for r in records)
    )
    assert (manifest["cloudtrail_first_event_time"], manifest["cloudtrail_last_event_time"]) == (
        times[0],
        times[-1],
    )
    principals = {_principal(r) for r in records} - {None}
    assert manifest["cloudtrail_distinct_principals"] == len(principals)
    assert manifest["cloudtrail_access_denied"] == sum("errorCode" in r for r in records)
    kinds = Counter(r["userIdentity"]["type"] for r in records)
    assert kinds["IAMUser"] and kinds["AssumedRole"] and kinds["AWSService"]
    names = Counter(r["eventName"] for r in records)
    assert names["ConsoleLogin"] == manifest["cloudtrail_console_logins"] > 0
    assert names["CreateAccessKey"] and names["UpdateAccessKey"] and names["DeleteAccessKey"]


def test_dormant_identities_are_recomputed_from_event_times(demo) -> None:
    out, manifest = demo
    last: dict[str, datetime] = {}
    for record in files.records(out):
        arn = _principal(record)
        if arn is not None:
            last[arn] = max(last.get(arn, _time(record["eventTime"])), _time(record["eventTime"]))
    _, identities = files.inventory(out, "identities")
    aws = [r["identity_id"] for r in identities if r["identity_id"].startswith("arn:aws:iam::")]
    cutoff = END - timedelta(days=90)
    dormant = sorted(a for a in aws if a not in last or last[a] < cutoff)
    planted = manifest["dormant_identities_90d"]
    assert planted["ids"] == dormant and planted["count"] == len(dormant)
    assert planted["without_events"] and planted["with_older_events"]
    for arn in planted["with_older_events"]:
        assert END - timedelta(days=170) <= last[arn] <= END - timedelta(days=100)


def test_credential_report_has_the_22_columns_and_one_row_per_prod_user(demo) -> None:
    out, _ = demo
    lines = (out / "sources" / "iam" / "credential_report.csv").read_text().splitlines()
    assert lines[0] == REPORT_HEADER
    rows = list(csv.reader(lines[1:]))
    assert rows[0][0] == "<root_account>" and rows[0][3] == "not_supported"
    assert all(len(row) == 22 for row in rows)
    details = json.loads(
        (out / "sources" / "iam" / "authorization_details-20261130.json").read_text()
    )
    assert [r[1] for r in rows[1:]] == sorted(u["Arn"] for u in details["UserDetailList"])
    stamp = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00|N/A|not_supported")
    for row in rows:
        for cell in (row[2], row[4], row[9], row[10], row[14], row[15]):
            assert stamp.fullmatch(cell), cell


def test_overprivileged_identities_match_the_prod_authorization_details(demo) -> None:
    out, manifest = demo
    details = json.loads(
        (out / "sources" / "iam" / "authorization_details-20261130.json").read_text()
    )
    admin_groups = {
        g["GroupName"]
        for g in details["GroupDetailList"]
        if any(p["PolicyName"] == "AdministratorAccess" for p in g["AttachedManagedPolicies"])
    }
    _, identities = files.inventory(out, "identities")
    inventoried = {r["identity_id"] for r in identities}
    admins = set()
    for entry in details["UserDetailList"] + details["RoleDetailList"]:
        inline = entry.get("UserPolicyList", []) + entry.get("RolePolicyList", [])
        actions = [s["Action"] for p in inline for s in p["PolicyDocument"]["Statement"]]
        if (
            any(p["PolicyName"] == "AdministratorAccess" for p in entry["AttachedManagedPolicies"])
            or admin_groups & set(entry.get("GroupList", []))
            or {"*", "*:*"} & set(actions)
        ):
            admins.add(entry["Arn"])
    planted = set(manifest["overprivileged_identities"]["ids"])
    assert {a for a in planted if ":111122223333:" in a} == admins & inventoried
    assert len(planted) >= 2


def test_inventory_csvs_have_the_documented_headers_and_planted_counts(demo) -> None:
    out, manifest = demo
    tables = {stem: files.inventory(out, stem) for stem in INVENTORY_HEADERS}
    for stem, (header, _) in tables.items():
        assert ",".join(header) == INVENTORY_HEADERS[stem]
    identities, credentials = tables["identities"][1], tables["credentials"][1]
    grants, people = tables["grants"][1], tables["directory"][1]
    assert manifest["nonhuman_identities"]["total"] == len(identities)
    assert manifest["nonhuman_identities"]["by_kind"] == dict(
        Counter(r["kind"] for r in identities)
    )
    assert {"ai_agent", "bot", "app", "service_account", "iam_user", "iam_role"} <= {
        r["kind"] for r in identities
    }
    left = sorted(p["person_id"] for p in people if p["employment_status"] == "left")
    assert manifest["humans"]["total"] == len(people)
    assert manifest["humans_left"]["ids"] == left
    active = [c for c in credentials if c["status"] == "active"]
    holders = {c["identity_id"] for c in active}
    orphaned = sorted(
        r["identity_id"]
        for r in identities
        if r["owner_id"] in left and r["identity_id"] in holders
    )
    assert manifest["owner_left_with_active_credential"]["ids"] == orphaned != []
    assert manifest["credentials_total"] == len(credentials)
    assert manifest["credentials_active"] == len(active)
    assert manifest["credentials_never_expire"] == sum(not c["expires_at"] for c in active)
    older = sorted(
        c["credential_id"] for c in active if _time(c["created_at"]) < END - timedelta(days=90)
    )
    assert manifest["credentials_older_than_90d"]["ids"] == older
    for days, key in ((90, "access_keys_older_than_90d"), (365, "access_keys_older_than_365d")):
        old = sorted(
            c["credential_id"]
            for c in active
            if c["credential_type"] == "access_key"
            and _time(c["created_at"]) < END - timedelta(days=days)
        )
        assert manifest[key]["ids"] == old
    jit = [g for g in grants if g["grant_type"] == "jit"]
    assert manifest["jit_grants"] == len(jit) and all(
        re.fullmatch(r"TASK-\d{4,5}", g["task_id"]) for g in jit
    )
    assert manifest["standing_grants"] == len(grants) - len(jit)
    never = sorted(g["grant_id"] for g in jit if not g["expires_at"] and not g["revoked_at"])
    assert manifest["jit_grants_never_expire"]["ids"] == never != []


def test_aws_principals_and_keys_of_cloudtrail_are_in_the_exports(demo) -> None:
    out, _ = demo
    _, identities = files.inventory(out, "identities")
    _, credentials = files.inventory(out, "credentials")
    known = {r["identity_id"] for r in identities}
    report = (out / "sources" / "iam" / "credential_report.csv").read_text().splitlines()[1:]
    consoles = {row[1] for row in csv.reader(report) if row[3] == "true"}
    # An admin's own key (the one pasted into an agent) is a person's: not in the inventory.
    admin_keys = {row[1] for row in csv.reader(report) if row[7] == "true" and row[8] == "true"}
    keys = {c["credential_id"]: c for c in credentials}
    for record in files.records(out):
        arn = _principal(record)
        assert arn is None or arn in known or arn in consoles, arn
        key = record["userIdentity"].get("accessKeyId", "")
        assert not key.startswith("AKIA") or key in keys or arn in admin_keys, key
        if record["eventName"] in ("UpdateAccessKey", "DeleteAccessKey"):
            target = keys[record["requestParameters"]["accessKeyId"]]
            assert target["status"] in ("inactive", "deleted")


def test_scanner_files_parse_in_their_native_shapes(demo) -> None:
    out, _ = demo
    found = files.findings(out)
    for alert in found["github"]:
        assert alert["state"] in ("open", "resolved")
        assert (alert["resolution"] is None) == (alert["state"] == "open")
        assert alert["validity"] in ("active", "inactive", "unknown")
        assert {"path", "start_line", "commit_sha", "blob_sha"} <= set(
            alert["first_location_detected"]
        )
        assert alert["repository"]["full_name"].startswith("larchmont-io/")
    for finding in found["gitleaks"]:
        assert list(finding) == GITLEAKS_KEYS
        rule, line = finding["RuleID"], finding["StartLine"]
        assert finding["Fingerprint"] == f"{finding['Commit']}:{finding['File']}:{rule}:{line}"
    for finding in found["trufflehog"]:
        git = finding["SourceMetadata"]["Data"]["Git"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0000", git["timestamp"])
        assert (finding["SourceType"], finding["SourceName"]) == (16, "trufflehog - git")
        assert finding["DecoderName"] == "PLAIN" and finding["StructuredData"] is None


def test_secret_finding_counts_match_the_manifest(demo) -> None:
    out, manifest = demo
    found = files.findings(out)
    planted = manifest["secret_findings"]
    assert planted["by_source"] == {source: len(items) for source, items in found.items()}
    alerts = found["github"]
    assert planted["github_open"] == sum(a["state"] == "open" for a in alerts)
    resolved = Counter(a["resolution"] for a in alerts if a["state"] == "resolved")
    assert planted["github_resolved_by_resolution"] == dict(resolved)
    named = {a["secret"] for a in alerts if a["secret_type"] == "aws_access_key_id"}
    named |= {f["Secret"] for f in found["gitleaks"] if f["RuleID"] == "aws-access-token"}
    named |= {f["Raw"] for f in found["trufflehog"] if f["DetectorName"] == "AWS"}
    _, credentials = files.inventory(out, "credentials")
    world_keys = {c["credential_id"] for c in credentials}
    assert planted["leaked_aws_key_ids"] == sorted(named & world_keys) != []
    assert named - world_keys, "noise findings with unknown AWS keys are missing"


def test_keys_used_after_their_leak_show_up_from_an_unknown_address(demo) -> None:
    out, manifest = demo
    misuse = [r for r in files.records(out) if r["sourceIPAddress"].startswith("198.51.100.")]
    planted = manifest["leaked_keys_used_after_leak"]
    assert planted["events"] == len(misuse) > 0
    assert planted["ids"] == sorted({r["userIdentity"]["accessKeyId"] for r in misuse})
    assert set(planted["ids"]) <= set(manifest["secret_findings"]["leaked_aws_key_ids"])


def test_no_secret_value_reaches_the_manifest_or_the_inventory(demo) -> None:
    out, _ = demo
    found = files.findings(out)
    values = {a["secret"] for a in found["github"]}
    values |= {f["Secret"] for f in found["gitleaks"]} | {f["Match"] for f in found["gitleaks"]}
    values |= {f["Raw"] for f in found["trufflehog"]} | {f["RawV2"] for f in found["trufflehog"]}
    # AWS access key ids are identifiers: the inventory lists them by design.
    secrets = {v for v in values if v and not AKIA.fullmatch(v)}
    assert secrets
    texts = [(out / "planted.json").read_text()]
    texts += [p.read_text() for p in sorted((out / "sources" / "inventory").glob("*.csv"))]
    texts.append((out / "sources" / "iam" / "credential_report.csv").read_text())
    for text in texts:
        assert not [s for s in secrets if s in text]


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
_FUTURE_OK = {"expires_at", "password_next_rotation"}


def _times(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (field, ISO time text) inside a JSON value, recursively."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _times(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v, key)]
    if isinstance(value, str) and _ISO.match(value):
        return [(key, value)]
    return []


def _parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").split(" -")[0].split(" +")[0])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pytest.mark.parametrize(("scale", "seed"), [("small", 1), ("small", 2), ("default", 7)])
def test_no_time_in_any_file_lies_after_the_end_of_the_period(
    tmp_path: Path, scale: str, seed: int
) -> None:
    write_demo(tmp_path, seed=seed, scale=scale)
    found: list[tuple[str, str, str]] = []
    for path in sorted((tmp_path / "sources").rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode()
        if path.suffix == ".csv":
            found += [
                (path.name, k, v)
                for row in csv.DictReader(text.splitlines())
                for k, v in row.items()
                if v and _ISO.match(v)
            ]
        elif path.suffix == ".yaml":
            reviewed = yaml.safe_load(text)["reviewed_at"]
            found.append((path.name, "reviewed_at", f"{reviewed.isoformat()}T00:00:00"))
        elif path.suffix == ".jsonl":
            found += [
                (path.name, k, v)
                for line in text.splitlines()
                for k, v in _times(json.loads(line))
            ]
        else:
            found += [(path.name, k, v) for k, v in _times(json.loads(text))]

    late = [
        (name, key, value)
        for name, key, value in found
        if key not in _FUTURE_OK and _parse(value) > END
    ]

    assert found, "the demo wrote no timestamps at all"
    assert late == []
