"""Manifest sections on AI agents, their grants and sandboxes, counted from the written files.

Reads the tool-gateway lines and sandbox documents as written, the rows of
``identities.csv``, ``credentials.csv`` and ``grants.csv``, and, to trace an AWS key that
no inventory lists, the IAM user CloudTrail shows using it. Definitions are in
``docs/demo-data.md``; every time is compared at ``end``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from itertools import pairwise
from typing import Any

from analytics.demo.inventory import Row

GRACE = timedelta(hours=1)
REVIEW_EVERY = timedelta(days=90)
PRODUCTION = ("prod", "production")


def _ids(values: list[str] | set[str]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"count": len(ordered), "ids": ordered}


def _at(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _end(row: Row) -> datetime | None:
    """When a grant or credential stopped working: the earlier of expiry and revocation."""
    ends = [t for t in (_at(row["expires_at"]), _at(row["revoked_at"])) if t is not None]
    return min(ends) if ends else None


def _valid_under_grant(call: dict[str, Any], jit: dict[str, Row]) -> bool:
    """Whether the call's grant is a JIT grant of this agent, for this task, valid then."""
    grant = jit.get(call.get("grant_id", ""))
    if grant is None:
        return False
    moment = datetime.fromisoformat(call["time"])
    granted, end = _at(grant["granted_at"]), _end(grant)
    return (
        grant["identity_id"] == call["agent_id"]
        and grant["task_id"] == call.get("task_id", "")
        and (granted is None or granted <= moment)
        and (end is None or moment < end)
    )


def _grant_sections(end: datetime, calls: list[dict[str, Any]], jit: list[Row]) -> dict[str, Any]:
    """``grants_outliving_task`` and ``standing_privilege_hours``."""
    last: dict[str, datetime] = {}
    for call in calls:
        if call.get("task_id"):
            moment = datetime.fromisoformat(call["time"])
            last[call["task_id"]] = max(last.get(call["task_id"], moment), moment)
    outliving, hours = [], 0.0
    for grant in jit:
        if datetime.fromisoformat(grant["granted_at"]) >= end:
            continue
        stop = _end(grant)
        finished = last.get(grant["task_id"])
        if stop is None or (finished is not None and stop > finished + GRACE):
            outliving.append(grant["grant_id"])
        if finished is not None:
            span = (min(stop or end, end) - finished).total_seconds() / 3600
            hours += max(span, 0.0)
    return {
        "grants_outliving_task": _ids(outliving),
        "standing_privilege_hours": round(hours, 2),
    }


def _egress(calls: list[dict[str, Any]], sandboxes: list[dict[str, Any]]) -> list[str]:
    """Allowed calls to a host that the call's sandbox (else the agent's) does not allow."""
    allow = {s["sandbox_id"]: [p.lower() for p in s["egress"]["allow"]] for s in sandboxes}
    listing: dict[str, str] = {}
    for sandbox in sorted(sandboxes, key=lambda s: s["sandbox_id"]):
        for agent in sandbox.get("agents", []):
            listing.setdefault(agent, sandbox["sandbox_id"])
    found = []
    for call in calls:
        host = call.get("target_host", "").lower()
        sandbox = call.get("sandbox_id") or listing.get(call["agent_id"])
        if call["decision"] != "allowed" or not host or sandbox not in allow:
            continue
        if not any(fnmatchcase(host, pattern) for pattern in allow[sandbox]):
            found.append(call["call_id"])
    return found


def _reads_production(sandbox: dict[str, Any]) -> bool:
    if sandbox.get("environment") == "prod":
        return True
    return any(str(s).split("/")[0].lower() in PRODUCTION for s in sandbox.get("secrets", []))


def _inherited(
    calls: list[dict[str, Any]], credentials: list[Row], key_users: dict[str, str]
) -> list[str]:
    """``agent|credential`` pairs of allowed calls whose credential belongs to another."""
    owners = {c["credential_id"]: c["identity_id"] for c in credentials}
    pairs = set()
    for call in calls:
        credential = call.get("credential_id", "")
        if call["decision"] != "allowed" or not credential:
            continue
        owner = owners.get(credential) or key_users.get(credential)
        if owner is not None and owner != call["agent_id"]:
            pairs.add(f"{call['agent_id']}|{credential}")
    return sorted(pairs)


def _missed_by_review(end: datetime, rows: dict[str, list[Row]]) -> list[str]:
    """Grants and credentials created after one review and gone before the next."""
    reviews = [end - n * REVIEW_EVERY for n in (2, 1, 0)]
    paths = [(g["grant_id"], g["granted_at"], g) for g in rows["grants"]]
    paths += [(c["credential_id"], c["created_at"], c) for c in rows["credentials"]]
    missed = []
    for path_id, created_text, row in paths:
        created, gone = _at(created_text), _end(row)
        if created is None or gone is None:
            continue
        if any(before < created and gone < after for before, after in pairwise(reviews)):
            missed.append(path_id)
    return missed


def agent_sections(
    end: datetime,
    calls: list[dict[str, Any]],
    sandboxes: list[dict[str, Any]],
    rows: dict[str, list[Row]],
    key_users: dict[str, str],
) -> dict[str, Any]:
    """The agent keys of ``planted.json``, from the written calls, policies and rows.

    ``key_users`` maps an access key id to the IAM user CloudTrail shows using it.
    """
    identities = rows["identities"]
    listed = {r["identity_id"] for r in identities}
    unlisted = {c["agent_id"] for c in calls} - listed
    jit = [g for g in rows["grants"] if g["grant_type"] == "jit"]
    by_id = {g["grant_id"]: g for g in jit}
    uncovered = [c["call_id"] for c in calls if not _valid_under_grant(c, by_id)]
    return {
        "agents_total": len({r["identity_id"] for r in identities if r["kind"] == "ai_agent"})
        + len(unlisted),
        "agent_calls": len(calls),
        "agent_calls_without_jit_grant": _ids(uncovered),
        "agent_jit_coverage": round(1 - len(uncovered) / len(calls), 4) if calls else None,
        **_grant_sections(end, calls, jit),
        "agent_egress_not_allowed": _ids(_egress(calls, sandboxes)),
        "sandboxes_secrets_and_open_egress": _ids(
            [
                s["sandbox_id"]
                for s in sandboxes
                if "*" in s["egress"]["allow"] and _reads_production(s)
            ]
        ),
        "agent_inherited_credentials": _ids(_inherited(calls, rows["credentials"], key_users)),
        "shadow_ai_apps": _ids(
            unlisted
            | {
                r["identity_id"]
                for r in identities
                if r["kind"] in ("ai_agent", "app") and not r["owner_id"]
            }
        ),
        "access_paths_missed_by_review": _ids(_missed_by_review(end, rows)),
    }
