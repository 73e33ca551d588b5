"""Load source files into the warehouse: one transaction a file, nothing lost, nothing twice.

For each file: skip it when a file with the same content hash is already loaded; read its
records; transform each to canonical rows or reject it with a reason; drop records already
in the warehouse (counted as duplicates); then insert the rows, the rejections and the
``ingest_files`` row in one transaction. Records read = loaded + rejected + duplicate.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from analytics import __version__
from analytics.config import key_path, resolve_db
from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Row, Rows
from analytics.ingest.detect import detect_kind
from analytics.ingest.readers import RawRecord, decode, read_bytes
from analytics.redaction import Fingerprinter
from analytics.warehouse import connect, first_row

log = logging.getLogger(__name__)

# Table -> (key columns, whether a key already in the warehouse makes a record a duplicate).
# Snapshot tables (identities, credentials, grants) keep one row per object per file, so
# only a repeat inside the same file is a duplicate there.
TABLE_KEYS: dict[str, tuple[tuple[str, ...], bool]] = {
    "events": (("source_kind", "event_id"), True),
    "secret_findings": (("row_sha256",), True),
    "breaches": (("breach_id",), True),
    "identities": (("identity_id",), False),
    "credentials": (("credential_id",), False),
    "grants": (("grant_id",), False),
}
# Tables whose rows carry a hash of their content, so that a known key with other content
# is told apart from a true duplicate.
CONTENT_HASHED = frozenset({"events"})
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".log", ".txt")
_TIME_COLUMN = {"events": "event_time", "secret_findings": "detected_at"}


@dataclass
class FileResult:
    """What happened to one file. ``read == loaded + rejected + duplicate`` always."""

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
class _Batch:
    """The rows of one file on their way in, with the record each row came from."""

    ctx: Context
    rows: dict[str, list[Row]] = field(default_factory=dict)
    owners: dict[str, list[RawRecord]] = field(default_factory=dict)
    seen: dict[str, dict[tuple[object, ...], str | None]] = field(default_factory=dict)
    rejected: list[Row] = field(default_factory=list)
    read: int = 0
    duplicate: int = 0

    def add(self, record: RawRecord, rows: Rows) -> None:
        primary = rows.primary
        if primary is None:
            return
        table, row = primary
        if table in CONTENT_HASHED:
            row["content_sha256"] = _content_hash(row)
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
                seen[row_key] = table_row.get("content_sha256")  # type: ignore[assignment]
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
            (
                f"{named} is already loaded with different content: ids must be unique, so "
                f"this record is edited, synthetic or from another system; give it its own id"
            ),
        )

    def reject(self, record: RawRecord, field_name: str, reason: str) -> None:
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


def _content_hash(row: Row) -> str:
    payload = json.dumps(
        {k: v for k, v in row.items() if k != "content_sha256"}, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _key(table: str, row: Row) -> tuple[object, ...]:
    columns, _ = TABLE_KEYS[table]
    return tuple(row.get(column) for column in columns)


def expand_paths(paths: Iterable[str]) -> Iterator[Path | tuple[str, str]]:
    """Yield the files named by paths, folders (recursively) and glob patterns, sorted.

    Inside folders only data files are taken (``.json``, ``.jsonl``, ``.ndjson``, ``.csv``,
    ``.log`` and ``.txt``, each optionally ``.gz``), so a README beside the logs is passed
    over; a file named on the command line is always read. Hidden files and folders are
    skipped; symbolic links to folders are not followed, so a link loop cannot hang the
    walk. A path that names nothing yields ``(path, reason)``.
    """
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = []
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / name for name in files if _is_data_file(name))
            yield from sorted(found)
        elif path.is_file():
            yield path
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                yield (item, "the pattern matches no file")
            yield from files
        else:
            yield (item, "no such file or folder")


def _is_data_file(name: str) -> bool:
    if name.startswith("."):
        return False
    stem = name[:-3] if name.endswith(".gz") else name
    return stem.lower().endswith(DATA_SUFFIXES)


def ingest_paths(
    paths: Iterable[str],
    *,
    db: str | Path | None = None,
    kind: str | None = None,
    as_of: datetime | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Load every file named by ``paths`` into the warehouse and return one result a file.

    Parameters
    ----------
    paths
        Files, folders and glob patterns. ``.gz`` files are decompressed transparently.
    db
        The warehouse; ``None`` resolves ``$NHI_RISK_DB`` or ``data/warehouse.duckdb``.
    kind
        Force one adapter for all files instead of detecting each file's kind.
    as_of
        Snapshot time for files that do not state their own (default: file mtime).
    on_file
        Called with each result as soon as its file is done (the CLI prints it).
    """
    db_path = resolve_db(db)
    results: list[FileResult] = []
    con = connect(db_path, read_only=False)
    try:
        fingerprinter = Fingerprinter.for_warehouse(key_path(db_path))
        for item in expand_paths(paths):
            if isinstance(item, tuple):
                result = FileResult(Path(item[0]), kind, "failed", error=f"{item[0]}: {item[1]}")
            else:
                result = ingest_file(
                    con, item, kind=kind, as_of=as_of, fingerprinter=fingerprinter
                )
            results.append(result)
            if on_file:
                on_file(result)
        con.execute("checkpoint")
    finally:
        con.close()
    return results


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    kind: str | None,
    as_of: datetime | None,
    fingerprinter: Fingerprinter,
) -> FileResult:
    """Load one file in one transaction; see the module docstring for the rules."""
    from analytics.ingest import KINDS

    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    known = first_row(
        con,
        "select file_id, kind, records_read from ingest_files "
        "where content_sha256 = ? and status = 'loaded'",
        [digest],
    )
    if known:
        log.info("skipped %s: the same content is already loaded as file #%s", path, known[0])
        return FileResult(
            path, known[1], "already_loaded", read=known[2], duplicate=known[2], file_id=known[0]
        )
    data, truncation = read_bytes(path, raw)
    decoded = decode(data)
    if kind is None:
        kind = detect_kind(decoded.text)
    if kind is None:
        reason = "the file is empty" if not decoded.text.strip() else "no known format matches"
        error = (
            f"{path}: cannot tell the kind of this file ({reason}); pass --kind, one of: "
            f"{', '.join(sorted(KINDS))}"
        )
        return _fail(con, path, None, digest, len(raw), error)
    if kind not in KINDS:
        error = f"--kind {kind!r} is unknown; use one of: {', '.join(sorted(KINDS))}"
        return _fail(con, path, kind, digest, len(raw), error)
    module = KINDS[kind]
    observed = as_of or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    ctx = Context(path=path, kind=kind, observed_at=observed, fingerprinter=fingerprinter)
    if decoded.problem:
        ctx.warnings.append(f"{path}: {decoded.problem}")
    batch = _Batch(ctx)
    try:
        for record in module.read(decoded.text, ctx):
            batch.read += 1
            if record.error is not None:
                batch.reject(record, "", record.error)
                continue
            try:
                batch.add(record, module.transform(record, ctx))
            except RecordRejected as exc:
                batch.reject(record, exc.field, exc.reason)
            except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
                batch.reject(
                    record,
                    "",
                    f"the record has an unexpected shape ({type(exc).__name__}: {str(exc)[:120]})",
                )
    except InputError as exc:
        return _fail(con, path, kind, digest, len(raw), f"{path}: {exc}")
    if truncation:
        batch.read += 1
        batch.rejected.append(
            {
                "path": str(path),
                "kind": kind,
                "position": "end of file",
                "record_index": batch.read - 1,
                "field": None,
                "reason": truncation,
                "record_sha256": None,
            }
        )
    for warning in ctx.warnings:
        log.warning("%s", warning)
    return _commit(con, path, kind, digest, len(raw), ctx, batch)


