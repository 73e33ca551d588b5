"""TruffleHog reports: version 3 JSON lines, and version 2's JSON lines.

Version 3 (``trufflehog git … --json``) writes one finding a line: ``DetectorName``,
``Verified``, ``Raw``, ``RawV2``, ``Redacted``, ``ExtraData`` and ``SourceMetadata.Data``
with one entry per source (``Git``, ``Github``, ``Gitlab``, ``Filesystem``, ``S3``...)
that says where the secret was: repository, file, line, commit, author, commit time.

Version 2 (``trufflehog --json``, also trufflehog3's legacy format) writes ``reason``,
``path``, ``commitHash``, ``date``, ``branch`` and ``stringsFound``; its ``commit`` is the
commit *message*, and ``diff``/``printDiff`` quote the secret: none of them is kept.
Version 2 states no repository, and its ``date`` has no time zone (taken as UTC).

Secrets (``Raw``, ``RawV2``, ``stringsFound``) are kept only as a keyed fingerprint and a
preview. ``Raw`` is the secret's main part (for AWS, the key id), so its fingerprint is the
one that matches other sources; with several ``stringsFound`` the fingerprint is of all of
them, one per line. Caveats: a report states no scan time, so ``detected_at`` is the file's
snapshot time, the first time a finding was seen; a finding TruffleHog verified is
``active``, any other ``unknown`` (an unverified secret may still work).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import dig, flag, parse_time, require, stable_id, text
from analytics.ingest.findings import line_number, scanner_finding
from analytics.ingest.readers import RawRecord, iter_json

KIND = "trufflehog"

_STRICT_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_LAYOUT = frozenset("\n\r\t")
# Where each source type names the place a secret was found, most specific first.
_REPOSITORY = ("repository", "bucket", "image", "project")
_FILE = ("file", "path", "filename")
_AUTHOR = ("email", "username")


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the findings of a JSON-lines report (or a JSON array of findings)."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one finding (version 3, or version 2 by its ``stringsFound``) to a row."""
    finding = record.data
    if not isinstance(finding, dict):
        raise RecordRejected(
            "", f"expected a finding object, found a JSON {type(finding).__name__}"
        )
    if "DetectorName" not in finding and "stringsFound" in finding:
        return _transform_v2(finding, ctx)
    return _transform_v3(finding, ctx)


def decode_raw(value: str) -> str:
    """Return a ``Raw``/``RawV2`` value as text, decoding the base64 of older versions.

    TruffleHog 3 wrote these byte fields as base64 before it wrote them as plain strings,
    and a file does not say which. A value is decoded only when it is strict, padded
    base64 whose bytes are UTF-8 text with no control characters other than line breaks
    and tabs; a plain secret that happens to be valid base64 almost never decodes to such
    text, so it is kept as written.
    """
    compact = value.strip()
    if len(compact) < 4 or not _STRICT_BASE64.match(compact):
        return value
    try:
        decoded = base64.b64decode(compact, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value
    if decoded.strip() and all(ch.isprintable() or ch in _LAYOUT for ch in decoded):
        return decoded
    return value


def _transform_v3(finding: dict[str, Any], ctx: Context) -> Rows:
    detector = require(finding, "DetectorName")
    source_type, where = _source(finding)
    raw = _raw(finding, "Raw")
    raw_v2 = _raw(finding, "RawV2")
    secret = raw or raw_v2
    quoted = [
        raw,
        raw_v2,
        _raw(finding, "Raw", decoded=False),
        _raw(finding, "RawV2", decoded=False),
    ]
    repository = _pick(where, _REPOSITORY)
    file_path = _pick(where, _FILE)
    commit = text(where, "commit")
    line = line_number(where, "line")
    fingerprint = ctx.fingerprinter.fingerprint(secret) if secret else None
    row = {
        "finding_id": "trufflehog:"
        + stable_id(source_type, repository, commit, file_path, line, detector, fingerprint),
        "source_ref": text(where, "link"),
        "secret_type": detector,
        "detector": text(finding, "DetectorDescription") or detector,
        "repository": repository,
        "file_path": file_path,
        "line": line,
        "commit_sha": commit,
        "committed_at": parse_time(
            where.get("timestamp"), f"SourceMetadata.Data.{source_type}.timestamp"
        ),
        "author": _pick(where, _AUTHOR),
        "validity": "active" if flag(finding, "Verified") else "unknown",
    }
    redacted = finding.get("Redacted") if isinstance(finding.get("Redacted"), str) else None
    return scanner_finding(ctx, row, secret, quoted=quoted, key_sources=[raw_v2, redacted])


def _transform_v2(finding: dict[str, Any], ctx: Context) -> Rows:
    reason = require(finding, "reason")
    strings = finding.get("stringsFound")
    if not isinstance(strings, list) or not strings:
        raise RecordRejected("stringsFound", "expected a non-empty list of the strings found")
    if not all(isinstance(item, str) for item in strings):
        raise RecordRejected("stringsFound", "expected text items, found another JSON type")
    secret = "\n".join(item.strip() for item in strings)
    commit = text(finding, "commitHash")
    file_path = text(finding, "path")
    fingerprint = ctx.fingerprinter.fingerprint(secret)
    row = {
        "finding_id": "trufflehog:" + stable_id("v2", commit, file_path, reason, fingerprint),
        "source_ref": None,
        "secret_type": reason,
        "detector": reason,
        "repository": None,
        "file_path": file_path,
        "line": None,
        "commit_sha": commit,
        "committed_at": parse_time(finding.get("date"), "date"),
        "author": None,
    }
    return scanner_finding(ctx, row, secret, quoted=strings, key_sources=strings)


def _source(finding: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Return the source type (``Git``, ``Filesystem``...) and its metadata object."""
    data = dig(finding, "SourceMetadata.Data")
    if data is None:
        return None, {}
    if not isinstance(data, dict):
        raise RecordRejected("SourceMetadata.Data", "expected an object naming the source")
    for source_type, where in data.items():
        if isinstance(where, dict):
            return source_type, where
    return None, {}


def _raw(finding: dict[str, Any], field: str, *, decoded: bool = True) -> str | None:
    value = finding.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordRejected(field, f"expected text, found a JSON {type(value).__name__}")
    return decode_raw(value) if decoded else value


def _pick(where: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = text(where, name)
        if value is not None:
            return value
    return None
