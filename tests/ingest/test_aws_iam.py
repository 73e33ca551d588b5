"""IAM credential report and account authorization details, real and damaged."""

from __future__ import annotations

import base64
import csv
import gzip
import json
from pathlib import Path

import pytest


def _authz(path: Path) -> dict:
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


@pytest.mark.shared
def test_credential_report_csv_and_api_json_give_the_same_credentials(real, load, query):
    folder = real / "aws_iam_credential_report"
    csv_file = folder / "cloudmapper_demo.credential_report.csv"
    rows = list(csv.DictReader(csv_file.open()))
    expected_keys = sum(r[f"access_key_{n}_last_rotated"] != "N/A" for r in rows for n in (1, 2))

    csv_result, json_result = load(
        csv_file, folder / "cloudmapper_demo.iam-get-credential-report.json"
    )

    assert (csv_result.kind, csv_result.loaded) == ("aws-credential-report", len(rows))
    assert (json_result.kind, json_result.loaded) == ("aws-credential-report", len(rows))
    per_file = query(
        "select file_id, count(*) from credentials where credential_type = 'access_key' "
        "group by all order by 1"
    )
    assert [count for _, count in per_file] == [expected_keys, expected_keys]
    # The JSON form states when AWS generated it: that is the snapshot time.
    observed = query(
        "select distinct observed_at from credentials where file_id = ?", [json_result.file_id]
    )
    assert observed[0][0].isoformat() == "2019-05-07T15:40:22+00:00"


@pytest.mark.shared
def test_credential_report_keeps_key_state_and_last_use(real, load, query):
    load(real / "aws_iam_credential_report" / "cloudmapper_demo.credential_report.csv")

    rows = query(
        "select credential_id, status, cast(last_used_at as varchar), last_used_service "
        "from credentials where credential_type = 'access_key' order by 1"
    )

    assert rows == [
        ("arn:aws:iam::123456789012:root#access_key_1", "active", "2018-11-27 00:02:00+00", "ecr"),
        ("arn:aws:iam::123456789012:user/auditor_tmp#access_key_1", "active", None, None),
        ("arn:aws:iam::123456789012:user/user#access_key_1", "active", None, None),
        (
            "arn:aws:iam::123456789012:user/user#access_key_2",
            "active",
            "2018-05-07 15:35:54+00",
            "s3",
        ),
    ]
    assert query("select kind from identities where name = '<root_account>'") == [("root",)]


def test_credential_report_as_base64_content_is_decoded(tmp_path, load, query):
    header = (
        "user,arn,user_creation_time,password_enabled,password_last_used,"
        "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
        "access_key_1_last_rotated,access_key_1_last_used_date,"
        "access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
    )
    row = (
        "deploy-bot,arn:aws:iam::111122223333:user/deploy-bot,2025-01-02T00:00:00+00:00,"
        "false,N/A,N/A,N/A,false,true,2025-01-02T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,"
        "N/A,N/A,false,N/A,false,N/A"
    )
    content = base64.b64encode(f"{header}\n{row}".encode()).decode()
    path = tmp_path / "report.json"
    path.write_text(
        json.dumps(
            {
                "Content": content,
                "ReportFormat": "text/csv",
                "GeneratedTime": "2026-11-30T00:00:00Z",
            }
        )
    )

    [result] = load(path)

    assert (result.kind, result.loaded) == ("aws-credential-report", 1)
    assert query("select credential_id, status from credentials") == [
        ("arn:aws:iam::111122223333:user/deploy-bot#access_key_1", "active")
    ]


def test_csv_with_a_wrong_header_fails_as_a_whole_with_the_missing_columns(tmp_path, load, query):
    path = tmp_path / "report.csv"
    path.write_text("user,arn,user_creation_time,mfa_active\nx,arn:aws:iam::1:user/x,,false\n")

    [result] = load(path, kind="aws-credential-report")

    assert result.failed
    assert "password_enabled" in result.error and "access_key_1_active" in result.error
    assert query("select count(*) from identities") == [(0,)]
    assert query("select status from ingest_files") == [("failed",)]


@pytest.mark.shared
def test_authorization_details_load_every_user_and_role(real, load, query):
    path = (
        real
        / "aws_iam_account_authorization_details"
        / "cloudsplaining_example.authz_details.json.gz"
    )
    document = _authz(path)
    users, roles = len(document["UserDetailList"]), len(document["RoleDetailList"])

    [result] = load(path)

    assert (result.kind, result.loaded, result.rejected) == (
        "aws-authorization-details",
        users + roles,
        0,
    )
    assert query("select kind, count(*) from identities group by all order by 1") == [
        ("iam_role", roles),
        ("iam_user", users),
    ]


@pytest.mark.shared
def test_authorization_details_expand_inline_managed_and_group_policies(real, load, query):
    path = (
        real
        / "aws_iam_account_authorization_details"
        / "cloudsplaining_example.authz_details.json.gz"
    )
    document = _authz(path)
    policies = {p["Arn"]: p for p in document["Policies"]}
    groups = {g["GroupName"]: g for g in document["GroupDetailList"]}
    # Independent count of Allow actions for one user with group membership.
    user = next(u for u in document["UserDetailList"] if u["GroupList"])

    def actions(doc) -> set[str]:
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        found = set()
        for s in statements:
            if s.get("Effect") == "Allow" and "Action" in s:
                acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                found.update(acts)
        return found

    def default_doc(arn):
        p = policies[arn]
        return next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])

    expected = set()
    holders = [(user, "UserPolicyList")] + [
        (groups[g], "GroupPolicyList") for g in user["GroupList"]
    ]
    for holder, inline_key in holders:
        for inline in holder.get(inline_key, []):
            expected |= actions(inline["PolicyDocument"])
        for attached in holder.get("AttachedManagedPolicies", []):
            expected |= actions(default_doc(attached["PolicyArn"]))

    load(path)
    found = {
        r[0]
        for r in query(
            "select distinct permission from grants where identity_id = ? and effect = 'Allow' "
            "and not negated",
            [user["Arn"]],
        )
    }

    assert found == expected
    vias = {
        r[0].split(":")[0]
        for r in query("select distinct via from grants where identity_id = ?", [user["Arn"]])
    }
    assert any(v.startswith("group") for v in vias)


def test_truncated_authorization_details_fail_whole_and_load_nothing(tmp_path, load, query):
    path = tmp_path / "authz.json"
    path.write_text('{"UserDetailList": [{"UserName": "a", "Arn": "arn:aws:iam::1:user/a"')

    [result] = load(path)

    assert result.failed and "not valid JSON" in result.error
    assert query("select count(*) from identities") == [(0,)]
