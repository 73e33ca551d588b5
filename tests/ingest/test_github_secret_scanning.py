"""GitHub secret-scanning alerts: REST lists, single alerts and webhook payloads."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import fingerprint, leaked

DATA = Path(__file__).resolve().parent.parent / "data" / "github-secret-scanning"
SAMPLES = "github_secret_scanning_alerts"


def _alert(number: int, secret: str, **extra: object) -> dict[str, object]:
    alert: dict[str, object] = {
        "number": number,
        "created_at": "2026-11-02T10:00:00Z",
        "url": f"https://api.github.com/repos/example-org/infra/secret-scanning/alerts/{number}",
        "html_url": f"https://github.com/example-org/infra/security/secret-scanning/{number}",
        "state": "open",
        "resolution": None,
        "secret_type": "github_personal_access_token",
        "secret_type_display_name": "GitHub Personal Access Token",
        "secret": secret,
    }
    alert.update(extra)
    return alert


@pytest.mark.shared
def test_rest_and_webhook_samples_load_one_row_per_alert(real, load, query):
    folder = real / SAMPLES
    files = sorted(folder.glob("*.json"))
    expected: dict[str, tuple[str, str | None]] = {}
    counts = {}
    for path in files:
        document = json.loads(path.read_text())
        if "action" in document:
            alert, repo = document["alert"], document["repository"]["full_name"]
            expected[f"github:{repo}#{alert['number']}"] = ("open", None)  # reopened
            counts[path.name] = 1
            continue
        counts[path.name] = len(document)
        for alert in document:
            repo = alert.get("repository", {}).get("full_name") or "/".join(
                alert["html_url"].split("/")[3:5]
            )
            expected[f"github:{repo}#{alert['number']}"] = (alert["state"], alert["resolution"])

    results = load(*files)

    assert {r.path.name: (r.kind, r.read, r.loaded) for r in results} == {
        name: ("github-secret-scanning", count, count) for name, count in counts.items()
    }
    rows = query("select finding_id, state, resolution from secret_findings")
    assert {fid: (state, resolution) for fid, state, resolution in rows} == expected


@pytest.mark.shared
def test_repo_endpoint_alert_keeps_location_resolution_and_flags(real, load, query):
    path = real / SAMPLES / "repo_secret_scanning_alerts.docs_example.json"
    alert = next(a for a in json.loads(path.read_text()) if a["state"] == "resolved")
    location = alert["first_location_detected"]

    load(path)

    row = query(
        "select repository, file_path, line, commit_sha, detected_at, resolved_at, "
        "resolved_by, validity, publicly_leaked, push_protection_bypassed, secret_type, "
        "detector, secret_fingerprint, secret_preview, committed_at "
        "from secret_findings where finding_id = ?",
        [f"github:matt-davis27/PyGithub#{alert['number']}"],
    )
    assert row == [
        (
            "matt-davis27/PyGithub",
            location["path"],
            location["start_line"],
            location["commit_sha"],
            datetime.fromisoformat(alert["created_at"]),
            datetime.fromisoformat(alert["resolved_at"]),
            alert["resolved_by"]["login"],
            alert["validity"],
            alert["publicly_leaked"],
            alert["push_protection_bypassed"],
            alert["secret_type"],
            alert["secret_type_display_name"],
            fingerprint(alert["secret"]),
            f"{alert['secret'][:4]}… ({len(alert['secret'])} chars)",
            None,
        )
    ]


@pytest.mark.shared
def test_alert_secrets_never_reach_the_warehouse(real, db, load, query, tmp_path):
    planted = "ghp_" + "q7" * 18
    report = tmp_path / "alerts.json"
    report.write_text(
        json.dumps(
            [
                _alert(
                    1,
                    planted,
                    resolution_comment=f"rotated {planted}",
                    first_location_detected={"path": f"keys/{planted}.txt", "start_line": 3},
                ),
            ]
        )
    )
    files = [*sorted((real / SAMPLES).glob("*.json")), report]
    secrets = {planted}
    for path in files:
        document = json.loads(path.read_text())
        for alert in document if isinstance(document, list) else [document["alert"]]:
            if alert.get("secret"):
                secrets.add(alert["secret"])

    load(*files)

    assert len(secrets) == 3
    assert leaked(db, secrets) == []
    assert query(
        "select file_path, secret_fingerprint from secret_findings "
        "where finding_id = 'github:example-org/infra#1'"
    ) == [("keys/[REDACTED].txt", fingerprint(planted))]


def test_webhook_without_state_is_resolved_by_its_action_and_sender(load, query):
    results = load(DATA / "webhook_resolved.payload.json")

    assert (results[0].kind, results[0].loaded) == ("github-secret-scanning", 1)
    assert query(
        "select finding_id, state, resolution, resolved_by, validity, secret_fingerprint "
        "from secret_findings"
    ) == [
        ("github:example-org/payments-api#7", "resolved", "revoked", "octo-admin", "unknown", None)
    ]


@pytest.mark.parametrize(
    ("action", "alert_extra", "state"),
    [
        ("created", {}, "open"),
        ("reopened", {}, "open"),
        ("reopened_by_user", {}, "open"),
        ("resolved", {"resolution": "revoked"}, "resolved"),
        ("validated", {}, "open"),
        ("validated", {"resolution": "used_in_tests"}, "resolved"),
        ("publicly_leaked", {"state": "resolved"}, "resolved"),
    ],
)
def test_webhook_state_follows_the_action_when_the_alert_has_none(
    load, query, tmp_path, action, alert_extra, state
):
    payload = {
        "action": action,
        "alert": {"number": 5, "secret_type": "example_service_token", **alert_extra},
        "repository": {"full_name": "example-org/web"},
    }
    path = tmp_path / "delivery.json"
    path.write_text(json.dumps(payload))

    load(path)

    assert query("select state from secret_findings") == [(state,)]


def test_records_that_are_not_alerts_are_rejected_with_field_and_reason(load, query):
    result = load(DATA / "alerts_with_bad_records.json")[0]

    assert (result.read, result.loaded, result.rejected) == (5, 1, 4)
    rejected = query("select position, field, reason from rejected_records order by position")
    assert [(position, field) for position, field, _ in rejected] == [
        ("[0]", None),
        ("[1]", "number"),
        ("[2]", "state"),
        ("[3]", "repository"),
    ]
    assert rejected[0][2] == "expected an alert object, found a JSON str"
    assert "'snoozed'" in rejected[2][2]
    assert query("select finding_id, validity from secret_findings") == [
        ("github:example-org/payments-api#4", "unknown")
    ]


def test_truncated_export_keeps_complete_alerts_and_rejects_the_tail(load, query):
    result = load(DATA / "alerts_truncated.json")[0]

    assert (result.read, result.loaded, result.rejected, result.duplicate) == (3, 2, 1, 0)
    assert result.read == result.loaded + result.rejected + result.duplicate
    [(position, reason)] = query("select position, reason from rejected_records")
    assert position == "[2]"
    assert "cut off" in reason


def test_paginated_export_loads_every_page(load, query):
    result = load(DATA / "alerts_paginated.json")[0]

    assert (result.read, result.loaded, result.rejected) == (3, 3, 0)
    assert query("select finding_id, state from secret_findings order by finding_id") == [
        ("github:example-org/web#21", "open"),
        ("github:example-org/web#22", "open"),
        ("github:example-org/web#23", "resolved"),
    ]


def test_unchanged_reexport_is_a_duplicate_and_a_state_change_is_a_new_row(load, query, tmp_path):
    secret = "ghp_" + "w3" * 18
    first, again, later = (tmp_path / f"alerts_{n}.json" for n in range(3))
    first.write_text(json.dumps([_alert(9, secret)]))
    again.write_text(json.dumps([_alert(9, secret)], indent=2))
    later.write_text(
        json.dumps(
            [
                _alert(
                    9,
                    secret,
                    state="resolved",
                    resolution="revoked",
                    resolved_at="2026-11-04T08:00:00Z",
                )
            ]
        )
    )
    for offset, path in enumerate((first, again, later)):
        stamp = datetime(2026, 11, 3 + offset, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))

    results = load(first, again, later)

    assert [(r.loaded, r.duplicate) for r in results] == [(1, 0), (0, 1), (1, 0)]
    assert query("select state from secret_findings order by observed_at") == [
        ("open",),
        ("resolved",),
    ]
    assert query("select state, resolution from secret_findings_current") == [
        ("resolved", "revoked")
    ]


def test_loading_the_same_file_twice_loads_nothing_new(load, query):
    path = DATA / "alerts_paginated.json"

    first, second = load(path)[0], load(path)[0]

    assert (first.loaded, second.status, second.loaded) == (3, "already_loaded", 0)
    assert query("select count(*) from secret_findings") == [(3,)]
