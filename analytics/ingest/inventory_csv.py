"""The documented inventory CSVs (docs/inventory-csv.md): identities, credentials, grants
and the directory of human owners, for systems without a native adapter.

The header tells which of the four a file is; each shape has required columns and closed
sets of values, checked per row so that one bad row is rejected with its line number while
the others load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import require, text, time_field
from analytics.ingest.readers import RawRecord, iter_csv
from analytics.redaction import quoted

KIND = "inventory-csv"


@dataclass(frozen=True)
class Shape:
    """One of the four files: its table, its columns, and the values it accepts."""

    name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


SHAPES = (
    Shape(
        "identities",
        "identities",
        ("identity_id", "kind"),
        ("name", "provider", "account", "environment", "owner_id", "team", "created_at", "status"),
    ),
    Shape(
        "credentials",
        "credentials",
        ("credential_id", "identity_id", "credential_type"),
        (
            "provider",
            "created_at",
            "expires_at",
            "last_rotated_at",
            "last_used_at",
            "status",
            "revoked_at",
        ),
    ),
    Shape(
        "grants",
        "grants",
        ("grant_id", "identity_id", "permission"),
        (
            "resource",
            "grant_type",
            "granted_at",
            "expires_at",
            "revoked_at",
            "task_id",
            "granted_by",
        ),
    ),
    Shape(
        "directory",
        "identities",
        ("person_id", "employment_status"),
        ("name", "email", "team", "left_at"),
    ),
)
IDENTITY_KINDS = {"service_account", "iam_user", "iam_role", "app", "bot", "ai_agent"}
CREDENTIAL_TYPES = {
    "access_key",
    "api_key",
    "token",
    "oauth_client_secret",
    "ssh_key",
    "certificate",
    "password",
}
CREDENTIAL_STATUSES = {"active", "inactive", "revoked", "deleted"}
GRANT_TYPES = {"standing", "jit"}


def shape_of(header: list[str]) -> Shape:
    """Return the shape whose required columns the header has (the most specific wins)."""
    columns = set(header)
    matches = [shape for shape in SHAPES if set(shape.required) <= columns]
    if not matches:
        expected = "; ".join(f"{s.name}: {', '.join(s.required)}" for s in SHAPES)
        raise InputError(
            f"line 1: the header {quoted(', '.join(header), 200)} fits none of the inventory "
            f"files (required columns, {expected}); see docs/inventory-csv.md"
        )
    return max(matches, key=lambda shape: len(shape.required))


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the rows of the file, tagged with its shape."""
    header, rows = iter_csv(text_)
    if not header:
        return
    shape = shape_of(header)
    unknown = sorted(set(header) - set(shape.required) - set(shape.optional))
    if unknown:
        ctx.warnings.append(
            f"{ctx.path}: columns {', '.join(unknown)} are not part of the "
            f"{shape.name} file and are ignored (docs/inventory-csv.md)"
        )
    for record in rows:
        if record.data is None:
            yield record
        else:
            yield RawRecord(
                record.position,
                record.index,
                {"shape": shape, "row": record.data},
                sha256=record.sha256,
            )


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one row to its canonical table."""
    shape: Shape = record.data["shape"]
    row = record.data["row"]
    return Rows().add(shape.table, _MAPPERS[shape.name](row))


def _one_of(row: dict[str, str], field: str, allowed: set[str], default: str | None) -> str:
    value = text(row, field)
    if value is None:
        if default is None:
            raise RecordRejected(field, "is required but empty")
        return default
    lowered = value.lower()
    if lowered not in allowed:
        raise RecordRejected(
            field, f"expected one of {', '.join(sorted(allowed))}, found {quoted(value, 40)}"
        )
    return lowered


def _identity(row: dict[str, str]) -> dict[str, object]:
    return {
        "identity_id": require(row, "identity_id"),
        "name": text(row, "name"),
        "kind": _one_of(row, "kind", IDENTITY_KINDS, None),
        "provider": text(row, "provider"),
        "account": text(row, "account"),
        "environment": text(row, "environment"),
        "owner_id": text(row, "owner_id"),
        "team": text(row, "team"),
        "created_at": time_field(row, "created_at"),
        "status": _one_of(row, "status", {"active", "disabled"}, "active"),
        "source_kind": KIND,
    }


def _credential(row: dict[str, str]) -> dict[str, object]:
    return {
        "credential_id": require(row, "credential_id"),
        "identity_id": require(row, "identity_id"),
        "credential_type": _one_of(row, "credential_type", CREDENTIAL_TYPES, None),
        "provider": text(row, "provider"),
        "status": _one_of(row, "status", CREDENTIAL_STATUSES, "active"),
        "created_at": time_field(row, "created_at"),
        "expires_at": time_field(row, "expires_at"),
        "last_rotated_at": time_field(row, "last_rotated_at"),
        "last_used_at": time_field(row, "last_used_at"),
        "revoked_at": time_field(row, "revoked_at"),
        "source_kind": KIND,
    }


def _grant(row: dict[str, str]) -> dict[str, object]:
    return {
        "grant_id": require(row, "grant_id"),
        "identity_id": require(row, "identity_id"),
        "permission": require(row, "permission"),
        "resource": text(row, "resource") or "*",
        "effect": "Allow",
        "negated": False,
        "conditional": False,
        "grant_type": _one_of(row, "grant_type", GRANT_TYPES, "standing"),
        "via": "inventory",
        "granted_at": time_field(row, "granted_at"),
        "expires_at": time_field(row, "expires_at"),
        "revoked_at": time_field(row, "revoked_at"),
        "task_id": text(row, "task_id"),
        "granted_by": text(row, "granted_by"),
        "source_kind": KIND,
    }


def _person(row: dict[str, str]) -> dict[str, object]:
    status = _one_of(row, "employment_status", {"active", "left"}, None)
    return {
        "identity_id": require(row, "person_id"),
        "name": text(row, "name"),
        "kind": "human",
        "email": text(row, "email"),
        "team": text(row, "team"),
        "status": status,
        "left_at": time_field(row, "left_at"),
        "source_kind": KIND,
    }


_MAPPERS = {
    "identities": _identity,
    "credentials": _credential,
    "grants": _grant,
    "directory": _person,
}
