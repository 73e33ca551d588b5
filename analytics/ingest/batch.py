"""The rows of parsed files on their way into the warehouse, and the transaction that lands them.

Files are parsed one by one into :class:`FileBatch` objects, then landed a group at a time
by :func:`commit_group` in one transaction: a group holds whole files only, so an interrupted
ingest leaves the warehouse as it was after the last complete group, never half a file.
Grouping small files (CloudTrail writes one every few minutes) makes the per-transaction
cost of DuckDB negligible.

Within a group, and against the warehouse, a record whose key is already known is a
duplicate when its content is the same, and is rejected as a conflict when it is not.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from analytics import __version__
from analytics.ingest.base import Context, Row, Rows
from analytics.ingest.readers import RawRecord

log = logging.getLogger(__name__)

# Table -> (key columns, whether a key already in the warehouse makes a record a duplicate).
# Snapshot tables (identities, credentials, grants, sandboxes) keep one row per object per file, so
# only a repeat inside the same file is a duplicate there.
TABLE_KEYS: dict[str, tuple[tuple[str, ...], bool]] = {
    "events": (("source_kind", "event_id"), True),
    "secret_findings": (("row_sha256",), True),
    "breaches": (("breach_id",), True),
    "identities": (("identity_id",), False),
    "credentials": (("credential_id",), False),
    "grants": (("grant_id",), False),
    "sandboxes": (("sandbox_id",), False),
}
# Tables whose rows carry a hash of their content, so that a known key with other content
# is told apart from a true duplicate.
CONTENT_HASHED = frozenset({"events"})
_TIME_COLUMN = {"events": "event_time", "secret_findings": "detected_at"}
_INGEST_FILE_COLUMNS = (
    "file_id",
    "content_sha256",
    "path",
    "kind",
    "size_bytes",
    "status",
    "error",
    "observed_at",
    "loaded_at",
    "records_read",
    "records_loaded",
    "records_rejected",
    "records_duplicate",
    "first_record_at",
    "last_record_at",
    "toolkit_version",
)


@dataclass
class FileResult:
    """What happened to one file. ``read == loaded + rejected + duplicate`` always.

    ``status`` is ``loaded``, ``already_loaded`` (the same content was loaded before),
    ``failed`` (nothing of it could be loaded; ``error`` says why) or ``passed_over`` (a
    file known to hold no records, such as a CloudTrail digest; ``error`` says which).
    """

    path: Path
    kind: str | None
    status: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicate: int = 0
    error: str | None = None
    file_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the file as a whole could not be loaded."""
        return self.status == "failed"


@dataclass
class FileBatch:
    """One parsed file: its rows by table, the record behind each row, its rejections."""

    ctx: Context
    digest: str
    size: int
    error: str | None = None
    rows: dict[str, list[Row]] = field(default_factory=dict)
    owners: dict[str, list[RawRecord]] = field(default_factory=dict)
    seen: dict[str, dict[tuple[object, ...], object]] = field(default_factory=dict)
    rejected: list[Row] = field(default_factory=list)
    read: int = 0
    duplicate: int = 0

    @property
    def row_count(self) -> int:
        """Rows waiting to be inserted, for sizing groups."""
        return sum(len(rows) for rows in self.rows.values()) + len(self.rejected)

    def add(self, record: RawRecord, rows: Rows) -> None:
        """Take the rows of one record; a repeat of a key in this file is not added."""
        primary = rows.primary
        if primary is None:
            return
        table, row = primary
        if table in CONTENT_HASHED:
            row["content_sha256"] = content_hash(row)
        key = _key(table, row)
        seen = self.seen.setdefault(table, {})
        if key in seen:
            self.repeat(record, table, key, seen[key], row.get("content_sha256"))
            return
        for name, table_rows in rows.tables.items():
            seen = self.seen.setdefault(name, {})
            for table_row in table_rows:
                row_key = _key(name, table_row)
                if row_key in seen and table_row is not row:
                    continue
                seen[row_key] = table_row.get("content_sha256")
                self.rows.setdefault(name, []).append(table_row)
                self.owners.setdefault(name, []).append(record)

    def repeat(
        self,
        record: RawRecord,
        table: str,
        key: tuple[object, ...],
        known: object,
        incoming: object,
    ) -> None:
        """Count a record whose key is known: a duplicate, or a conflict when it differs."""
        if known == incoming:
            self.duplicate += 1
            return
        columns, _ = TABLE_KEYS[table]
        named = ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
        self.reject(
            record,
            columns[-1],
            f"{named} is already loaded with different content: ids must be unique, so "
            f"this record is edited, synthetic or from another system; give it its own id",
        )

    def reject(self, record: RawRecord, field_name: str, reason: str) -> None:
        """Keep a record that cannot be loaded, with where it is and why."""
        self.rejected.append(
            {
                "path": str(self.ctx.path),
                "kind": self.ctx.kind,
                "position": record.position,
                "record_index": record.index,
                "field": field_name or None,
                "reason": reason,
                "record_sha256": record.sha256,
            }
        )

    def drop_repeats(self, table: str, known: dict[tuple[object, ...], object]) -> None:
        """Take out rows of ``table`` whose key is in ``known`` (key -> content hash)."""
        rows = self.rows.get(table)
        if not rows:
            return
        keep = []
        for i, row in enumerate(rows):
            key = _key(table, row)
            if key in known:
                self.repeat(
                    self.owners[table][i], table, key, known[key], row.get("content_sha256")
                )
            else:
                keep.append(i)
        self.rows[table] = [rows[i] for i in keep]
        self.owners[table] = [self.owners[table][i] for i in keep]

    def result(self, file_id: int) -> FileResult:
        """The file's outcome once its group is committed."""
        if self.error:
            return FileResult(
                self.ctx.path, self.ctx.kind, "failed", error=self.error, file_id=file_id
            )
        rejected = len(self.rejected)
        loaded = self.read - rejected - self.duplicate
        return FileResult(
            self.ctx.path,
            self.ctx.kind,
            "loaded",
            self.read,
            loaded,
            rejected,
            self.duplicate,
            file_id=file_id,
            warnings=self.ctx.warnings,
        )


