"""Time to remediate over a small hand-built world whose answers are counted by hand.

Eight GitHub alerts, one gitleaks report (the same token as alert 3, found earlier),
CloudTrail key deletions and uses, and an inventory of credentials. As of 2026-03-01:

| alert | secret | detected | evidence of remediation | days | counts as |
| --- | --- | --- | --- | --- | --- |
| 1 | key K1 | 01-01 00:00 | alert revoked 01-03 12:00 | 2.5 | remediated |
| 2 | key K2 | 01-01 00:00 | DeleteAccessKey 01-11 00:00 | 10 | remediated |
| 3 | token T | gitleaks 12-31 00:00 | inventory revoked_at 01-06 00:00 | 6 | remediated |
| 4 | token U | 02-01 00:00 | none | 28 | censored |
| 5 | token V | 12-30 00:00 | false positive 01-02 | - | excluded |
| 6 | token W | 02-15 00:00 | false positive only on 03-15 | 14 | censored |
| 7 | token X | 01-10 00:00 | won't fix 01-20 | 50 | censored |
| 8 | key K8 | 02-20 00:00 | DeleteAccessKey only on 03-10 | 9 | censored |

Kaplan-Meier by hand: at 2.5 d S = 6/7, at 6 d S = 6/7 * 5/6 = 5/7, 9 d censored, at 10 d
(4 at risk) S = 5/7 * 3/4 = 15/28 = 0.5357, then only censored: the median is not reached.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import UTC, datetime

import pandas as pd
import pytest

from analytics.errors import UsageError
from analytics.metrics import ttr
from analytics.warehouse import connect

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
K1, K2, K8 = "AKIAAAAAAAAAAAAAAAA1", "AKIAAAAAAAAAAAAAAAA2", "AKIAAAAAAAAAAAAAAAA8"


def _token(letter: str) -> str:
    return "ghp_" + letter * 36


def _alert(number, secret, created, **extra):
    alert = {
        "number": number,
        "created_at": created,
        "html_url": f"https://github.com/acme/app/security/secret-scanning/{number}",
        "state": "open",
        "resolution": None,
        "resolved_at": None,
        "secret_type": "aws_access_key_id" if secret.startswith("AKIA") else "github_pat",
        "secret": secret,
        "validity": "unknown",
        "repository": {"full_name": "acme/app"},
    }
    alert.update(extra)
    return alert


def _resolved(resolution, at):
    return {
        "state": "resolved",
        "resolution": resolution,
        "resolved_at": at,
        "resolved_by": {"login": "sec-team"},
    }


def _event(n, name, time, key=None, **params):
    event = {
        "eventTime": time,
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "eventID": f"evt-{n}",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/admin"},
        "requestParameters": params or None,
    }
    if key:
        event["userIdentity"]["accessKeyId"] = key
    return event


def _hash_id(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("ttr")
    alerts = [
        _alert(1, K1, "2026-01-01T00:00:00Z", **_resolved("revoked", "2026-01-03T12:00:00Z")),
        _alert(2, K2, "2026-01-01T00:00:00Z"),
        _alert(3, _token("t"), "2026-01-05T00:00:00Z"),
        _alert(4, _token("u"), "2026-02-01T00:00:00Z"),
        _alert(
            5,
            _token("v"),
            "2025-12-30T00:00:00Z",
            **_resolved("false_positive", "2026-01-02T00:00:00Z"),
        ),
        _alert(
            6,
            _token("w"),
            "2026-02-15T00:00:00Z",
            **_resolved("false_positive", "2026-03-15T00:00:00Z"),
        ),
        _alert(
            7, _token("x"), "2026-01-10T00:00:00Z", **_resolved("wont_fix", "2026-01-20T00:00:00Z")
        ),
        _alert(8, K8, "2026-02-20T00:00:00Z"),
    ]
    (root / "alerts.json").write_text(json.dumps(alerts))
    gitleaks = [
        {
            "Description": "GitHub token",
            "RuleID": "github-pat",
            "Secret": _token("t"),
            "Match": _token("t"),
            "File": "app/.env",
            "StartLine": 3,
            "Commit": "c" * 40,
            "Date": "2025-12-20T00:00:00Z",
            "Fingerprint": "f:1",
        }
    ]
    scan = root / "gitleaks.json"
    scan.write_text(json.dumps(gitleaks))
    scanned = datetime(2025, 12, 31, tzinfo=UTC).timestamp()
    os.utime(scan, (scanned, scanned))
    trail = [
        _event(1, "DeleteAccessKey", "2026-01-11T00:00:00Z", accessKeyId=K2),
        _event(2, "GetCallerIdentity", "2026-01-05T00:00:00Z", key=K1),  # K1 used after revoke
        _event(3, "GetCallerIdentity", "2026-01-12T00:00:00Z", key=K2),  # K2 used after delete
        _event(4, "DeleteAccessKey", "2026-03-10T00:00:00Z", accessKeyId=K8),  # after as-of
        # Not use of a remediated key: a call the key failed to make, and one after the as-of;
        # evt-5 is use, at the second of evt-3.
        _event(5, "GetCallerIdentity", "2026-01-12T00:00:00Z", key=K2),
        {**_event(6, "GetCallerIdentity", "2026-01-13T00:00:00Z", key=K2), "errorCode": "Denied"},
        _event(7, "GetCallerIdentity", "2026-03-05T00:00:00Z", key=K1),
    ]
    (root / "trail.json").write_text(json.dumps({"Records": trail}))
    with (root / "credentials.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["credential_id", "identity_id", "credential_type", "status", "revoked_at"])
        out.writerow([K1, "arn:aws:iam::111122223333:user/ci", "access_key", "active", ""])
        out.writerow(
            [_hash_id(_token("t")), "bot-release", "token", "revoked", "2026-01-06T00:00:00Z"]
        )
    db = root / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "ttr-key-0123456789abcdef")
        from analytics.ingest import ingest_paths

        # No --as-of: the scan report is dated by its modification time, as in real use.
        results = ingest_paths([str(root)], db=db)
    assert not any(r.failed for r in results)
    return db


@pytest.fixture
def con(world):
    connection = connect(world, read_only=True)
    yield connection
    connection.close()


def _by_alert(frame):
    out = {}
    for _, row in frame.iterrows():
        numbers = [
            int(part.rsplit("#", 1)[1])
            for part in row["finding_ids"].split()
            if part.startswith("github:")
        ]
        out[numbers[0]] = row
    return out


def test_each_secret_gets_its_start_end_and_evidence(con):
    rows = _by_alert(ttr.secrets(con, AS_OF))

    got = {
        n: (round(r["duration_days"], 4), bool(r["remediated"]), bool(r["excluded"]))
        for n, r in rows.items()
    }

    assert got == {
        1: (2.5, True, False),
        2: (10.0, True, False),
        3: (6.0, True, False),
        4: (28.0, False, False),
        5: (got[5][0], False, True),
        6: (14.0, False, False),
        7: (50.0, False, False),
        8: (9.0, False, False),
    }
    assert rows[1]["evidence"] == "alert resolved as revoked"
    assert rows[2]["evidence"] == "access key disabled or deleted (audit log)"
    assert rows[3]["evidence"] == "credential no longer active (inventory)"
    assert rows[3]["sources"] == "github-secret-scanning, gitleaks"


def test_headline_counts_and_shares_match_the_hand_computed_curve(con):
    values = ttr.headline(con, AS_OF)

    assert (
        values["ttr.population"],
        values["ttr.remediated"],
        values["ttr.censored"],
        values["ttr.excluded"],
    ) == (7, 3, 4, 1)
    assert values["ttr.median_days"] is None
    assert values["ttr.p90_days"] is None
    assert values["ttr.within_1d"] == 0.0
    assert values["ttr.within_7d"] == pytest.approx(2 / 7, abs=1e-6)
    assert values["ttr.within_30d"] == pytest.approx(13 / 28, abs=1e-6)


def test_an_as_of_in_the_past_ignores_everything_after_it(con):
    early = datetime(2026, 1, 4, tzinfo=UTC)

    rows = _by_alert_or_scan(ttr.secrets(con, early))
    values = ttr.headline(con, early)

    # Known on 01-04: alerts 1, 2, 5 and the gitleaks finding of token T (alert 3 is
    # created on 01-05). K2's deletion (01-11) and T's revocation (01-06) come later.
    assert (values["ttr.population"], values["ttr.remediated"], values["ttr.excluded"]) == (
        3,
        1,
        1,
    )
    assert {k: round(v, 4) for k, v in rows.items()} == {"1": 2.5, "2": 3.0, "gitleaks": 4.0}


def _by_alert_or_scan(frame):
    out = {}
    for _, row in frame[~frame["excluded"]].iterrows():
        first = row["finding_ids"].split()[0]
        key = first.rsplit("#", 1)[1] if first.startswith("github:") else "gitleaks"
        out[key] = row["duration_days"]
    return out


def test_revoked_alert_with_a_key_still_listed_active_and_in_use_fails(con):
    found, denominator = ttr.checks(con, AS_OF)["secret_resolved_but_credential_active"]

    assert denominator == 1
    [row] = found.to_dict("records")
    assert (row["status"], row["severity"], row["evidence"]) == ("fail", "critical", "evt-2")
    assert "made 1 successful calls afterwards" in row["reason"]
    assert "github:acme/app#1" in row["reason"]


def test_a_key_used_after_its_deletion_is_reported_with_the_events(con):
    found, denominator = ttr.checks(con, AS_OF)["secret_used_after_remediation"]

    assert denominator == 2
    statuses = dict(zip(found["subject_id"].map(lambda s: s), found["status"], strict=True))
    failing = found[found["status"] == "fail"].to_dict("records")
    assert len(statuses) == 2 and len(failing) == 2
    # Events at the same second are listed by id, so the evidence reads alike on every run.
    assert {r["evidence"] for r in failing} == {"evt-2", "evt-3 evt-5"}
    assert any("made 2 successful calls" in r["reason"] for r in failing)


def test_an_unknown_grouping_names_the_choices() -> None:
    frame = pd.DataFrame({"first_source": ["gitleaks"], "excluded": [False]})
    with pytest.raises(UsageError, match=r"'owners'.*source, secret_type, repository, owner"):
        ttr.breakdown(frame, "owners")
