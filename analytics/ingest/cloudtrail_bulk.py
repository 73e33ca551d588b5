"""CloudTrail delivery files loaded set-wise, in groups, through DuckDB's JSON reader.

AWS writes CloudTrail to S3 as delivery files: one gzipped line ``{"Records":[...]}`` of
about a thousand events every few minutes. A month of a busy organisation is tens of
millions of events, too many to map one by one in Python. This module loads such files in
groups, with every rule of :mod:`analytics.ingest.load` in force:

1. :func:`stage` hashes a file (its content is skipped when already loaded) and tells a
   delivery file by its first bytes. A file of up to ``DOCUMENT_BYTES`` of JSON, as most
   that AWS writes are, is left where it is: DuckDB decompresses and parses it whole, on
   every core. A larger one is decompressed in a stream and its ``Records`` array written
   on its own to a work file, which DuckDB reads element by element, in bounded memory
   however large the file.
2. :func:`land` maps a group of staged files with ``sql/cloudtrail_bulk.sql``, the SQL twin
   of :func:`analytics.ingest.cloudtrail.transform`. A file with a record that SQL cannot
   prove it maps as the adapter would (see the SQL's header) goes to the adapter whole, as
   does a file DuckDB cannot read (damaged JSON, bytes that are not UTF-8, an escaped
   UTF-16 surrogate half: the adapter repairs the last two) and a file that is not exactly
   one ``{"Records": [...]}`` document.
3. In one transaction per group: a record whose id an earlier record of the group or the
   warehouse holds is a duplicate when its content is the same and is rejected as a
   conflict when not; the rest is inserted, with one ``ingest_files`` row per file.

Records read = loaded + rejected + duplicate, for every file, as on the Python path.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

try:  # Intel's ISA-L inflates gzip twice as fast as zlib, where it is installed.
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover - the package is a dependency; zlib is the fallback
    _inflate = zlib  # type: ignore[assignment]

from analytics import __version__
from analytics.ingest.batch import FileResult, new_file_ids, roll_back, write_file_rows
from analytics.ingest.detect import (
    SNIFF_CHARS,
    detect_kind,
    detect_kind_cloudtrail,
    holds_no_records,
)
from analytics.warehouse import sql_text

log = logging.getLogger(__name__)

KIND = "cloudtrail"
# A group is mapped and landed once its files reach this much JSON or this many files.
GROUP_BYTES = 512 * 1024 * 1024
GROUP_FILES = 2_000
# Files of up to this much JSON are read whole by DuckDB; larger ones are staged. Each of
# DuckDB's threads parses a whole document at a time, in dozens of times its size: AWS's
# delivery files are a few MB at most, and a busy account's larger ones stream instead.
DOCUMENT_BYTES = 2 * 1024 * 1024
# DuckDB's limit for one event of a staged array; a larger one fails its file over to the
# Python adapter.
MAX_OBJECT_BYTES = 16 * 1024 * 1024
# Bytes read from a file, and decompressed, at a time: as many as detection reads.
_CHUNK = SNIFF_CHARS
# Files up to this size are read once, for their hash and their events alike.
_IN_MEMORY = 32 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
# JSON's own white space: the Python reader would refuse a document padded with any other.
_PREFIX = re.compile(rb'[ \t\r\n]*\{[ \t\r\n]*"Records"[ \t\r\n]*:[ \t\r\n]*(?=\[)')
_SUFFIX = re.compile(rb"\][ \t\r\n]*\}[ \t\r\n]*\Z")
_SURROGATE = (b"\\ud", b"\\uD")
# Bytes held back at the end of what is read: enough for the document's closing "]}".
_HELD = 64


@dataclass
class Staged:
    """A delivery file waiting for its group: read whole, or its Records array in ``array``.

    ``json_bytes`` is how much JSON DuckDB will read: the decompressed size of the file as
    gzip records it, or the size of the array written.
    """

    path: Path
    digest: str
    size: int
    observed_at: datetime
    json_bytes: int
    array: Path | None = None

    @property
    def source(self) -> Path:
        """The file DuckDB reads."""
        return self.path if self.array is None else self.array


def stage(
    path: Path,
    *,
    kind: str | None,
    as_of: datetime | None,
    workdir: Path,
    loaded: dict[str, tuple[int | None, str, int]],
) -> Staged | FileResult | None:
    """Stage ``path`` for a group, say it is already loaded, or return ``None``.

    ``None`` leaves the file to the Python adapter (:func:`analytics.ingest.load.read_file`):
    it is not a delivery file, cannot be read, or needs what only that path does.
    """
    if kind not in (None, KIND):
        return None
    try:
        raw = path.read_bytes() if path.stat().st_size <= _IN_MEMORY else None
        # Other files are told by their first bytes: neither hashed nor staged here.
        if not _is_delivery_file(path, raw, forced=kind == KIND):
            return None
        digest, size = _digest(path, raw)
        if digest in loaded:
            file_id, known_kind, read = loaded[digest]
            log.info("skipped %s: the same content is already loaded", path)
            return FileResult(
                path, known_kind, "already_loaded", read=read, duplicate=read, file_id=file_id
            )
        observed_at = as_of or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        document = _document_bytes(raw)
        if document is not None and document <= DOCUMENT_BYTES:
            return Staged(path, digest, size, observed_at, document)
        array = workdir / f"{digest}.json"
        written = _write_array(path, raw, array)
    except OSError:
        return None
    if written is None:
        array.unlink(missing_ok=True)
        return None
    return Staged(path, digest, size, observed_at, written, array)


def _document_bytes(raw: bytes | None) -> int | None:
    """The JSON size of a file at hand: as its gzip trailer records it, or its own size.

    The trailer holds the size modulo 4 GiB, of the last gzip member only; a file for which
    it is wrong fails DuckDB's size limit or the document check of ``ct_documents``, and
    goes to the adapter.
    """
    if raw is None:
        return None
    if not raw.startswith(_GZIP_MAGIC):
        return len(raw)
    return int.from_bytes(raw[-4:], "little") if len(raw) >= 18 else None


def _digest(path: Path, raw: bytes | None) -> tuple[str, int]:
    if raw is not None:
        return hashlib.sha256(raw).hexdigest(), len(raw)
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _pieces(path: Path, raw: bytes | None) -> Iterator[bytes]:
    """The file's bytes in pieces, read again from disk unless they are at hand."""
    if raw is None:
        with path.open("rb") as handle:
            while piece := handle.read(_CHUNK):
                yield piece
    else:
        for start in range(0, len(raw), _CHUNK):
            yield raw[start : start + _CHUNK]