def _key(table: str, row: Row) -> tuple[object, ...]:
    columns, _ = TABLE_KEYS[table]
    return tuple(row.get(column) for column in columns)


# The columns of an events row that its content hash covers, in order: the twin of the SQL
# macro in analytics/sql/event_content_hash.sql, which hashes rows already loaded.
EVENT_CONTENT_COLUMNS = (
    "event_id",
    "source_kind",
    "event_time",
    "service",
    "event_name",
    "action",
    "event_type",
    "read_only",
    "outcome",
    "error_code",
    "identity_id",
    "principal_type",
    "principal_arn",
    "session_name",
    "access_key_id",
    "mfa_authenticated",
    "account_id",
    "region",
    "source_ip",
    "user_agent",
    "target_host",
    "resource",
    "detail",
    "task_id",
    "grant_id",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def content_hash(row: Row) -> str:
    """SHA-256 of an events row's content, as ``event_content_hash`` computes it in SQL.

    Each column is ``=`` and its text, or ``-`` when empty; a time is its microseconds since
    the epoch, a flag ``true`` or ``false``; the columns are joined by U+001F.
    """
    parts = []
    for column in EVENT_CONTENT_COLUMNS:
        value = row.get(column)
        if value is None:
            parts.append("-")
        elif isinstance(value, bool):
            parts.append("=true" if value else "=false")
        elif isinstance(value, datetime):
            parts.append(f"={(value - _EPOCH) // timedelta(microseconds=1)}")
        else:
            parts.append(f"={value}")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def commit_group(con: duckdb.DuckDBPyConnection, batches: list[FileBatch]) -> list[FileResult]:
    """Land whole files in one transaction and return their results, in order.

    Raises whatever interrupts it (after rolling back): nothing of the group is kept then.
    """
    if not batches:
        return []
    con.begin()
    try:
        ids = new_file_ids(con, len(batches))
        _drop_repeats_within_group(batches)
        _drop_known(con, batches)
        tables = sorted({table for batch in batches for table in batch.rows})
        for table in tables:
            rows, file_ids = [], []
            for batch, file_id in zip(batches, ids, strict=True):
                rows.extend(batch.rows.get(table, []))
                file_ids.extend([file_id] * len(batch.rows.get(table, [])))
            _insert(con, table, rows, file_ids, batches, ids)
        rejected, rejected_ids = [], []
        for batch, file_id in zip(batches, ids, strict=True):
            rejected.extend(batch.rejected)
            rejected_ids.extend([file_id] * len(batch.rejected))
        _insert(con, "rejected_records", rejected, rejected_ids, batches, ids)
        _record_files(con, batches, ids)
        con.commit()
    except BaseException:
        roll_back(con)
        raise
    results = [batch.result(file_id) for batch, file_id in zip(batches, ids, strict=True)]
    for result in results:
        if not result.failed:
            log.info(
                "loaded %s records from %s (%s), %s rejected, %s duplicate",
                f"{result.loaded:,}",
                result.path,
                result.kind,
                result.rejected,
                result.duplicate,
            )
    return results


def new_file_ids(con: duckdb.DuckDBPyConnection, count: int) -> list[int]:
    """Take ``count`` ingest_files ids from the warehouse's sequence."""
    return [
        row[0]
        for row in con.execute(
            "select nextval('ingest_file_seq') from range(?)", [count]
        ).fetchall()
    ]


def roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """End the group's transaction, keeping the error that interrupted it the one raised.

    A commit that failed to write (disk full) has already ended the transaction, and a
    database DuckDB invalidated refuses every statement; either way nothing of the group
    is kept, and the rollback's own complaint would hide the cause.
    """
    try:
        con.rollback()
    except duckdb.Error as exc:
        log.debug("rollback after a failed group: %s", exc)


def _drop_repeats_within_group(batches: list[FileBatch]) -> None:
    """A record that an earlier file of the same group already holds is a repeat."""
    for table, (_, across_files) in TABLE_KEYS.items():
        if not across_files:
            continue
        known: dict[tuple[object, ...], object] = {}
        for batch in batches:
            batch.drop_repeats(table, known)
            known.update(
                (_key(table, row), row.get("content_sha256")) for row in batch.rows.get(table, [])
            )


def _drop_known(con: duckdb.DuckDBPyConnection, batches: list[FileBatch]) -> None:
    """Remove rows whose key is already in the warehouse: duplicates, or conflicts."""
    for table, (columns, across_files) in TABLE_KEYS.items():
        if not across_files or not any(batch.rows.get(table) for batch in batches):
            continue
        keys = pd.DataFrame(
            [_key(table, row) for batch in batches for row in batch.rows.get(table, [])],
            columns=list(columns),
        )
        con.register("incoming_keys", keys)
        on = " and ".join(f"k.{c} = t.{c}" for c in columns)
        content = "event_content_hash(t)" if table in CONTENT_HASHED else "null"
        known = {
            tuple(found[:-1]): found[-1]
            for found in con.execute(
                f"select k.*, {content} from incoming_keys k join {table} t on {on}"  # noqa: S608
            ).fetchall()
        }
        con.unregister("incoming_keys")
        for batch in batches:
            batch.drop_repeats(table, known)


_COLUMNS: dict[str, list[str]] = {}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    if table not in _COLUMNS:
        _COLUMNS[table] = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]
    return _COLUMNS[table]


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[Row],
    file_ids: list[int],
    batches: list[FileBatch],
    ids: list[int],
) -> None:
    if not rows:
        return
    columns = _columns(con, table)
    # A content hash rides with its row in Python only (events' is computed when ids meet).
    unknown = set().union(*(row.keys() for row in rows)) - set(columns) - {"content_sha256"}
    if unknown:
        raise AssertionError(f"adapter wrote unknown columns {sorted(unknown)} to {table}")
    frame = pd.DataFrame({c: [row.get(c) for row in rows] for c in columns if c != "file_id"})
    frame["file_id"] = file_ids
    if "observed_at" in columns:
        snapshot = {
            file_id: batch.ctx.observed_at for batch, file_id in zip(batches, ids, strict=True)
        }
        missing = frame["observed_at"].isna()
        frame.loc[missing, "observed_at"] = frame.loc[missing, "file_id"].map(snapshot)
    con.register("incoming_rows", frame)
    con.execute(f"insert into {table} by name select * from incoming_rows")  # noqa: S608
    con.unregister("incoming_rows")


