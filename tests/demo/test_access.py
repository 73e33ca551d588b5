"""Privilege drift and credential use: the manifest's new sections, redone from the files.

Policies are expanded from the written authorization-details snapshots, uses from the
written CloudTrail records and credentials from ``credentials.csv``; nothing of the writer.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from itertools import pairwise
from pathlib import Path
from typing import Any

from tests.demo import files
from tests.demo.files import END

WINDOW = END - timedelta(days=90)


def _allow_actions(document: dict[str, Any]) -> set[str]:
    statements = document["Statement"]
    found = set()
    for statement in [statements] if isinstance(statements, dict) else statements:
        if statement["Effect"] == "Allow" and "Action" in statement:
            action = statement["Action"]
            found |= {a.lower() for a in ([action] if isinstance(action, str) else action)}
    return found


def _held(details: dict[str, Any]) -> dict[str, set[str]]:
    """Allow patterns per user and role: inline, attached managed, and through groups."""
    documents = {
        p["Arn"]: v["Document"]
        for p in details["Policies"]
        for v in p["PolicyVersionList"]
        if v["IsDefaultVersion"]
    }

    def reach(item: dict[str, Any], prefix: str) -> set[str]:
        inline = [p["PolicyDocument"] for p in item.get(f"{prefix}PolicyList", [])]
        managed = [documents[p["PolicyArn"]] for p in item["AttachedManagedPolicies"]]
        return set().union(*(_allow_actions(d) for d in inline + managed))

    groups = {g["GroupName"]: reach(g, "Group") for g in details["GroupDetailList"]}
    held = {r["Arn"]: reach(r, "Role") for r in details["RoleDetailList"]}
    for user in details["UserDetailList"]:
        held[user["Arn"]] = reach(user, "User").union(*(groups[g] for g in user["GroupList"]))
    return held


def _principal(record: dict[str, Any]) -> str | None:
    identity = record["userIdentity"]
    if identity["type"] == "AssumedRole":
        return identity["sessionContext"]["sessionIssuer"]["arn"]
    return identity.get("arn")


def _uses(out: Path) -> list[tuple[str, str, datetime]]:
    """(principal, service:action, time) of every record without an error."""
    return [
        (
            arn,
            f"{r['eventSource'].split('.')[0]}:{r['eventName']}",
            files.parse_time(r["eventTime"]),
        )
        for r in files.records(out)
        if "errorCode" not in r and (arn := _principal(r)) is not None
    ]


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    if any(
        ip in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ):
        return "private"
    return str(ipaddress.ip_network(f"{address}/24", strict=False))


def _in_window(out: Path, start: datetime = WINDOW) -> list[dict[str, Any]]:
    return [r for r in files.records(out) if files.parse_time(r["eventTime"]) >= start]


def _key_spread(records: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """AKIA keys seen from two or more workloads, and from two or more accounts."""
    workloads: dict[str, set[tuple[str, str]]] = {}
    accounts: dict[str, set[str]] = {}
    for record in records:
        key = record["userIdentity"].get("accessKeyId", "")
        if key.startswith("AKIA"):
            client = re.split(r"[/ ]", record["userAgent"], maxsplit=1)[0]
            place = (_network(record["sourceIPAddress"]), client)
            workloads.setdefault(key, set()).add(place)
            accounts.setdefault(key, set()).add(record["recipientAccountId"])
    shared = sorted(k for k, w in workloads.items() if len(w) > 1)
    return shared, sorted(k for k, a in accounts.items() if len(a) > 1)


def test_three_snapshots_are_written_oldest_first_and_all_differ(demo) -> None:
    out, manifest = demo
    snapshots = files.authorization_details(out)
    times = [files.mtime(p) for p, _ in snapshots]
    assert times == [END - timedelta(days=d) for d in (120, 60, 0)]
    assert manifest["privilege_snapshots"] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times]
    assert len({p.read_bytes() for p, _ in snapshots}) == 3


def test_privilege_drift_is_the_patterns_gained_and_lost_between_snapshots(demo) -> None:
    out, manifest = demo
    snapshots = files.authorization_details(out)
    held = [_held(details) for _, details in snapshots]
    expected = []
    for (old, new), (before, after) in zip(
        pairwise(held), pairwise(manifest["privilege_snapshots"]), strict=True
    ):
        both = set(old) & set(new)
        expected.append(
            {
                "from": before,
                "to": after,
                "added": {a: len(new[a] - old[a]) for a in sorted(both) if new[a] - old[a]},
                "removed": {a: len(old[a] - new[a]) for a in sorted(both) if old[a] - new[a]},
            }
        )
    assert manifest["privilege_drift"] == expected
    assert all(pair["added"] for pair in expected)
    assert any(pair["removed"] for pair in expected)


def test_grown_privileges_are_used_by_some_and_unused_by_others(demo) -> None:
    out, manifest = demo
    snapshots = files.authorization_details(out)
    times = [files.mtime(p) for p, _ in snapshots]
    held = [_held(details) for _, details in snapshots]
    uses = _uses(out)
    grew, unused = set(), set()
    for arn in set(held[0]) & set(held[-1]):
        gained = held[-1][arn] - held[0][arn]
        if not gained:
            continue
        grew.add(arn)
        shown = {
            p: next(t for t, h in zip(times, held, strict=True) if p in h.get(arn, ()))
            for p in gained
        }
        if not any(
            who == arn and when >= shown[p] and fnmatchcase(action.lower(), p)
            for who, action, when in uses
            for p in gained
        ):
            unused.add(arn)
    assert manifest["privilege_grew_unused"] == {"count": len(unused), "ids": sorted(unused)}
    assert unused and grew - unused, "both kinds are planted"


def test_no_identity_uses_a_pattern_before_a_snapshot_shows_it(demo) -> None:
    out, _ = demo
    snapshots = files.authorization_details(out)
    times = [files.mtime(p) for p, _ in snapshots]
    held = [_held(details) for _, details in snapshots]
    states = list(zip(times, held, strict=True))
    for who, action, when in _uses(out):
        for (_, old), (shown, new) in pairwise(states):
            gained = new.get(who, set()) - old.get(who, set())
            matched = any(fnmatchcase(action.lower(), p) for p in gained)
            previously = any(fnmatchcase(action.lower(), p) for p in old.get(who, set()))
            # A grant made between two snapshots is first visible in the later one.
            assert not (matched and not previously and when < shown), (who, action, when)


def test_shared_and_cross_environment_keys_are_counted_from_window_records(demo) -> None:
    out, manifest = demo
    shared, crossing = _key_spread(_in_window(out))
    assert manifest["credentials_shared"] == {"count": len(shared), "ids": shared}
    assert manifest["credentials_cross_environment"] == {"count": len(crossing), "ids": crossing}
    assert crossing
    planted = set(shared) - set(manifest["leaked_keys_used_after_leak"]["ids"])
    assert planted, "keys shared by their owners, not only by an outsider"


def test_human_use_of_non_human_users_is_found_and_admins_do_not_count(demo) -> None:
    out, manifest = demo
    _, identities = files.inventory(out, "identities")
    known = {r["identity_id"] for r in identities}
    found = set()
    for record in _in_window(out):
        identity = record["userIdentity"]
        attributes = identity.get("sessionContext", {}).get("attributes", {})
        if identity["type"] == "IAMUser" and (
            record["eventName"] == "ConsoleLogin"
            or record["userAgent"].startswith("Mozilla/")
            or attributes.get("mfaAuthenticated") == "true"
        ):
            found.add(identity["arn"])
    assert found - known, "the admins sign in too, and are no identities"
    planted = sorted(found & known)
    assert manifest["nhi_human_use"] == {"count": len(planted), "ids": planted}
    assert 2 <= len(planted) <= 4
    report = (out / "sources" / "iam" / "credential_report.csv").read_text().splitlines()
    rows = {row.split(",")[1]: row.split(",") for row in report[1:]}
    consoles = [a for a in planted if a in rows and rows[a][3] == "true"]
    assert consoles and all(rows[a][4] != "N/A" for a in consoles)
    _, credentials = files.inventory(out, "credentials")
    passwords = {c["identity_id"] for c in credentials if c["credential_type"] == "password"}
    assert passwords == set(consoles)


def test_credential_age_and_use_are_counted_from_the_inventory_and_the_log(demo) -> None:
    out, manifest = demo
    _, credentials = files.inventory(out, "credentials")
    last: dict[str, datetime] = {}
    for record in files.records(out):
        key, when = (
            record["userIdentity"].get("accessKeyId"),
            files.parse_time(record["eventTime"]),
        )
        if key:
            last[key] = max(last.get(key, when), when)
    dormant, stale, old = [], [], []
    active = [c for c in credentials if c["status"] == "active"]
    for cred in (c for c in active if c["credential_type"] != "password"):
        created = files.parse_time(cred["created_at"])
        uses = [files.parse_time(cred["last_used_at"])] if cred["last_used_at"] else []
        uses += [last[cred["credential_id"]]] if cred["credential_id"] in last else []
        if created < WINDOW and (not uses or max(uses) < WINDOW):
            dormant.append(cred["credential_id"])
        rotated = files.parse_time(cred["last_rotated_at"]) if cred["last_rotated_at"] else created
        if max(created, rotated) < WINDOW:
            stale.append(cred["credential_id"])
        if created < END - timedelta(days=365):
            old.append(cred["credential_id"])
    for key, ids in (
        ("credentials_dormant_90d", dormant),
        ("credentials_not_rotated_90d", stale),
        ("credentials_long_lived_365d", old),
    ):
        assert manifest[key] == {"count": len(ids), "ids": sorted(ids)} and ids, key


def test_no_time_that_decides_a_plant_lies_within_a_day_of_a_cutoff(demo) -> None:
    out, _ = demo
    _, credentials = files.inventory(out, "credentials")
    times = [
        files.parse_time(c[f])
        for c in credentials
        if c["status"] == "active"
        for f in ("created_at", "last_rotated_at", "last_used_at")
        if c[f]
    ]
    for days in (90, 365):
        cutoff = END - timedelta(days=days)
        assert not [t for t in times if cutoff - timedelta(days=1) <= t <= cutoff], days
    # An as-of a day earlier moves the window a day back: the same keys spread.
    assert _key_spread(_in_window(out, WINDOW - timedelta(days=1))) == _key_spread(
        _in_window(out, WINDOW)
    )