def _chunks(path: Path, raw: bytes | None) -> Iterator[bytes]:
    """The file's bytes, decompressed when it is gzip (one member, complete).

    Decompressed pieces are at most ``_CHUNK`` bytes: a reader that stops early (the
    first bytes for detection) leaves the rest of the file compressed.
    """
    pieces = _pieces(path, raw)
    first = next(pieces, b"")
    if not first.startswith(_GZIP_MAGIC):
        if first:
            yield first
        yield from pieces
        return
    inflate = _inflate.decompressobj(wbits=31)
    data = first
    while True:
        out = inflate.decompress(data, _CHUNK)
        if out:
            yield out
        if inflate.eof:
            if inflate.unused_data or next(pieces, b""):
                raise _NotStaged("more than one gzip member")
            return
        # What did not fit in this piece first, then more of the file; with neither, what
        # the stream still holds back, until nothing comes out.
        data = inflate.unconsumed_tail or next(pieces, b"")
        if not data and not out:
            raise _NotStaged("the gzip stream ends early")


# Literal keys without which no pattern of detect.py that is tried before CloudTrail's, nor
# the digest-file rule, can match: a head with none of them is CloudTrail exactly when
# CloudTrail's own pattern matches, and the other dozen patterns need not run.
_OTHER_KINDS = (
    b'"resourceSpans"',
    b'"UserDetailList"',
    b'"RoleDetailList"',
    b'"ReportFormat"',
    b'"SourceMetadata"',
    b'"stringsFound"',
    b'"RuleID"',
    b'"offender"',
    b'"secret_type"',
    b'"agent_id"',
    b'"urls"',
    b'"incident_id"',
    b'"digestStartTime"',
)