def _record_files(
    con: duckdb.DuckDBPyConnection, batches: list[FileBatch], ids: list[int]
) -> None:
    now = datetime.now(UTC)
    rows = []
    for batch, file_id in zip(batches, ids, strict=True):
        result = batch.result(file_id)
        first, last = _time_range(batch)
        rows.append(
            (
                file_id,
                batch.digest,
                str(batch.ctx.path),
                batch.ctx.kind or "unknown",
                batch.size,
                result.status,
                result.error,
                None if batch.error else batch.ctx.observed_at,
                now,
                result.read,
                result.loaded,
                result.rejected,
                result.duplicate,
                first,
                last,
                __version__,
            )
        )
    write_file_rows(con, pd.DataFrame(rows, columns=list(_INGEST_FILE_COLUMNS)))


def write_file_rows(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Write one ``ingest_files`` row per file of ``frame``, in the caller's transaction."""
    con.register("incoming_files", frame)
    # A file that failed before may load now: its old failure row gives way.
    con.execute(
        "delete from ingest_files where content_sha256 in "
        "(select content_sha256 from incoming_files)"
    )
    con.execute("insert into ingest_files by name select * from incoming_files")
    con.unregister("incoming_files")


def _time_range(batch: FileBatch) -> tuple[datetime | None, datetime | None]:
    times = [
        row[column]
        for table, column in _TIME_COLUMN.items()
        for row in batch.rows.get(table, [])
        if row.get(column) is not None
    ]
    return (min(times), max(times)) if times else (None, None)  # type: ignore[type-var]
