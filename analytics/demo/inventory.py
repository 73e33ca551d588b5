"""The four ``inventory-csv`` files: identities, credentials, grants and the directory.

Columns and values follow ``docs/inventory-csv.md``. Standing grants mirror the policies
of each identity (AWS) or its scopes (other providers); just-in-time grants come from a
broker that hands out roles for a task and, a few times, forgets to take them back.
"""

from __future__ import annotations

import csv
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path

from analytics.demo import fake
from analytics.demo.model import Identity, World, steer_clear
from analytics.demo.policies import GROUPS, permissions

logger = logging.getLogger(__name__)

Row = dict[str, str]

IDENTITY_COLUMNS = (
    "identity_id",
    "name",
    "kind",
    "provider",
    "account",
    "environment",
    "owner_id",
    "team",
    "created_at",
    "status",
)
CREDENTIAL_COLUMNS = (
    "credential_id",
    "identity_id",
    "credential_type",
    "provider",
    "created_at",
    "expires_at",
    "last_rotated_at",
    "last_used_at",
    "status",
    "revoked_at",
)
GRANT_COLUMNS = (
    "grant_id",
    "identity_id",
    "permission",
    "resource",
    "grant_type",
    "granted_at",
    "expires_at",
    "revoked_at",
    "task_id",
    "granted_by",
)
DIRECTORY_COLUMNS = ("person_id", "name", "email", "team", "employment_status", "left_at")

# Scopes of non-AWS identities: (permission, share of identities holding it).
_SCOPES: dict[str, tuple[tuple[str, float], ...]] = {
    "github_app": (
        ("contents:write", 1.0),
        ("pull_requests:write", 1.0),
        ("metadata:read", 1.0),
        ("administration:write", 0.15),
    ),
    "github_bot": (("repo", 1.0), ("workflow", 0.7), ("admin:org", 0.1)),
    "slack_bot": (("chat:write", 1.0), ("channels:read", 0.8), ("users:read.email", 0.2)),
    "openai_agent": (("model.request", 1.0), ("all", 0.3)),
    "gcp_sa": (
        ("roles/storage.objectAdmin", 0.6),
        ("roles/bigquery.dataEditor", 0.5),
        ("roles/editor", 0.1),
        ("roles/owner", 0.08),
    ),
}
_JIT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "prod-db-admin",
        "s3-restore",
        "break-glass-admin",
        "kms-key-admin",
        "secrets-rotation",
    ),
    "gcp": ("roles/iam.serviceAccountTokenCreator", "roles/cloudsql.admin"),
    "github": ("repo:admin", "org:secrets-write"),
    "openai": ("project.owner",),
    "slack": ("admin.conversations:write",),
}


def _time(moment: datetime | None) -> str:
    return fake.iso_z(moment) if moment is not None else ""


def identity_rows(world: World) -> list[Row]:
    """One row per non-human identity."""
    return [
        {
            "identity_id": i.identity_id,
            "name": i.name,
            "kind": i.kind,
            "provider": i.provider,
            "account": i.account,
            "environment": i.environment,
            "owner_id": i.owner_id,
            "team": i.team,
            "created_at": _time(i.created_at),
            "status": i.status,
        }
        for i in world.nonhuman
    ]


def credential_rows(world: World) -> list[Row]:
    """One row per credential of a non-human identity; ids only, never a secret.

    ``revoked_at`` is when a credential that no longer works stopped working: when an AWS
    key was deactivated (or deleted without that step), a token revoked or expired.
    """
    return [
        {
            "credential_id": c.credential_id,
            "identity_id": c.identity_id,
            "credential_type": c.credential_type,
            "provider": c.provider,
            "created_at": _time(c.created_at),
            "expires_at": _time(c.expires_at),
            "last_rotated_at": _time(c.last_rotated_at),
            "last_used_at": _time(c.last_used_at),
            "status": c.status,
            "revoked_at": _time(c.deactivated_at or c.deleted_at) if c.status != "active" else "",
        }
        for i in world.nonhuman
        for c in i.credentials
    ]