def _detected(head: str) -> bool:
    """True when :mod:`analytics.ingest.detect` takes ``head`` for CloudTrail with records."""
    data = head.encode("utf-8", errors="surrogatepass")
    if any(key in data for key in _OTHER_KINDS):
        return holds_no_records(head) is None and detect_kind(head) == KIND
    return detect_kind_cloudtrail(head)


class _NotStaged(Exception):
    """The file is left to the Python adapter, which reports what is wrong with it."""


def _head(chunks: Iterator[bytes]) -> bytes:
    """The first bytes of ``chunks``, at least as many as detection reads when there are."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_CHARS:
            break
    return head


def _is_delivery_file(path: Path, raw: bytes | None, *, forced: bool) -> bool:
    """True when the file opens as a CloudTrail ``{"Records": [`` document.

    Unless ``forced`` (``--kind cloudtrail``), detection must also take it for CloudTrail,
    as it would on the adapter's path.
    """
    try:
        head = _head(_chunks(path, raw))
    except (_NotStaged, zlib.error, _inflate.error, EOFError):
        return False
    text = head[:SNIFF_CHARS].decode("utf-8", errors="replace")
    return _PREFIX.match(head) is not None and (forced or _detected(text))


def _write_array(path: Path, raw: bytes | None, array: Path) -> int | None:
    """Write the Records array of ``path`` to ``array``; its size, or ``None``."""
    try:
        with array.open("wb") as out:
            chunks = _chunks(path, raw)
            head = _head(chunks)
            prefix = _PREFIX.match(head)
            if prefix is None:
                return None
            written = 0
            # The last bytes seen are held back: the document's end is cut off when it comes,
            # and an escape split between two pieces is looked for across them.
            held = b""
            piece = head[prefix.end() :]
            while piece is not None:
                if any(mark in piece for mark in _SURROGATE) or any(
                    mark in held[-8:] + piece[:8] for mark in _SURROGATE
                ):
                    return None
                if len(piece) >= _HELD:
                    out.write(held)
                    written += len(held)
                    view = memoryview(piece)
                    out.write(view[:-_HELD])
                    written += len(piece) - _HELD
                    held = piece[-_HELD:]
                else:
                    held += piece
                    if len(held) > _HELD:
                        out.write(held[:-_HELD])
                        written += len(held) - _HELD
                        held = held[-_HELD:]
                piece = next(chunks, None)
            end = _SUFFIX.search(held)
            if end is None:
                return None
            out.write(held[: end.start() + 1])
            return written + end.start() + 1
    except (_NotStaged, zlib.error, _inflate.error, EOFError):
        return None


def land(
    con: duckdb.DuckDBPyConnection, group: list[Staged]
) -> tuple[list[tuple[Staged, FileResult]], list[Staged]]:
    """Map and land a group of staged files; return their results and the files left over.

    The files left over are for the Python adapter: DuckDB could not read them, or they
    hold a record that only the adapter maps. Raises what interrupts the transaction (after
    rolling it back): nothing of the group is kept then. ``ct_rows`` numbers files by their
    place in ``group`` (``file_no``), whichever of them it holds.
    """
    unreadable = _map(con, group)
    if len(unreadable) == len(group):
        return [], group
    odd = unreadable | {
        file_no
        for (file_no,) in con.execute(
            "select distinct file_no from ct_rows where not regular"
        ).fetchall()
    }
    if odd - unreadable:
        con.execute("delete from ct_rows where list_contains(?, file_no)", [sorted(odd)])
    numbers = [number for number in range(len(group)) if number not in odd]
    left = [group[number] for number in sorted(odd)]
    for staged in left:
        log.info("%s: left to the CloudTrail adapter", staged.path)
    if not numbers:
        return [], left
    con.begin()
    try:
        ids = new_file_ids(con, len(numbers))
        file_ids: list[int | None] = [None] * len(group)
        paths: list[str | None] = [None] * len(group)
        for number, file_id in zip(numbers, ids, strict=True):
            file_ids[number] = file_id
            paths[number] = str(group[number].path)
        con.execute(sql_text("cloudtrail_bulk_repeats"))
        con.execute(sql_text("cloudtrail_bulk_insert"), {"ids": file_ids})
        counts = _counts(con, len(group))
        _reject_conflicts(con, file_ids, paths)
        kept = [group[number] for number in numbers]
        results = _record_files(
            con, kept, ids, {k: [v[n] for n in numbers] for k, v in counts.items()}
        )
        con.commit()
    except BaseException:
        roll_back(con)
        raise
    return list(zip(kept, results, strict=True)), left


def _map(con: duckdb.DuckDBPyConnection, group: list[Staged]) -> set[int]:
    """Fill ``ct_rows`` from the group; return the places of the files DuckDB cannot read.

    When the group fails as a whole (a damaged file, or too little memory for the group
    at once), each file is mapped alone, one after the other, and those that can be are
    kept, in the group's order.
    """
    con.execute(sql_text("cloudtrail_bulk_macros"))
    try:
        _run_map(con, group, set(range(len(group))))
        return set()
    except duckdb.Error as exc:
        if len(group) == 1:
            log.info("%s: DuckDB cannot read it (%s)", group[0].path, exc)
            return {0}
        log.info("a group of %d files failed (%s): mapping them one by one", len(group), exc)
    unreadable = set()
    con.execute("drop table if exists ct_mapped")
    for number, staged in enumerate(group):
        try:
            _run_map(con, group, {number})
        except duckdb.Error as exc:
            log.info("%s: DuckDB cannot read it (%s)", staged.path, exc)
            unreadable.add(number)
            continue
        con.execute("create temp table if not exists ct_mapped as from ct_rows limit 0")
        con.execute("insert into ct_mapped from ct_rows")
    if len(unreadable) < len(group):
        con.execute("create or replace temp table ct_rows as from ct_mapped")
    con.execute("drop table if exists ct_mapped")
    return unreadable


def _run_map(con: duckdb.DuckDBPyConnection, group: list[Staged], places: set[int]) -> None:
    """Map the files of ``group`` at ``places``; the group is read whole or staged, not both.

    ``file_no`` stays a file's place in the whole group, whichever of its files are read.
    """
    documents = group[0].array is None
    # The one name cloudtrail_bulk.sql reads from, bound to the reader of this group (a name
    # of cloudtrail_bulk_macros.sql, never a value).
    reader = "ct_documents" if documents else "ct_arrays"
    con.execute(
        f"create or replace temp macro ct_items(files, names, sizes, max_bytes) as table "
        f"from {reader}(files, names, sizes, max_bytes)"
    )
    con.execute(
        sql_text("cloudtrail_bulk"),
        {
            "files": [str(s.source) for n, s in enumerate(group) if n in places],
            "names": [str(s.source) for s in group],
            "sizes": [s.json_bytes for s in group],
            "max_object_bytes": DOCUMENT_BYTES if documents else MAX_OBJECT_BYTES,
        },
    )


def same_source(a: Staged, b: Staged) -> bool:
    """True when ``a`` and ``b`` may share a group: both read whole, or both staged."""
    return (a.array is None) == (b.array is None)


def _counts(con: duckdb.DuckDBPyConnection, files: int) -> dict[str, list[object]]:
    """Per file: records read, duplicates, conflicts, and the times of the loaded ones."""
    found = con.execute(
        """
        select
            r.file_no,
            count(*) as read,
            count(a.seq) filter (where a.verdict = 'duplicate') as duplicate,
            count(a.seq) filter (where a.verdict = 'conflict') as rejected,
            min(r.event_time) filter (where a.seq is null) as first_at,
            max(r.event_time) filter (where a.seq is null) as last_at
        from ct_rows as r
        left join ct_set_aside as a
            on a.seq = r.rowid
        group by r.file_no
        """
    ).fetchall()
    counts: dict[str, list[object]] = {
        "read": [0] * files,
        "duplicate": [0] * files,
        "rejected": [0] * files,
        "first_at": [None] * files,
        "last_at": [None] * files,
    }
    for file_no, read, duplicate, rejected, first_at, last_at in found:
        counts["read"][file_no] = read
        counts["duplicate"][file_no] = duplicate
        counts["rejected"][file_no] = rejected
        counts["first_at"][file_no] = first_at
        counts["last_at"][file_no] = last_at
    return counts


def _reject_conflicts(
    con: duckdb.DuckDBPyConnection, file_ids: list[int | None], paths: list[str | None]
) -> None:
    con.execute(
        """
        insert into rejected_records by name
        select
            $ids[r.file_no + 1] as file_id,
            $paths[r.file_no + 1] as path,
            'cloudtrail' as kind,
            'Records[' || r.idx || ']' as position,
            r.idx as record_index,
            'event_id' as field,
            'source_kind=cloudtrail, event_id=' || r.event_id || ' is already loaded with '
            || 'different content: ids must be unique, so this record is edited, synthetic '
            || 'or from another system; give it its own id' as reason,
            null as record_sha256
        from (
            select
                file_no,
                event_id,
                row_number() over (partition by file_no order by rowid) - 1 as idx,
                rowid as seq
            from ct_rows
        ) as r
        join ct_set_aside as a
            on a.seq = r.seq
        where a.verdict = 'conflict'
        """,
        {"ids": file_ids, "paths": paths},
    )


def _record_files(
    con: duckdb.DuckDBPyConnection,
    kept: list[Staged],
    ids: list[int],
    counts: dict[str, list[object]],
) -> list[FileResult]:
    now = datetime.now(UTC)
    results = []
    rows = []
    for number, (staged, file_id) in enumerate(zip(kept, ids, strict=True)):
        read = int(counts["read"][number])  # type: ignore[call-overload]
        duplicate = int(counts["duplicate"][number])  # type: ignore[call-overload]
        rejected = int(counts["rejected"][number])  # type: ignore[call-overload]
        loaded = read - duplicate - rejected
        results.append(
            FileResult(
                staged.path, KIND, "loaded", read, loaded, rejected, duplicate, file_id=file_id
            )
        )
        rows.append(
            {
                "file_id": file_id,
                "content_sha256": staged.digest,
                "path": str(staged.path),
                "kind": KIND,
                "size_bytes": staged.size,
                "status": "loaded",
                "error": None,
                "observed_at": staged.observed_at,
                "loaded_at": now,
                "records_read": read,
                "records_loaded": loaded,
                "records_rejected": rejected,
                "records_duplicate": duplicate,
                "first_record_at": counts["first_at"][number],
                "last_record_at": counts["last_at"][number],
                "toolkit_version": __version__,
            }
        )
        log.info(
            "loaded %s records from %s (%s), %s rejected, %s duplicate",
            f"{loaded:,}",
            staged.path,
            KIND,
            rejected,
            duplicate,
        )
    frame = pd.DataFrame(rows)
    frame["first_record_at"] = pd.to_datetime(frame["first_record_at"], utc=True)
    frame["last_record_at"] = pd.to_datetime(frame["last_record_at"], utc=True)
    write_file_rows(con, frame)
    return results
