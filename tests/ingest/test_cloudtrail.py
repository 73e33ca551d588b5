"""CloudTrail adapter: real delivery files, arrays, SIEM exports, and damaged input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest


def _independent_count(path: Path) -> int:
    """Count events the plain way: parse the file (repairing the one known comma fault)."""
    raw = path.read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = json.loads(re.sub(r"}\s*\n(\s*){", r"},\n\1{", text))
    return len(document["Records"] if isinstance(document, dict) else document)


@pytest.mark.shared
@pytest.mark.parametrize(
    "folder",
    [
        "aws_cloudtrail_stratus_red_team",
        "aws_cloudtrail_flaws2",
        "aws_cloudtrail_datadog_forwarded_zmallen",
    ],
)
def test_real_cloudtrail_files_load_every_event(real, load, query, folder):
    files = sorted(p for p in (real / folder).iterdir() if p.name != "README.md")
    expected = {p.name: _independent_count(p) for p in files}

    results = load(real / folder)

    assert {r.path.name: (r.kind, r.loaded, r.rejected) for r in results} == {
        name: ("cloudtrail", count, 0) for name, count in expected.items()
    }
    assert query("select count(*) from events")[0][0] == sum(expected.values())


@pytest.mark.shared
def test_stratus_counts_match_the_published_table(real, load, query):
    load(real / "aws_cloudtrail_stratus_red_team")

    total, with_key = query("select count(*), count(access_key_id) from events")[0]

    assert (total, with_key) == (202, 201)


@pytest.mark.shared
def test_role_sessions_are_attributed_to_their_role(real, load, query):
    load(real / "aws_cloudtrail_flaws2")

    rows = query(
        "select identity_id, session_name, source_ip, count(*) from events "
        "where access_key_id in ('ASIAZQNB3KHGIGYQXVVG', 'ASIAZQNB3KHGNXWXBSJS') "
        "group by all order by all"
    )

    # The README of the sample: level1's Lambda session used inside Lambda and then from a
    # laptop (4 calls), and level3's ECS task session once from the same laptop.
    assert rows == [
        (
            "arn:aws:iam::653711331788:role/level3",
            "d190d14a-2404-45d6-9113-4eda22d7f2c7",
            "104.102.221.250",
            1,
        ),
        ("arn:aws:iam::653711331788:role/service-role/level1", "level1", "104.102.221.250", 4),
        ("arn:aws:iam::653711331788:role/service-role/level1", "level1", "34.234.236.212", 5),
    ]


@pytest.mark.shared
def test_datadog_export_fields_are_found_where_datadog_moved_them(real, load, query):
    folder = real / "aws_cloudtrail_datadog_forwarded_zmallen"
    load(folder / "aws.credential-access.secretsmanager-retrieve-secrets.json")

    rows = query("select distinct identity_id, source_ip, user_agent, action from events")

    assert rows == [
        (
            "arn:aws:iam::677301038893:role/account-admin",
            "62.167.105.104",
            "stratus-red-team_05dbb79c-68f8-436e-ad26-ef7b3eaf9f94",
            "secretsmanager:GetSecretValue",
        )
    ]


@pytest.mark.shared
def test_export_with_missing_commas_is_salvaged_record_by_record(real, load, query):
    path = real / "aws_cloudtrail_datadog_forwarded_zmallen" / "aws.execution.ec2-user-data.json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(path.read_text())

    [result] = load(path)

    assert (result.read, result.loaded, result.rejected) == (3, 3, 0)
    names = sorted(r[0] for r in query("select event_name from events"))
    assert names == ["ModifyInstanceAttribute", "StartInstances", "StopInstances"]


def _event(n: int, **extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "eventVersion": "1.09",
        "eventTime": f"2026-11-0{n % 9 + 1}T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "recipientAccountId": "111122223333",
        "requestParameters": {"bucketName": "logs", "key": "a.txt"},
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/ci-bot",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLEKEY000001",
        },
    }
    event.update(extra)
    return event


def test_json_lines_and_a_gzipped_delivery_file_give_the_same_rows(tmp_path, load, query):
    events = [_event(n) for n in range(5)]
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    delivery = tmp_path / "delivery.json.gz"
    delivery.write_bytes(gzip.compress(json.dumps({"Records": events}).encode()))

    first, second = load(lines, delivery)

    assert (first.loaded, first.duplicate) == (5, 0)
    assert (second.loaded, second.duplicate) == (0, 5)
    assert query("select count(*), count(distinct identity_id) from events")[0] == (5, 1)
    assert query("select distinct resource, action from events") == [("logs", "s3:GetObject")]


def test_truncated_gzip_keeps_complete_events_and_rejects_the_tail(tmp_path, load, query):
    events = [_event(n) for n in range(40)]
    whole = gzip.compress(json.dumps({"Records": events}, indent=1).encode())
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])

    [result] = load(cut)

    assert result.status == "loaded"
    assert result.read == result.loaded + result.rejected + result.duplicate
    assert 0 < result.loaded < 40
    reasons = [r[0] for r in query("select reason from rejected_records")]
    assert any("gzip" in reason for reason in reasons)
    assert any("cut off" in reason for reason in reasons)


def test_events_missing_required_fields_are_rejected_with_field_and_position(
    tmp_path, load, query
):
    good = _event(1)
    no_time = _event(2)
    del no_time["eventTime"]
    bad_time = _event(3, eventTime="yesterday")
    wrong_type = _event(4, userIdentity="root")
    not_object = 42
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([good, no_time, bad_time, wrong_type, not_object]))

    [result] = load(path, kind="cloudtrail")

    assert (result.read, result.loaded, result.rejected) == (5, 1, 4)
    rows = query("select position, field, reason from rejected_records order by record_index")
    assert [(r[0], r[1]) for r in rows] == [
        ("[1]", "eventTime"),
        ("[2]", "eventTime"),
        ("[3]", "userIdentity"),
        ("[4]", None),
    ]
    assert "found 'yesterday'" in rows[1][2]


def test_elastic_export_with_the_original_event_as_a_string_is_unwrapped(tmp_path, load, query):
    original = _event(7)
    wrapped = {
        "@timestamp": "2026-11-08T10:00:01Z",
        "event": {"original": json.dumps(original)},
        "cloud": {"provider": "aws"},
    }
    path = tmp_path / "filebeat.ndjson"
    path.write_text(json.dumps(wrapped) + "\n")

    [result] = load(path, kind="cloudtrail")

    assert result.loaded == 1
    assert query("select event_id, identity_id from events") == [
        (original["eventID"], "arn:aws:iam::111122223333:user/ci-bot")
    ]


def test_request_payloads_are_not_kept(tmp_path, load, query):
    canary = "canary-" + "Q" * 24
    event = _event(
        1,
        eventName="PutParameter",
        eventSource="ssm.amazonaws.com",
        requestParameters={"name": "/prod/db", "value": canary, "type": "String"},
    )
    path = tmp_path / "put.json"
    path.write_text(json.dumps({"Records": [event]}))

    load(path)

    assert query("select resource from events") == [("/prod/db",)]
    cells = query("select * from events")[0]
    assert not any(canary in str(cell) for cell in cells)