def _standing(rng: random.Random, world: World, ident: Identity) -> list[tuple[str, str, str]]:
    """``(permission, resource, granted_by)`` of an identity's standing access."""
    if ident.aws_type:
        sources = [(name, "terraform") for name in ident.policies]
        sources += [(p, f"iam-group:{g}") for g in ident.groups for p in GROUPS[g]]
        pairs = []
        for name, via in sources:
            document = world.policies[name].document(ident.account)
            pairs += [(a, r, via) for a, r in permissions(document["Statement"])]
        for name, statements in ident.inline:
            pairs += [(a, r, f"inline:{name}") for a, r in permissions(statements)]
        return pairs
    resource = ident.repo if ident.archetype == "github_app" else ident.account
    return [
        (scope, resource, ident.owner_id)
        for scope, share in _SCOPES[ident.archetype]
        if share >= 1.0 or rng.random() < share
    ]


def grant_rows(world: World) -> list[Row]:
    """Standing grants of every identity, then the JIT broker's grants."""
    rng = random.Random(f"{world.seed}:grants")
    rows = []
    for ident in world.nonhuman:
        for permission, resource, via in _standing(rng, world, ident):
            rows.append(
                {
                    "grant_id": f"G-{len(rows) + 1:06d}",
                    "identity_id": ident.identity_id,
                    "permission": permission,
                    "resource": resource,
                    "grant_type": "standing",
                    "granted_at": _time(ident.created_at),
                    "expires_at": "",
                    "revoked_at": "",
                    "task_id": "",
                    "granted_by": via,
                }
            )
    return rows + _jit_rows(rng, world)


def _jit_rows(rng: random.Random, world: World) -> list[Row]:
    """Short task-bound grants; a few never expire and a few outlive their task by weeks."""
    holders = [i for i in world.nonhuman if i.status == "active"]
    approvers = [p.person_id for p in world.people if p.status == "active"]
    count = max(6, round(0.8 * len(holders)))
    never = set(rng.sample(range(count), max(1, round(0.03 * count))))
    long = set(rng.sample(sorted(set(range(count)) - never), max(1, round(0.04 * count))))
    rows = []
    for number in range(count):
        ident = rng.choice(holders)
        granted = world.start + (world.end - world.start - timedelta(days=1)) * rng.random()
        # Access reviews fall every 90 days back from the end: no grant starts near one.
        granted = steer_clear(granted, world.end, cutoffs=(90, 180))
        expires: datetime | None = granted + timedelta(hours=rng.uniform(1, 8))
        revoked = None
        if number in never:
            expires = None
        elif number in long:
            expires = granted + timedelta(days=rng.uniform(7, 45))
        elif rng.random() < 0.25 and expires is not None:
            revoked = granted + (expires - granted) * rng.uniform(0.2, 0.9)
        rows.append(
            {
                "grant_id": f"JIT-{number + 1:06d}",
                "identity_id": ident.identity_id,
                "permission": rng.choice(_JIT_PERMISSIONS[ident.provider]),
                "resource": ident.account,
                "grant_type": "jit",
                "granted_at": _time(granted),
                "expires_at": _time(expires),
                "revoked_at": _time(revoked),
                "task_id": f"TASK-{rng.randrange(1000, 9999)}",
                "granted_by": rng.choice(approvers),
            }
        )
    return rows


def directory_rows(world: World) -> list[Row]:
    """One row per person of the HR directory."""
    return [
        {
            "person_id": p.person_id,
            "name": p.name,
            "email": p.email,
            "team": p.team,
            "employment_status": p.status,
            "left_at": _time(p.left_at),
        }
        for p in world.people
    ]


def write_csv(path: Path, columns: tuple[str, ...], rows: list[Row]) -> None:
    """Write ``rows`` under a header of ``columns`` (RFC 4180, UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    logger.info("wrote %d rows to %s", len(rows), path)


def write_inventory(
    folder: Path, world: World, extra_grants: list[Row] | None = None
) -> dict[str, list[Row]]:
    """Write the four inventory files into ``folder``; return their rows by file stem.

    ``extra_grants`` (the agent gateway's JIT grants) follow the broker's grants.
    """
    tables = {
        "identities": (IDENTITY_COLUMNS, identity_rows(world)),
        "credentials": (CREDENTIAL_COLUMNS, credential_rows(world)),
        "grants": (GRANT_COLUMNS, grant_rows(world) + list(extra_grants or [])),
        "directory": (DIRECTORY_COLUMNS, directory_rows(world)),
    }
    for stem, (columns, rows) in tables.items():
        write_csv(folder / f"{stem}.csv", columns, rows)
    return {stem: rows for stem, (_, rows) in tables.items()}