def _commit(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    digest: str,
    size: int,
    ctx: Context,
    batch: _Batch,
) -> FileResult:
    con.begin()
    try:
        file_id = _next_file_id(con)
        _drop_known(con, batch)
        first, last = _time_range(batch)
        loaded = batch.read - len(batch.rejected) - batch.duplicate
        for table, rows in batch.rows.items():
            _insert(con, table, rows, file_id, ctx)
        if batch.rejected:
            _insert(con, "rejected_records", batch.rejected, file_id, ctx)
        con.execute("delete from ingest_files where content_sha256 = ?", [digest])
        con.execute(
            "insert into ingest_files values "
            "(?, ?, ?, ?, ?, 'loaded', null, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_id,
                digest,
                str(path),
                kind,
                size,
                ctx.observed_at,
                datetime.now(UTC),
                batch.read,
                loaded,
                len(batch.rejected),
                batch.duplicate,
                first,
                last,
                __version__,
            ],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    log.info(
        "loaded %s records from %s (%s), %s rejected, %s duplicate",
        f"{loaded:,}",
        path,
        kind,
        len(batch.rejected),
        batch.duplicate,
    )
    return FileResult(
        path,
        kind,
        "loaded",
        batch.read,
        loaded,
        len(batch.rejected),
        batch.duplicate,
        file_id=file_id,
        warnings=ctx.warnings,
    )


