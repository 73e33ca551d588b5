"""Turn a source file into a stream of records, salvaging what can be read.

Every reader yields :class:`RawRecord` items: either a parsed record with its position in
the file, or an unreadable fragment with the reason. Nothing is dropped: a truncated
array gives its complete elements plus one unreadable fragment for the cut-off tail.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import re
import sys
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analytics.errors import InputError

log = logging.getLogger(__name__)


def _parse_int(digits: str) -> int | str:
    """An integer of JSON, or its digits as text when Python refuses to convert that many.

    Python will not turn more than 4,300 digits into an int (a guard against slow
    conversions), and raises from inside the parser. Such a number is kept as its digits:
    a field that needs a number or a time then rejects its record, instead of the parser
    failing the whole file.
    """
    if len(digits.lstrip("-")) > sys.get_int_max_str_digits() > 0:
        return digits
    return int(digits)


_DECODER = json.JSONDecoder(parse_int=_parse_int)


def parse_json(text: str) -> Any:
    """Parse a whole JSON document as :mod:`json` does, but safe to store.

    Numbers too long for an int are kept as text, and unpaired surrogate escapes become
    U+FFFD (:func:`without_surrogates`).

    Raises
    ------
    json.JSONDecodeError
        The text is not one JSON document.
    """
    document = _DECODER.decode(text)
    return without_surrogates(document) if SURROGATE_ESCAPE.search(text) else document


_WHITESPACE = " \t\r\n"
# A JSON or YAML escape of an unpaired UTF-16 surrogate (\ud800 to \udfff): a high one
# not followed by a low one, or a low one after no high one. A pair is one character;
# an unpaired one stands for none and cannot be stored as text.
SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


@dataclass(frozen=True)
class RawRecord:
    """One record as read from a file, before it is transformed.

    Attributes
    ----------
    position
        Where it is, for a person: ``"line 12"``, ``"Records[3]"``, ``"row 5"``.
    index
        Its 0-based order among the file's records.
    data
        The parsed record, or ``None`` when it could not be parsed.
    error
        Why it could not be parsed (``None`` when ``data`` is set).
    sha256
        Hash of the record's source text, to find it again without storing its content.
    """

    position: str
    index: int
    data: Any
    error: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class FileText:
    """The decoded text of a file and what went wrong while decoding it."""

    text: str
    truncated_at: int | None = None
    problem: str | None = None


def read_bytes(path: Path, raw: bytes | None = None) -> tuple[bytes, str | None]:
    """Return the file's bytes, decompressed when gzipped, and a truncation notice if any.

    A gzip stream that ends early yields what could be decompressed plus a notice; the
    caller turns the cut-off tail into a rejected record. ``raw`` saves a second read.
    """
    if raw is None:
        raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw, None
    try:
        return gzip.decompress(raw), None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        decomp = zlib.decompressobj(wbits=31)
        try:
            partial = decomp.decompress(raw)
        except zlib.error:
            partial = b""
        return partial, (
            f"the gzip stream is damaged or cut off ({exc}); {len(partial):,} bytes could be "
            f"decompressed and everything after them is lost: fetch the file again"
        )


def decode(data: bytes) -> FileText:
    """Decode UTF-8 (a byte-order mark is dropped); undecodable bytes become U+FFFD.

    The replacement is reported as a problem so the caller can warn with the offset.
    """
    try:
        return FileText(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return FileText(
            data.decode("utf-8-sig", errors="replace"),
            problem=f"bytes that are not UTF-8 at offset {exc.start} were replaced by U+FFFD",
        )


def text_sha256(text: str) -> str:
    """Return the hex SHA-256 of a record's source text."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def iter_json(text: str, container: str | None = None) -> Iterator[RawRecord]:
    """Yield the records of a JSON document, a JSON-lines file, or concatenated JSON.

    Parameters
    ----------
    text
        The whole file.
    container
        A key whose array holds the records when the document is an object (CloudTrail's
        ``Records``). An array document yields its elements; any other object is one record.

    Notes
    -----
    A document that does not parse is salvaged element by element: objects separated by
    whitespace or commas are still read (some exports omit the commas), and whatever
    cannot be parsed becomes one unreadable fragment with its byte offset. An unpaired
    surrogate escape (``"\\ud800"``) is read as U+FFFD, as undecodable bytes are.
    """
    records = _iter_json(text, container)
    if not SURROGATE_ESCAPE.search(text):
        yield from records
        return
    for record in records:
        yield replace(record, data=without_surrogates(record.data))


def without_surrogates(value: Any) -> Any:
    """Return a parsed JSON or YAML value with each unpaired surrogate replaced by U+FFFD.

    Parsers turn an escape such as ``\\ud800`` that has no partner into a lone surrogate:
    a string that cannot be encoded, and so neither fingerprinted nor stored. A valid pair
    is already one character by then and is kept.
    """
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_surrogates(item) for item in value]
    return value


