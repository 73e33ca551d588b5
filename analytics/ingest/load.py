"""Load source files into the warehouse: whole files, nothing lost, nothing twice.

For each file: skip it when a file with the same content hash is already loaded; read its
records; transform each to canonical rows or reject it with a reason. Parsed files are then
landed a group at a time (:mod:`analytics.ingest.batch`), each group in one transaction, so
the warehouse only ever holds whole files. Records read = loaded + rejected + duplicate.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics.config import key_path, resolve_db
from analytics.errors import InputError, RecordRejected, WarehouseWriteError
from analytics.ingest import cloudtrail_bulk
from analytics.ingest.base import Context
from analytics.ingest.batch import FileBatch, FileResult, commit_group
from analytics.ingest.cloudtrail_bulk import Staged
from analytics.ingest.detect import detect_kind, holds_no_records
from analytics.ingest.readers import SURROGATE_ESCAPE, decode, read_bytes
from analytics.redaction import Fingerprinter
from analytics.warehouse import connect, owner_only, sql_text

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".log", ".txt", ".yaml", ".yml")
# A group is landed once it holds this many rows or files (whichever comes first).
GROUP_ROWS = 50_000
GROUP_FILES = 1_000
# DuckDB's memory for an ingest: 1 GB, or 160 MB a thread on a machine of many cores, where
# each of DuckDB's threads reads and parses files of its own (about 100 MB a thread for
# delivery files read whole, measured up to 32 threads).
MEMORY_LIMIT = (
    "set memory_limit = greatest(1024, 160 * current_setting('threads')::integer) || 'MB'"
)
_RECORD_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)
# Kinds read as CSV only, where a backslash is a character and escapes no other.
_CSV_KINDS = frozenset({"inventory-csv", "nhi-breach-catalogue"})
# What DuckDB raises when it cannot write its file: IOException (a write or fsync failed),
# TransactionException (a commit that failed to write), FatalException (the database was
# invalidated by such a failure).
_WRITE_ERRORS = (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException)

__all__ = ["FileResult", "expand_paths", "ingest_paths", "read_file"]


def expand_paths(paths: Iterable[str]) -> Iterator[Path | tuple[str, str]]:
    """Yield the files named by paths, folders (recursively) and glob patterns, sorted.

    Inside folders only data files are taken (``.json``, ``.jsonl``, ``.ndjson``, ``.csv``,
    ``.log``, ``.txt``, ``.yaml`` and ``.yml``, each optionally ``.gz``), so a README beside
    the logs is passed over; a file named on the command line is always read. Hidden files
    and folders are skipped; symbolic links to folders are not followed, so a link loop
    cannot hang the walk. A path that names nothing yields ``(path, reason)``.
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