def _next_file_id(con: duckdb.DuckDBPyConnection) -> int:
    row = first_row(con, "select nextval('ingest_file_seq')")
    assert row is not None
    return int(row[0])  # type: ignore[call-overload]


def _drop_known(con: duckdb.DuckDBPyConnection, batch: _Batch) -> None:
    """Remove rows whose key is already in the warehouse: duplicates, or conflicts."""
    for table, (columns, across_files) in TABLE_KEYS.items():
        rows = batch.rows.get(table)
        if not across_files or not rows:
            continue
        keys = pd.DataFrame([_key(table, row) for row in rows], columns=list(columns))
        con.register("incoming_keys", keys)
        on = " and ".join(f"k.{c} = t.{c}" for c in columns)
        content = "t.content_sha256" if table in CONTENT_HASHED else "null"
        known = {
            tuple(found[:-1]): found[-1]
            for found in con.execute(
                f"select k.*, {content} from incoming_keys k join {table} t on {on}"  # noqa: S608
            ).fetchall()
        }
        con.unregister("incoming_keys")
        if not known:
            continue
        owners = batch.owners[table]
        keep = []
        for i, row in enumerate(rows):
            key = _key(table, row)
            if key in known:
                batch.repeat(owners[i], table, key, known[key], row.get("content_sha256"))
            else:
                keep.append(i)
        batch.rows[table] = [rows[i] for i in keep]
        batch.owners[table] = [owners[i] for i in keep]


def _time_range(batch: _Batch) -> tuple[datetime | None, datetime | None]:
    times = [
        row[column]
        for table, column in _TIME_COLUMN.items()
        for row in batch.rows.get(table, [])
        if row.get(column) is not None
    ]
    return (min(times), max(times)) if times else (None, None)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[Row], file_id: int, ctx: Context
) -> None:
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    unknown = set().union(*(row.keys() for row in rows)) - set(columns)
    if unknown:
        raise AssertionError(f"adapter wrote unknown columns {sorted(unknown)} to {table}")
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["file_id"] = file_id
    if "observed_at" in columns:
        frame["observed_at"] = frame["observed_at"].where(
            frame["observed_at"].notna(), ctx.observed_at
        )
    con.register("incoming_rows", frame)
    con.execute(f"insert into {table} by name select * from incoming_rows")  # noqa: S608
    con.unregister("incoming_rows")


def _fail(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str | None,
    digest: str,
    size: int,
    error: str,
) -> FileResult:
    """Record a file that failed as a whole (nothing of it is loaded) and return its result."""
    log.info("%s", error)
    con.begin()
    try:
        file_id = _next_file_id(con)
        con.execute("delete from ingest_files where content_sha256 = ?", [digest])
        con.execute(
            "insert into ingest_files values "
            "(?, ?, ?, ?, ?, 'failed', ?, null, ?, 0, 0, 0, 0, null, null, ?)",
            [
                file_id,
                digest,
                str(path),
                kind or "unknown",
                size,
                error,
                datetime.now(UTC),
                __version__,
            ],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return FileResult(path, kind, "failed", error=error, file_id=file_id)
