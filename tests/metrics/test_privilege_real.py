"""Privilege metrics on the real samples in ../shared, checked against counts made here.

The CloudTrail of Stratus Red Team detonations and of the flaws2 CTF account, and the
cloudsplaining lab account's authorization details, are read with nothing but ``json``: the
used actions per principal and the admin-equivalent identities are counted independently of
the warehouse and its SQL.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.metrics import privilege
from analytics.warehouse import connect

pytestmark = pytest.mark.shared
# CloudTrail's event source, where it is not the IAM prefix of the action.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}


def _records(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    document = json.loads(raw)
    return document["Records"] if isinstance(document, dict) else document


def _used_by_hand(paths: list[Path]) -> dict[str, set[str]]:
    """Successful calls per principal: the user's ARN, or the role or user that issued the
    session (an assumed role's, or a federation token's)."""
    used: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        for record in _records(path):
            if record.get("errorCode"):
                continue
            who = record["userIdentity"]
            if who.get("type") == "IAMUser":
                principal = who["arn"]
            elif who.get("type") in ("AssumedRole", "FederatedUser"):
                principal = who["sessionContext"]["sessionIssuer"]["arn"]
            else:
                continue
            service = record["eventSource"].split(".")[0]
            action = f"{IAM_PREFIX.get(service, service)}:{record['eventName']}".lower()
            used[principal].add(action)
    return dict(used)


def test_used_actions_per_principal_match_a_count_of_the_raw_trails(real: Path, load, db) -> None:
    paths = sorted((real / "aws_cloudtrail_stratus_red_team").glob("*.json"))
    paths += sorted((real / "aws_cloudtrail_flaws2").glob("*.json.gz"))
    assert all(r.status == "loaded" for r in load(*paths))
    con = connect(db, read_only=True)
    try:
        privilege.prepare(
            con, datetime(2030, 1, 1, tzinfo=UTC), privilege.Thresholds(window_days=36500)
        )
        rows = con.execute(
            "select identity_id, action from privilege_used where identity_id like 'arn:%'"
        ).fetchall()
    finally:
        con.close()
    from_warehouse: dict[str, set[str]] = defaultdict(set)
    for principal, action in rows:
        from_warehouse[principal].add(action)
    expected = _used_by_hand(paths)
    assert len(expected) >= 5  # several users and roles: the comparison means something
    assert dict(from_warehouse) == expected


def _allows_everything(statement: dict) -> bool:
    def as_list(value: object) -> list[str]:
        return value if isinstance(value, list) else [value]

    return (
        statement.get("Effect") == "Allow"
        and any(a in ("*", "*:*") for a in as_list(statement.get("Action", [])))
        and "*" in as_list(statement.get("Resource", []))
    )


def _admin_by_hand(document: dict) -> tuple[set[str], int]:
    """Users and roles that an Allow of every action on every resource reaches, and how
    many users and roles any policy reaches."""
    defaults = {
        p["Arn"]: next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
        for p in document["Policies"]
    }

    def statements(doc: dict | str) -> list[dict]:
        parsed = json.loads(doc) if isinstance(doc, str) else doc
        found = parsed.get("Statement", [])
        return found if isinstance(found, list) else [found]

    def admin(inline: list[dict], managed: list[dict]) -> bool:
        documents = [p["PolicyDocument"] for p in inline]
        documents += [defaults[m["PolicyArn"]] for m in managed if m["PolicyArn"] in defaults]
        return any(_allows_everything(s) for d in documents for s in statements(d))

    def policies(item: dict, inline: str) -> int:
        return len(item.get(inline, [])) + len(item.get("AttachedManagedPolicies", []))

    groups = {
        g["GroupName"]: admin(g.get("GroupPolicyList", []), g.get("AttachedManagedPolicies", []))
        for g in document["GroupDetailList"]
    }
    group_policies = {
        g["GroupName"]: policies(g, "GroupPolicyList") for g in document["GroupDetailList"]
    }
    holders = sum(
        1
        for u in document["UserDetailList"]
        if policies(u, "UserPolicyList")
        + sum(group_policies.get(g, 0) for g in u.get("GroupList", []))
    ) + sum(1 for r in document["RoleDetailList"] if policies(r, "RolePolicyList"))
    found = {
        u["Arn"]
        for u in document["UserDetailList"]
        if admin(u.get("UserPolicyList", []), u.get("AttachedManagedPolicies", []))
        or any(groups.get(g) for g in u.get("GroupList", []))
    }
    found |= {
        r["Arn"]
        for r in document["RoleDetailList"]
        if admin(r.get("RolePolicyList", []), r.get("AttachedManagedPolicies", []))
    }
    return found, holders


def test_admin_equivalent_identities_match_a_reading_of_the_policies(real: Path, load, db) -> None:
    path = (
        real
        / "aws_iam_account_authorization_details"
        / "cloudsplaining_example.authz_details.json.gz"
    )
    assert all(r.status == "loaded" for r in load(path))
    expected, holders = _admin_by_hand(json.loads(gzip.decompress(path.read_bytes())))
    con = connect(db, read_only=True)
    try:
        results = privilege.checks(
            con, datetime(2030, 1, 1, tzinfo=UTC), only=("identity_admin_equivalent",)
        )
    finally:
        con.close()
    rows, judged = results["identity_admin_equivalent"]
    assert judged == holders
    assert set(rows.loc[rows["status"] == "fail", "subject_id"]) == expected
    assert len(expected) > 0
