"""Privilege and standing-access checks over a small hand-built world, counted by hand.

Prod account P has two authorization-details snapshots (2025-11-01 and 2026-01-15); dev
account D has none, so its user's grants come from the inventory. As of 2026-03-01 with a
90-day window (from 2025-12-01):

Known AWS actions (events of any outcome, and literal grants in force): s3:getobject,
s3:listbuckets, s3:getbucketpolicy, sqs:sendmessage, signin:consolelogin, dynamodb:getitem,
ec2:describeinstances, sts:getcalleridentity, cloudwatch:getmetricdata: 9.

- svc-a: s3:Get*, sqs:SendMessage, cloudwatch:GetMetricData and ec2:*, less a Deny of
  s3:GetBucketPolicy: 4 granted; used s3:getobject and cloudwatch:getmetricdata (logged as
  monitoring); ec2 and sqs never used (its sqs call was denied).
- svc-b: * on * (AdministratorAccess): all 9; used s3:listbuckets and signin:consolelogin;
  cloudwatch, dynamodb, ec2, sqs and sts never used.
- role-c: s3:GetObject and dynamodb:GetItem: 2, both used by its sessions.
- svc-d: the inventory's s3:List* (its JIT grant and a revoked grant left out): 1, used.

So 16 granted actions, 9 unused: privilege.unused_share = 0.5625. Drift from snapshot 1 to 2:
svc-a gained ec2:* and never called EC2 (fail), role-c gained dynamodb:GetItem and used it
(pass), svc-b lost kms:Decrypt (pass); svc-old is only in snapshot 1 (not judged).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.ingest import ingest_paths
from analytics.metrics import headline, privilege
from analytics.metrics.checks import STATUSES
from analytics.warehouse import connect

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
P, D = "111122223333", "444455556666"
SVC_A, SVC_B, ROLE_C = (
    f"arn:aws:iam::{P}:user/svc-a",
    f"arn:aws:iam::{P}:user/svc-b",
    f"arn:aws:iam::{P}:role/role-c",
)
SVC_D, SVC_OLD = f"arn:aws:iam::{D}:user/svc-d", f"arn:aws:iam::{P}:user/svc-old"
K_A, K_B, K_D = "AKIATESTPRIVAAAAAAAA", "AKIATESTPRIVBBBBBBBB", "AKIATESTPRIVDDDDDDDD"
K_E, K_OLD, T_A = "AKIATESTPRIVEEEEEEEE", "AKIATESTPRIVOOOOOOOO", "sha256:00aa11bb22cc33dd"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _statement(actions: list[str], effect: str = "Allow") -> dict:
    return {"Effect": effect, "Action": actions, "Resource": "*"}


def _user(name: str, inline: list[dict], managed: tuple[str, ...] = ()) -> dict:
    return {
        "UserName": name,
        "UserId": f"AIDA{name.upper():0<17}"[:21],
        "Arn": f"arn:aws:iam::{P}:user/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "GroupList": [],
        "UserPolicyList": [
            {"PolicyName": f"inline-{i}", "PolicyDocument": {"Statement": [s]}}
            for i, s in enumerate(inline)
        ],
        "AttachedManagedPolicies": [
            {"PolicyName": "AdministratorAccess", "PolicyArn": arn} for arn in managed
        ],
    }


def _role(actions: list[str]) -> dict:
    return {
        "RoleName": "role-c",
        "RoleId": "AROAROLECROLECROLEC00",
        "Arn": ROLE_C,
        "CreateDate": "2024-01-01T00:00:00Z",
        "RolePolicyList": [
            {"PolicyName": "inline-0", "PolicyDocument": {"Statement": [_statement(actions)]}}
        ],
        "AttachedManagedPolicies": [],
    }


def _snapshot(users: list[dict], role: dict) -> dict:
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return {
        "UserDetailList": users,
        "GroupDetailList": [],
        "RoleDetailList": [role],
        "Policies": [
            {
                "PolicyName": "AdministratorAccess",
                "Arn": ADMIN,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {"Document": admin, "VersionId": "v1", "IsDefaultVersion": True}
                ],
            }
        ],
    }


def _event(n: int, time: str, source: str, name: str, who: dict, **extra) -> dict:
    event = {
        "eventVersion": "1.08",
        "eventTime": time,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "eventID": f"priv-{n}",
        "awsRegion": "us-east-1",
        "recipientAccountId": P,
        "userIdentity": who,
        "sourceIPAddress": "203.0.113.5",
        "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0",
    }
    event.update(extra)
    return event


def _user_identity(arn: str, key: str | None = None) -> dict:
    account = arn.split(":")[4]
    who = {"type": "IAMUser", "arn": arn, "accountId": account, "userName": arn.split("/")[-1]}
    if key:
        who["accessKeyId"] = key
    return who


ROLE_SESSION = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{P}:assumed-role/role-c/task",
    "accountId": P,
    "accessKeyId": "ASIATESTPRIVCCCCCCCC",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "arn": ROLE_C, "accountId": P, "userName": "role-c"},
        "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-01-01T00:00:00Z"},
    },
}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def _events() -> list[dict]:
    a, b, d = _user_identity(SVC_A, K_A), _user_identity(SVC_B, K_B), _user_identity(SVC_D, K_D)
    return [
        _event(1, "2026-01-20T00:00:00Z", "s3", "GetObject", a),
        _event(2, "2026-02-20T00:00:00Z", "s3", "GetObject", a, sourceIPAddress="203.0.113.9"),
        _event(
            3,
            "2026-02-21T00:00:00Z",
            "sqs",
            "SendMessage",
            a,
            errorCode="AccessDenied",
            sourceIPAddress="10.0.0.5",
            userAgent="aws-cli/2.15.0 Python/3.11",
        ),
        _event(
            4,
            "2026-02-05T00:00:00Z",
            "signin",
            "ConsoleLogin",
            _user_identity(SVC_B),
            userAgent=BROWSER,
            responseElements={"ConsoleLogin": "Success"},
        ),
        _event(5, "2026-02-10T00:00:00Z", "s3", "ListBuckets", b, userAgent=BROWSER),
        _event(
            6,
            "2026-02-01T00:00:00Z",
            "dynamodb",
            "GetItem",
            ROLE_SESSION,
            sourceIPAddress="10.1.2.3",
        ),
        _event(7, "2026-01-02T00:00:00Z", "s3", "GetObject", ROLE_SESSION),
        _event(
            8,
            "2026-01-03T00:00:00Z",
            "ec2",
            "DescribeInstances",
            ROLE_SESSION,
            errorCode="Client.UnauthorizedOperation",
        ),
        _event(
            9,
            "2026-02-02T00:00:00Z",
            "s3",
            "ListBuckets",
            d,
            recipientAccountId=D,
            sourceIPAddress="192.0.2.10",
            userAgent="aws-cli/2.15.0",
        ),
        _event(
            10,
            "2026-02-03T00:00:00Z",
            "sts",
            "GetCallerIdentity",
            d,
            sourceIPAddress="192.0.2.11",
            userAgent="aws-cli/2.15.0",
        ),
        _event(11, "2025-10-01T00:00:00Z", "s3", "GetObject", _user_identity(SVC_OLD, K_OLD)),
        _event(12, "2026-02-22T00:00:00Z", "monitoring", "GetMetricData", a),
    ]


def _csv(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _write_world(root: Path) -> None:
    first = _snapshot(
        [
            _user(
                "svc-a", [_statement(["s3:Get*", "sqs:SendMessage", "cloudwatch:GetMetricData"])]
            ),
            _user("svc-b", [_statement(["kms:Decrypt"])], (ADMIN,)),
            _user("svc-old", [_statement(["s3:GetObject"])]),
        ],
        _role(["s3:GetObject"]),
    )
    second = _snapshot(
        [
            _user(
                "svc-a",
                [
                    _statement(["s3:Get*", "sqs:SendMessage", "cloudwatch:GetMetricData"]),
                    _statement(["ec2:*"]),
                    _statement(["s3:GetBucketPolicy"], effect="Deny"),
                ],
            ),
            _user("svc-b", [], (ADMIN,)),
        ],
        _role(["s3:GetObject", "dynamodb:GetItem"]),
    )
    for name, document, taken in (
        ("authz-1.json", first, datetime(2025, 11, 1, tzinfo=UTC)),
        ("authz-2.json", second, datetime(2026, 1, 15, tzinfo=UTC)),
    ):
        path = root / name
        path.write_text(json.dumps(document), encoding="utf-8")
        os.utime(path, (taken.timestamp(), taken.timestamp()))
    (root / "trail.json").write_text(json.dumps({"Records": _events()}), encoding="utf-8")
    inventory = root / "inventory"
    inventory.mkdir()
    _csv(
        inventory / "identities.csv",
        "identity_id,name,kind,provider,account,environment,owner_id,team,created_at,status",
        [
            f"{SVC_A},svc-a,service_account,aws,{P},prod,P1,data,2024-01-01,active",
            f"{SVC_B},svc-b,bot,aws,{P},prod,P2,ops,2024-06-01,active",
            f"{ROLE_C},role-c,iam_role,aws,{P},prod,P1,data,2024-03-01,active",
            f"{SVC_D},svc-d,service_account,aws,{D},dev,P3,web,2025-06-01,active",
            f"{SVC_OLD},svc-old,service_account,aws,{P},prod,P2,ops,2024-01-01,active",
        ],
    )
    _csv(
        inventory / "credentials.csv",
        "credential_id,identity_id,credential_type,provider,created_at,expires_at,"
        "last_rotated_at,last_used_at,status,revoked_at",
        [
            f"{K_A},{SVC_A},access_key,aws,2025-01-01,,,2025-06-01,active,",
            f"{T_A},{SVC_A},api_key,acme,2025-10-01,,2026-01-01,2025-11-01,active,",
            f"{K_B},{SVC_B},access_key,aws,2025-11-15,,,,active,",
            f"{K_D},{SVC_D},access_key,aws,2025-12-20,,,,active,",
            f"{K_E},{SVC_OLD},access_key,aws,2024-05-01,,,2025-08-01,revoked,2026-03-10",
            f"{K_OLD},{SVC_OLD},access_key,aws,2024-01-01,,,2025-10-01,revoked,2026-02-01",
        ],
    )
    _csv(
        inventory / "grants.csv",
        "grant_id,identity_id,permission,resource,grant_type,granted_at,expires_at,revoked_at,"
        "task_id,granted_by",
        [
            f"G1,{SVC_D},s3:List*,*,standing,2025-06-01,,,,terraform",
            f"G2,{SVC_D},ec2:*,*,jit,2026-02-01,2026-02-02,,T-1,broker",
            f"G3,{SVC_D},dynamodb:*,*,standing,2025-06-01,,2026-01-01,,terraform",
            f"G4,{SVC_A},iam:*,*,standing,2025-06-01,,,,terraform",
        ],
    )
    _csv(
        inventory / "directory.csv",
        "person_id,name,email,team,employment_status,left_at",
        ["P1,Ana,ana@example.com,data,active,", "P2,Bo,bo@example.com,ops,left,2026-01-10"],
    )


def build_warehouse(root: Path) -> Path:
    """Write the world under ``root`` and load it; the inventory is a snapshot of 02-28."""
    _write_world(root)
    db = root / "warehouse.duckdb"
    snapshot_of_inventory = datetime(2026, 2, 28, tzinfo=UTC)
    results = ingest_paths([str(root / "authz-1.json"), str(root / "authz-2.json")], db=db)
    results += ingest_paths([str(root / "trail.json")], db=db)
    results += ingest_paths([str(root / "inventory")], db=db, as_of=snapshot_of_inventory)
    assert [r.status for r in results] == ["loaded"] * len(results)
    return db


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("privilege"))


@pytest.fixture
def con(warehouse: Path):
    con = connect(warehouse, read_only=True)
    yield con
    con.close()


def _failing(results: dict, check_id: str) -> set[str]:
    rows, _ = results[check_id]
    return set(rows.loc[rows["status"] == "fail", "subject_id"])


def _status(results: dict, check_id: str) -> dict[str, str]:
    rows, _ = results[check_id]
    return dict(zip(rows["subject_id"], rows["status"], strict=True))


def test_granted_actions_expand_wildcards_and_honour_deny(con) -> None:
    privilege.prepare(con, AS_OF)
    granted = con.execute(
        "select identity_id, list(action order by action) from privilege_granted group by 1"
    ).fetchall()
    assert dict(granted) == {
        SVC_A: [
            "cloudwatch:getmetricdata",
            "ec2:describeinstances",
            "s3:getobject",
            "sqs:sendmessage",
        ],
        SVC_B: sorted(
            [
                "s3:getobject",
                "s3:listbuckets",
                "s3:getbucketpolicy",
                "sqs:sendmessage",
                "signin:consolelogin",
                "dynamodb:getitem",
                "ec2:describeinstances",
                "sts:getcalleridentity",
                "cloudwatch:getmetricdata",
            ]
        ),
        ROLE_C: ["dynamodb:getitem", "s3:getobject"],
        SVC_D: ["s3:listbuckets"],
    }


def test_unused_permissions_per_identity_match_the_hand_count(con) -> None:
    privilege.prepare(con, AS_OF)
    frame = privilege.identities(con).set_index("identity_id")
    assert frame.loc[SVC_A, ["granted_actions", "used_actions"]].tolist() == [4, 2]
    assert list(frame.loc[SVC_A, "unused_services"]) == ["ec2", "sqs"]
    assert frame.loc[SVC_B, ["granted_actions", "used_actions"]].tolist() == [9, 2]
    assert list(frame.loc[SVC_B, "unused_services"]) == [
        "cloudwatch",
        "dynamodb",
        "ec2",
        "sqs",
        "sts",
    ]
    assert frame.loc[ROLE_C, "unused_actions"] == 0 and frame.loc[SVC_D, "unused_actions"] == 0
    results = privilege.checks(con, AS_OF)
    assert _status(results, "identity_permissions_unused") == {
        SVC_A: "fail",
        SVC_B: "fail",
        ROLE_C: "pass",
        SVC_D: "pass",
    }
    assert _failing(results, "identity_admin_equivalent") == {SVC_B}


def test_headline_counts_match_the_hand_count(con) -> None:
    values = headline(con, AS_OF)
    assert values["privilege.identities"] == 4
    assert values["privilege.granted_actions"] == 16
    assert values["privilege.unused_share"] == pytest.approx(9 / 16)
    assert values["privilege.admin_equivalent"] == 1
    assert values["privilege.grew_unused"] == 1
    assert values["credentials.dormant_90d"] == 2
    assert values["credentials.long_lived_365d"] == 2
    assert values["credentials.not_rotated_90d"] == 3
    assert values["credentials.shared"] == 1
    assert values["credentials.cross_environment"] == 1
    assert values["identities.dormant_90d"] == 1
    assert values["identities.owner_offboarded"] == 2
    assert values["identities.human_use"] == 1


def test_drift_fails_only_growth_that_was_never_used(con) -> None:
    results = privilege.checks(con, AS_OF)
    assert _status(results, "identity_privilege_drift") == {
        SVC_A: "fail",
        SVC_B: "pass",
        ROLE_C: "pass",
    }
    series = privilege.drift_series(con)
    changes = {
        row.identity_id: (row.added, row.removed, list(row.added_permissions))
        for row in series.itertuples()
    }
    assert changes == {
        SVC_A: (1, 0, ["ec2:*"]),
        ROLE_C: (1, 0, ["dynamodb:getitem"]),
        SVC_B: (0, 1, []),
    }


def test_credential_checks_match_the_hand_count(con) -> None:
    results = privilege.checks(con, AS_OF)
    assert _failing(results, "credential_dormant_90d") == {T_A, K_E}
    assert results["credential_dormant_90d"][1] == 4  # K_D is younger than 90 days
    assert _failing(results, "credential_long_lived_365d") == {K_A, K_E}
    assert _failing(results, "credential_not_rotated_90d") == {K_A, K_B, K_E}
    assert _failing(results, "credential_shared") == {K_A}
    assert _failing(results, "credential_cross_environment") == {K_D}
    shared = results["credential_shared"][0].set_index("subject_id")
    assert shared.loc[K_A, "evidence"] == "203.0.113.0/24 Boto3; private aws-cli"


def test_identity_checks_match_the_hand_count(con) -> None:
    results = privilege.checks(con, AS_OF)
    assert _failing(results, "identity_dormant_90d") == {SVC_OLD}
    assert _status(results, "identity_owner_offboarded") == {
        SVC_A: "pass",
        SVC_B: "fail",
        ROLE_C: "pass",
        SVC_D: "unknown",
        SVC_OLD: "fail",
    }
    human = results["nhi_human_use"][0].set_index("subject_id")
    assert set(human.index[human["status"] == "fail"]) == {SVC_B}
    assert human.loc[SVC_B, "evidence"] == "priv-4 priv-5"


def test_every_denominator_counts_the_rows_that_pass_or_fail(con) -> None:
    results = privilege.checks(con, AS_OF)
    for check_id, (rows, judged) in results.items():
        assert set(rows["status"]) <= set(STATUSES), check_id
        assert judged == rows["status"].isin(("pass", "fail")).sum(), check_id


def test_a_past_as_of_ignores_later_snapshots_events_and_revocations(con) -> None:
    before_second = datetime(2026, 1, 1, tzinfo=UTC)
    results = privilege.checks(con, before_second)
    assert set(_status(results, "identity_privilege_drift").values()) == {"unknown"}
    privilege.prepare(con, before_second)
    granted = dict(
        con.execute(
            "select identity_id, list(permission order by permission) from privilege_grants "
            "where identity_id = ? group by 1",
            [SVC_A],
        ).fetchall()
    )
    assert granted[SVC_A] == ["cloudwatch:getmetricdata", "s3:get*", "sqs:sendmessage"]
    assert _failing(results, "credential_shared") == set()
    after_revocation = privilege.checks(con, datetime(2026, 3, 15, tzinfo=UTC))
    assert _status(after_revocation, "identity_owner_offboarded")[SVC_OLD] == "pass"


def test_restricting_to_an_owner_keeps_their_identities_only(con) -> None:
    results = privilege.checks(con, AS_OF)
    ops = privilege.restrict(results, privilege.scope(con, owner="ops"))
    rows, judged = ops["identity_owner_offboarded"]
    assert set(rows["identity_id"]) == {SVC_B, SVC_OLD} and judged == 2
    assert privilege.scope(con, account=D) == {SVC_D}
    assert privilege.restrict(results, None) is results
    # The page's frames narrow the same way.
    assert list(privilege.identities(con, {SVC_B, SVC_OLD})["identity_id"]) == [SVC_B]
    assert set(privilege.credential_ages(con, {SVC_A})["credential_id"]) == {K_A, T_A}
    assert set(privilege.drift_series(con, {ROLE_C})["identity_id"]) == {ROLE_C}


def test_top_identities_rank_by_weighted_failures(con) -> None:
    top = privilege.top_identities(privilege.checks(con, AS_OF))
    # svc-b: unused (high 4) + admin (high 4) + not rotated (medium 2) + offboarded (high 4)
    # + human use (high 4) = 18
    assert top.iloc[0]["identity_id"] == SVC_B and top.iloc[0]["score"] == 18