def _iter_json(text: str, container: str | None) -> Iterator[RawRecord]:
    stripped = text.strip(_WHITESPACE)
    if not stripped:
        return
    try:
        document = parse_json(stripped)
    except json.JSONDecodeError:
        yield from _salvage(stripped, container)
        return
    if isinstance(document, dict) and container and isinstance(document.get(container), list):
        items = document[container]
        label = container
    elif isinstance(document, list):
        items = document
        label = ""
    else:
        yield RawRecord("document", 0, document, sha256=text_sha256(stripped))
        return
    for index, item in enumerate(items):
        yield RawRecord(f"{label}[{index}]", index, item)


def _salvage(text: str, container: str | None) -> Iterator[RawRecord]:
    """Read a damaged or multi-value document value by value; see :func:`iter_json`.

    Top-level values (JSON lines, concatenated documents, pages written back to back) are
    read one after another. An array, or an object holding ``container``, that does not
    parse as a whole is read element by element.
    """
    index = 0
    pos = _skip(text, 0)
    while pos < len(text):
        line = text.count("\n", 0, pos) + 1
        prefix = f"line {line} " if pos else ""
        try:
            value, stop = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            items_at = _items_start(text, pos, container)
            if items_at is not None:
                label = prefix + (container or "" if text[pos] == "{" else "")
                pos, index, complete = yield from _elements(text, items_at, label, index)
                if not complete:
                    return
                continue
            line_end = text.find("\n", pos)
            if line_end >= 0:
                yield RawRecord(
                    f"line {line}",
                    index,
                    None,
                    f"not valid JSON: {exc.msg}",
                    text_sha256(text[pos:line_end]),
                )
                index += 1
                pos = _skip(text, line_end + 1)
                continue
            yield _tail(text, pos, f"line {line}", index, exc)
            return
        items, label = _items(value, container)
        if items is None:
            yield RawRecord(f"line {line}", index, value, sha256=text_sha256(text[pos:stop]))
            index += 1
        else:
            for number, item in enumerate(items):
                yield RawRecord(f"{prefix}{label}[{number}]", index, item)
                index += 1
        pos = _skip(text, stop)


def _skip(text: str, pos: int, extra: str = ",") -> int:
    while pos < len(text) and (text[pos] in _WHITESPACE or text[pos] in extra):
        pos += 1
    return pos


def _items(value: Any, container: str | None) -> tuple[list[Any] | None, str]:
    if isinstance(value, list):
        return value, ""
    if isinstance(value, dict) and container and isinstance(value.get(container), list):
        return value[container], container
    return None, ""


def _items_start(text: str, pos: int, container: str | None) -> int | None:
    """Return where the elements of an array (or of ``container``) starting at pos begin."""
    if text[pos] == "[":
        return pos + 1
    if container and text[pos] == "{":
        found = text.find(f'"{container}"', pos, pos + 4096)
        bracket = text.find("[", found) if found >= 0 else -1
        if bracket >= 0:
            return bracket + 1
    return None


def _elements(
    text: str, pos: int, label: str, index: int
) -> Generator[RawRecord, None, tuple[int, int, bool]]:
    """Yield an array's elements one by one; return (position after it, index, complete)."""
    number = 0
    while True:
        pos = _skip(text, pos)
        if pos >= len(text):
            yield _tail(text, pos, f"{label}[{number}]", index, None)
            return pos, index + 1, False
        if text[pos] == "]":
            # Step over the closing bracket and, for a Records object, its closing brace.
            return _skip(text, pos + 1, ",}"), index, True
        try:
            value, stop = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield _tail(text, pos, f"{label}[{number}]", index, exc)
            return len(text), index + 1, False
        yield RawRecord(f"{label}[{number}]", index, value, sha256=text_sha256(text[pos:stop]))
        index += 1
        number += 1
        pos = stop


def _tail(
    text: str, pos: int, where: str, index: int, exc: json.JSONDecodeError | None
) -> RawRecord:
    why = f" ({exc.msg})" if exc else ""
    return RawRecord(
        where,
        index,
        None,
        f"not valid JSON from byte {pos:,} to the end of the file{why}: the file is cut off "
        f"or damaged there; fix or fetch it again",
        text_sha256(text[pos:]),
    )


def iter_csv(text: str) -> tuple[list[str], Iterator[RawRecord]]:
    """Return a CSV file's header and its rows as records keyed by column name.

    Row positions are 1-based line numbers of the file (the header is line 1). A row with
    more or fewer cells than the header is unreadable, never padded or cut.

    Raises
    ------
    InputError
        A column is named twice in the header: which of its cells is meant cannot be told.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return [], iter(())
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(
            f"line 1: the header names {', '.join(repr(n) for n in repeated)} more than once, "
            f"so which cell holds the value cannot be told; keep one column of each name"
        )

    def rows() -> Iterator[RawRecord]:
        index = 0
        for cells in reader:
            line = reader.line_num
            if not cells or all(not cell.strip() for cell in cells):
                continue
            digest = text_sha256(",".join(cells))
            if len(cells) != len(header):
                yield RawRecord(
                    f"line {line}",
                    index,
                    None,
                    f"has {len(cells)} cells where the header has {len(header)}: "
                    f"check for an unquoted comma or a missing cell",
                    digest,
                )
            else:
                yield RawRecord(
                    f"line {line}", index, dict(zip(header, cells, strict=True)), sha256=digest
                )
            index += 1

    return header, rows()
