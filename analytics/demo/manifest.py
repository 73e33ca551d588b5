"""``planted.json``: what the demo data set contains, counted from what was written.

Every number is computed from the rows and records the writers produced (not from the
intentions of the world builder), so a metric that reads the files correctly must find
the same values. The manifest holds ids, never a secret value; AWS access key ids are
identifiers, listed in the credential inventory too, and appear here as such.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from analytics.demo import fake
from analytics.demo.activity import DELETE_KEY, LIFECYCLE, MISUSE, UPDATE_KEY, Plan
from analytics.demo.inventory import Row
from analytics.demo.leaks import Leak
from analytics.demo.manifest_access import Snapshot, credential_sections, privilege_sections
from analytics.demo.model import DEV_ACCOUNT, PROD_ACCOUNT, REGIONS, World
from analytics.demo.policies import WILDCARD_ACTIONS
from analytics.demo.scanners import Report, committed_at
from analytics.demo.trailstats import TrailStats
from analytics.demo.ttr import ttr_section


def _ids(values: list[str] | set[str]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"count": len(ordered), "ids": ordered}


def _older(rows: list[Row], cutoff: datetime) -> list[str]:
    return [
        r["credential_id"]
        for r in rows
        if r["status"] == "active"
        and r["credential_type"] == "access_key"
        and datetime.fromisoformat(r["created_at"]) < cutoff
    ]


def leaked_aws_key_ids(findings: dict[str, list[dict[str, Any]]]) -> set[str]:
    """AWS key ids named by any finding, whatever the source."""
    keys = {a["secret"] for a in findings["github"] if a["secret_type"] == "aws_access_key_id"}
    keys |= {f["Secret"] for f in findings["gitleaks"] if f["RuleID"] == "aws-access-token"}
    keys |= {f["Raw"] for f in findings["trufflehog"] if f["DetectorName"] == "AWS"}
    return keys


def _key_stops(plan: Plan) -> dict[str, list[datetime]]:
    """CloudTrail ``UpdateAccessKey`` (always to ``Inactive``) and ``DeleteAccessKey`` times."""
    stops: dict[str, list[datetime]] = {}
    for moment, _, _, kind, _, op, ref, _, _ in plan.events:
        if kind == LIFECYCLE and op in (UPDATE_KEY, DELETE_KEY):
            stops.setdefault(plan.keys[ref].credential_id, []).append(fake.from_epoch(moment))
    return stops


def _ttr(
    world: World,
    plan: Plan,
    rows: dict[str, list[Row]],
    findings: dict[str, list[dict[str, Any]]],
    reports: list[Report],
    leaks: list[Leak],
) -> dict[str, Any]:
    """The ``ttr`` section from the written alerts, reports, key changes and credentials."""
    secret_field = {"gitleaks": "Secret", "trufflehog": "Raw"}
    scanned = [
        (r.scanned_at, f[secret_field[r.source]], committed_at(f))
        for r in reports
        for f in r.findings
    ]
    section = ttr_section(
        world.end,
        findings["github"],
        scanned,
        _key_stops(plan),
        rows["credentials"],
        # A mistaken "revoked" resolution is remediation by the measure's rules.
        {
            leak.secret
            for leak in leaks
            if leak.fix_after_days is None and leak.outcome != "revoked"
        },
    )
    section["revoked_without_fix"] = sorted(
        leak.credential.credential_id
        for leak in leaks
        if leak.outcome == "revoked" and leak.fixed_at is None and leak.credential is not None
    )
    return section


def build_manifest(
    world: World,
    stats: TrailStats,
    plan: Plan,
    rows: dict[str, list[Row]],
    findings: dict[str, list[dict[str, Any]]],
    reports: list[Report],
    leaks: list[Leak],
    snapshots: list[Snapshot],
) -> dict[str, Any]:
    """Assemble the manifest from the written rows, records, findings, reports, snapshots."""
    end = world.end
    identities, credentials = rows["identities"], rows["credentials"]
    grants, people = rows["grants"], rows["directory"]
    left = {p["person_id"] for p in people if p["employment_status"] == "left"}
    active = [c for c in credentials if c["status"] == "active"]
    holders = {c["identity_id"] for c in active}
    cutoff = int((end - timedelta(days=90)).timestamp())
    aws_ids = [
        r["identity_id"] for r in identities if r["identity_id"].startswith("arn:aws:iam::")
    ]
    dormant = [i for i in aws_ids if stats.last_seen.get(i, -1) < cutoff]
    standing = [g for g in grants if g["grant_type"] == "standing"]
    jit = [g for g in grants if g["grant_type"] == "jit"]
    alerts = findings["github"]
    known = {c["credential_id"]: c["status"] for c in credentials}
    leaked = sorted(leaked_aws_key_ids(findings) & set(known))
    misused = {leak.key_id for leak in leaks if leak.misuse_at is not None}
    return {
        "seed": world.seed,
        "scale": world.scale.name,
        "period": {"start": fake.iso_z(world.start), "end": fake.iso_z(end)},
        "accounts": {"prod": PROD_ACCOUNT, "dev": DEV_ACCOUNT},
        "regions": list(REGIONS),
        "nonhuman_identities": {
            "total": len(identities),
            "by_kind": dict(sorted(Counter(r["kind"] for r in identities).items())),
        },
        "humans": {"total": len(people)},
        "humans_left": _ids(left),
        "owner_left_with_active_credential": _ids(
            [
                r["identity_id"]
                for r in identities
                if r["owner_id"] in left and r["identity_id"] in holders
            ]
        ),
        "owner_missing": _ids([r["identity_id"] for r in identities if not r["owner_id"]]),
        "dormant_identities_90d": {
            **_ids(dormant),
            "with_older_events": sorted(i for i in dormant if i in stats.last_seen),
            "without_events": sorted(i for i in dormant if i not in stats.last_seen),
        },
        "credentials_total": len(credentials),
        "credentials_active": len(active),
        "credentials_older_than_90d": _ids(
            [
                c["credential_id"]
                for c in active
                if datetime.fromisoformat(c["created_at"]) < end - timedelta(days=90)
            ]
        ),
        "access_keys_older_than_90d": _ids(_older(credentials, end - timedelta(days=90))),
        "access_keys_older_than_365d": _ids(_older(credentials, end - timedelta(days=365))),
        "credentials_never_expire": sum(1 for c in active if not c["expires_at"]),
        "overprivileged_identities": _ids(
            {
                g["identity_id"]
                for g in standing
                if g["permission"] in WILDCARD_ACTIONS and g["resource"] in ("*", "")
            }
        ),
        "cloudtrail_events_total": sum(stats.events_by_account.values()),
        "cloudtrail_events_by_account": dict(sorted(stats.events_by_account.items())),
        "cloudtrail_first_event_time": fake.epoch_z(stats.first) if stats.first else None,
        "cloudtrail_last_event_time": fake.epoch_z(stats.last) if stats.last else None,
        "cloudtrail_distinct_principals": len(stats.last_seen),
        "cloudtrail_files": stats.files,
        "cloudtrail_access_denied": stats.errors,
        "cloudtrail_console_logins": stats.console_logins,
        "secret_findings": {
            "by_source": {source: len(found) for source, found in findings.items()},
            "github_open": sum(1 for a in alerts if a["state"] == "open"),
            "github_resolved_by_resolution": dict(
                sorted(
                    Counter(a["resolution"] for a in alerts if a["state"] == "resolved").items()
                )
            ),
            "leaked_aws_key_ids": leaked,
            "leaked_aws_keys_still_active": [k for k in leaked if known[k] == "active"],
        },
        "leaked_keys_used_after_leak": {
            **_ids(misused),
            "events": sum(1 for e in plan.events if e[3] == MISUSE),
        },
        "jit_grants": len(jit),
        "jit_grants_never_expire": _ids(
            [g["grant_id"] for g in jit if not g["expires_at"] and not g["revoked_at"]]
        ),
        "jit_grants_longer_than_24h": _ids(
            [
                g["grant_id"]
                for g in jit
                if g["expires_at"]
                and datetime.fromisoformat(g["expires_at"])
                - datetime.fromisoformat(g["granted_at"])
                > timedelta(hours=24)
            ]
        ),
        "standing_grants": len(standing),
        "ttr": _ttr(world, plan, rows, findings, reports, leaks),
        **privilege_sections(snapshots, stats),
        **credential_sections(end, credentials, stats, {r["identity_id"] for r in identities}),
    }