@owner_only()
def ingest_paths(
    paths: Iterable[str],
    *,
    db: str | Path | None = None,
    kind: str | None = None,
    as_of: datetime | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    set_wise: bool = True,
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
        Called with each result once its file is landed (the CLI prints it).
    set_wise
        Load CloudTrail delivery files in groups with DuckDB
        (:mod:`analytics.ingest.cloudtrail_bulk`); ``False`` sends every file through its
        adapter one record at a time, the reference the set-wise path is tested against.

    Files it creates (the warehouse, its write-ahead log, the fingerprint key, their
    folder) are readable by the owner only, whatever the umask; so is the work folder of
    staged CloudTrail beside the warehouse, removed when the ingest ends.

    Raises
    ------
    WarehouseLockedError
        Another process held the warehouse for longer than the lock wait.
    WarehouseWriteError
        The warehouse could not be written (disk full); the files landed before are kept
        whole, the group being written is not, and a rerun loads the rest.
    """
    db_path = resolve_db(db)
    results: list[FileResult | None] = []
    pending: list[tuple[int, FileBatch]] = []
    staged: list[tuple[int, Staged]] = []
    try:
        con = connect(db_path, read_only=False)
    except _WRITE_ERRORS as exc:
        raise _write_error(db_path, exc, []) from exc
    # Staged delivery files wait beside the warehouse, where there is room for the data (a
    # system /tmp may be small, or in memory); the folder is the owner's only.
    workdir = Path(tempfile.mkdtemp(prefix=".nhi-risk-ingest-", dir=db_path.parent))
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nhi-risk-land")
    landing: tuple[list[tuple[int, Staged]], Future] | None = None

    def report(slot: int, result: FileResult) -> None:
        results[slot] = result
        if on_file:
            on_file(result)

    def land() -> None:
        finish_landing()
        for (slot, _), result in zip(
            pending, commit_group(con, [b for _, b in pending]), strict=True
        ):
            report(slot, result)
        pending.clear()

    def read_one(slot: int, path: Path) -> None:
        """Parse one file with its adapter; it lands with the next group of parsed files."""
        found = read_file(path, kind=kind, as_of=as_of, fingerprinter=fingerprinter, loaded=loaded)
        if isinstance(found, FileBatch) and _fails_again(found, pending):
            # ingest_files keeps one row per content: the first copy's failure stands for
            # this one, which is reported on its own all the same.
            found = FileResult(path, found.ctx.kind, "failed", error=found.error)
        if not isinstance(found, FileBatch):
            report(slot, found)
            return
        # Files land in the order they are named, so the first copy of an event is the one
        # loaded: staged delivery files named before this one land first.
        land_staged()
        pending.append((slot, found))
        if not found.error:
            loaded[found.digest] = (None, found.ctx.kind, found.read)
        if len(pending) >= GROUP_FILES or sum(b.row_count for _, b in pending) >= GROUP_ROWS:
            land()

    def land_staged() -> None:
        """Start landing the staged delivery files; the next files stage meanwhile.

        DuckDB maps and lands a group in a worker thread while this one decompresses the
        next files: neither holds the interpreter while it works. Anything else that uses
        the warehouse waits for the group first (:func:`finish_landing`).
        """
        nonlocal landing
        finish_landing()
        if not staged:
            return
        group = list(staged)
        staged.clear()
        landing = (group, worker.submit(cloudtrail_bulk.land, con, [file for _, file in group]))

    def finish_landing() -> None:
        """Wait for the group being landed; report its files, send the rest to the adapter."""
        nonlocal landing
        if landing is None:
            return
        group, future = landing
        landing = None
        slots = {id(file): slot for slot, file in group}
        try:
            landed, left = future.result()
        finally:
            for _, file in group:
                if file.array is not None:
                    file.array.unlink(missing_ok=True)
        for file, result in landed:
            loaded[file.digest] = (result.file_id, result.kind or "cloudtrail", result.read)
            report(slots[id(file)], result)
        for file in left:
            read_one(slots[id(file)], file.path)

    try:
        # Bounded memory whatever the input: DuckDB spills or evicts beyond this, rather than
        # keeping every page of a growing warehouse cached.
        con.execute(MEMORY_LIMIT)
        con.execute(sql_text("event_content_hash"))
        fingerprinter = Fingerprinter.for_warehouse(key_path(db_path))
        loaded = {
            digest: (file_id, file_kind, read)
            for digest, file_id, file_kind, read in con.execute(
                "select content_sha256, file_id, kind, records_read "
                "from ingest_files where status = 'loaded'"
            ).fetchall()
        }
        for item in expand_paths(paths):
            results.append(None)
            slot = len(results) - 1
            if isinstance(item, tuple):
                report(
                    slot, FileResult(Path(item[0]), kind, "failed", error=f"{item[0]}: {item[1]}")
                )
                continue
            found = None
            if set_wise:
                found = cloudtrail_bulk.stage(
                    item, kind=kind, as_of=as_of, workdir=workdir, loaded=loaded
                )
            if isinstance(found, Staged) and any(
                f.digest == found.digest
                for _, f in staged + (landing[0] if landing is not None else [])
            ):
                # The same content twice in one group: the first lands, this one repeats it.
                if found.array is not None:
                    found.array.unlink(missing_ok=True)
                land_staged()
                found = None
            if isinstance(found, Staged):
                land()
                if staged and not cloudtrail_bulk.same_source(staged[0][1], found):
                    land_staged()
                staged.append((slot, found))
                if (
                    len(staged) >= cloudtrail_bulk.GROUP_FILES
                    or sum(f.json_bytes for _, f in staged) >= cloudtrail_bulk.GROUP_BYTES
                ):
                    land_staged()
            elif isinstance(found, FileResult):
                report(slot, found)
            else:
                read_one(slot, item)
        land_staged()
        finish_landing()
        land()
        _refresh_usage(con, results)
        con.execute("checkpoint")
    except _WRITE_ERRORS as exc:
        raise _write_error(db_path, exc, results) from exc
    finally:
        if landing is not None:
            # Interrupted: let the group in flight end (it commits whole or not at all).
            landing[1].exception()
        worker.shutdown()
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return [result for result in results if result is not None]


def _refresh_usage(con: duckdb.DuckDBPyConnection, results: list[FileResult | None]) -> None:
    """Bring the daily usage of the days this run's events fall on up to date, in one step."""
    from analytics.aggregate import recompute_usage

    file_ids = [
        r.file_id
        for r in results
        if r is not None and r.status == "loaded" and r.loaded and r.file_id is not None
    ]
    if file_ids:
        recompute_usage(con, file_ids)


def _fails_again(batch: FileBatch, pending: list[tuple[int, FileBatch]]) -> bool:
    """True when ``batch`` failed and a file of the same content waits to land with it."""
    return batch.error is not None and any(
        waiting.digest == batch.digest for _, waiting in pending
    )


def _write_error(
    db_path: Path, exc: duckdb.Error, results: list[FileResult | None]
) -> WarehouseWriteError:
    landed = sum(1 for r in results if r is not None and r.status == "loaded")
    return WarehouseWriteError(
        f"could not write the warehouse {db_path} ({exc}): {landed} files of this run were "
        f"loaded whole before it, nothing of the rest was kept; free disk space (or raise "
        f"the file size limit) and run the same command again, which skips what is loaded"
    )


def read_file(
    path: Path,
    *,
    kind: str | None,
    as_of: datetime | None,
    fingerprinter: Fingerprinter,
    loaded: dict[str, tuple[int | None, str, int]],
) -> FileBatch | FileResult:
    """Parse one file into a batch of rows, or say it is already loaded.

    A file that fails as a whole comes back as a batch with ``error`` set, so its failure
    is recorded in ``ingest_files`` with the rest of its group.
    """
    from analytics.ingest import KINDS

    try:
        raw = path.read_bytes()
    except OSError as exc:
        # A link that leads back to itself, a file removed or locked since the folder was
        # listed: this file fails, the others still load.
        error = (
            f"{path}: cannot be read ({exc.strerror or exc}); check that it exists, is "
            f"readable, and is not a symbolic link that leads back to itself"
        )
        log.info("%s", error)
        return FileResult(path, kind, "failed", error=error)
    digest = hashlib.sha256(raw).hexdigest()
    if digest in loaded:
        file_id, known_kind, read = loaded[digest]
        log.info("skipped %s: the same content is already loaded", path)
        return FileResult(
            path, known_kind, "already_loaded", read=read, duplicate=read, file_id=file_id
        )
    data, truncation = read_bytes(path, raw)
    decoded = decode(data)
    ctx = Context(path=path, kind=kind, observed_at=as_of, fingerprinter=fingerprinter)
    batch = FileBatch(ctx, digest, len(raw))
    if kind is None and (reason := holds_no_records(decoded.text)):
        log.info("passed over %s: %s", path, reason)
        return FileResult(path, None, "passed_over", error=reason)
    if kind is None:
        ctx.kind = detect_kind(decoded.text)
        if ctx.kind is None:
            reason = "the file is empty" if not decoded.text.strip() else "no known format matches"
            return _failed(
                batch,
                f"{path}: cannot tell the kind of this file ({reason}); pass "
                f"--kind, one of: {', '.join(sorted(KINDS))}",
            )
    if ctx.kind not in KINDS:
        return _failed(
            batch, f"--kind {kind!r} is unknown; use one of: {', '.join(sorted(KINDS))}"
        )
    module = KINDS[ctx.kind]
    ctx.observed_at = as_of or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    if decoded.problem:
        ctx.warnings.append(f"{path}: {decoded.problem}")
    if SURROGATE_ESCAPE.search(decoded.text) and ctx.kind not in _CSV_KINDS:
        ctx.warnings.append(
            f"{path}: \\u escapes of unpaired UTF-16 surrogates (\\ud800 to \\udfff) stand for "
            f"no character and were read as U+FFFD; the tool that wrote the file split a "
            f"character in two"
        )
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
            except _RECORD_ERRORS as exc:
                batch.reject(
                    record,
                    "",
                    f"the record has an unexpected shape ({type(exc).__name__}: {str(exc)[:120]})",
                )
    except InputError as exc:
        return _failed(FileBatch(ctx, digest, len(raw)), f"{path}: {exc}")
    except RecursionError:
        return _failed(
            FileBatch(ctx, digest, len(raw)),
            f"{path}: the JSON is nested too deeply to read (more than about 900 levels); "
            f"no tool writes such a file, so check where it came from",
        )
    if truncation:
        batch.read += 1
        batch.rejected.append(
            {
                "path": str(path),
                "kind": ctx.kind,
                "position": "end of file",
                "record_index": batch.read - 1,
                "field": None,
                "reason": truncation,
                "record_sha256": None,
            }
        )
    for warning in ctx.warnings:
        log.warning("%s", warning)
    return batch


def _failed(batch: FileBatch, error: str) -> FileBatch:
    log.info("%s", error)
    batch.error = error
    return batch
