"""Manifest sections on privilege drift and credential use, counted from the written files.

Privilege sections read the authorization-details documents as written (policies expanded
as ``analytics.ingest.aws_authorization_details`` expands them); credential sections read
the rows of ``credentials.csv`` and what the CloudTrail writer recorded
(:class:`~analytics.demo.trailstats.TrailStats`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from itertools import pairwise
from typing import Any

from analytics.demo import fake
from analytics.demo.inventory import Row
from analytics.demo.trailstats import TrailStats

Snapshot = tuple[datetime, dict[str, Any]]


def _ids(values: list[str] | set[str]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"count": len(ordered), "ids": ordered}


def _allowed(document: dict[str, Any]) -> set[str]:
    """Lower-cased ``Action`` patterns of the Allow statements of a policy document."""
    statements = document.get("Statement") or []
    found = set()
    for statement in [statements] if isinstance(statements, dict) else statements:
        if statement.get("Effect", "Allow") != "Allow" or "Action" not in statement:
            continue
        actions = statement["Action"]
        found |= {a.lower() for a in ([actions] if isinstance(actions, str) else actions)}
    return found


def patterns(details: dict[str, Any]) -> dict[str, set[str]]:
    """Allow action patterns of every user and role: inline, attached, through groups."""
    managed = {
        p["Arn"]: next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
        for p in details["Policies"]
    }

    def reach(item: dict[str, Any], prefix: str) -> set[str]:
        found = set()
        for inline in item.get(f"{prefix}PolicyList") or []:
            found |= _allowed(inline["PolicyDocument"])
        for attached in item.get("AttachedManagedPolicies") or []:
            found |= _allowed(managed[attached["PolicyArn"]])
        return found

    groups = {g["GroupName"]: reach(g, "Group") for g in details["GroupDetailList"]}
    held = {}
    for user in details["UserDetailList"]:
        held[user["Arn"]] = reach(user, "User").union(*(groups[g] for g in user["GroupList"]))
    for role in details["RoleDetailList"]:
        held[role["Arn"]] = reach(role, "Role")
    return held


def privilege_sections(snapshots: list[Snapshot], stats: TrailStats) -> dict[str, Any]:
    """``privilege_snapshots``, ``privilege_drift`` and ``privilege_grew_unused``.

    Drift is counted for identities listed in both snapshots of a pair: one created in
    between has no earlier state to drift from.
    """
    held = [(at, patterns(details)) for at, details in snapshots]
    drift = []
    for (before, old), (after, new) in pairwise(held):
        both = sorted(set(old) & set(new))
        added = {arn: len(new[arn] - old[arn]) for arn in both if new[arn] - old[arn]}
        removed = {arn: len(old[arn] - new[arn]) for arn in both if old[arn] - new[arn]}
        drift.append(
            {
                "from": fake.iso_z(before),
                "to": fake.iso_z(after),
                "added": added,
                "removed": removed,
            }
        )
    first, last = held[0][1], held[-1][1]
    unused = []
    for arn in sorted(set(first) & set(last)):
        gained = last[arn] - first[arn]
        if not gained:
            continue
        used = False
        for pattern in gained:
            shown = next(
                at for at, state in held if pattern in state.get(arn, set()) and at > held[0][0]
            )
            since = int(shown.timestamp())
            used = used or any(
                principal == arn and moment >= since and fnmatchcase(action, pattern)
                for (principal, action), moment in stats.action_last.items()
            )
        if not used:
            unused.append(arn)
    return {
        "privilege_snapshots": [fake.iso_z(at) for at, _ in snapshots],
        "privilege_drift": drift,
        "privilege_grew_unused": _ids(unused),
    }


def credential_sections(
    end: datetime, credentials: list[Row], stats: TrailStats, identity_ids: set[str]
) -> dict[str, Any]:
    """Credential age, rotation, use, sharing and human use, for the 90 days before ``end``.

    Console passwords are left out of age, rotation and use: a password is a person's way
    in, which ``nhi_human_use`` reports.
    """
    window = end - timedelta(days=90)
    active = [
        c for c in credentials if c["status"] == "active" and c["credential_type"] != "password"
    ]
    dormant, stale, old = [], [], []
    for cred in active:
        created = datetime.fromisoformat(cred["created_at"])
        uses = [datetime.fromisoformat(cred["last_used_at"])] if cred["last_used_at"] else []
        if cred["credential_id"] in stats.key_last:
            uses.append(fake.from_epoch(stats.key_last[cred["credential_id"]]))
        if created < window and (not uses or max(uses) < window):
            dormant.append(cred["credential_id"])
        rotated = cred["last_rotated_at"]
        if max(created, datetime.fromisoformat(rotated) if rotated else created) < window:
            stale.append(cred["credential_id"])
        if created < end - timedelta(days=365):
            old.append(cred["credential_id"])
    return {
        "credentials_dormant_90d": _ids(dormant),
        "credentials_not_rotated_90d": _ids(stale),
        "credentials_long_lived_365d": _ids(old),
        "credentials_shared": _ids([k for k, w in stats.key_workloads.items() if len(w) > 1]),
        "credentials_cross_environment": _ids(
            [k for k, accounts in stats.key_accounts.items() if len(accounts) > 1]
        ),
        "nhi_human_use": _ids(stats.person_like & identity_ids),
    }
