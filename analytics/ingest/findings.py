"""What the secret-finding adapters share: building a ``secret_findings`` row safely.

:func:`finding_row` is the one place where a secret value meets a row: it scrubs every
text column, keeps only the keyed fingerprint and a preview, extracts an AWS key id, and
hashes the row's content so that an unchanged re-export is a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Row, Rows
from analytics.ingest.fields import dig
from analytics.ingest.secret_kinds import repository_name, secret_family
from analytics.redaction import hash_id, preview, quoted, scrub

STATES = frozenset({"open", "resolved"})
VALIDITIES = frozenset({"active", "inactive", "unknown"})
# Access-key ids are identifiers, not secrets: findings join to credentials by them.
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_KEY_ID_PREFIX = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
# Columns that must never be rewritten by scrubbing (hashes and the key id itself).
_NOT_SCRUBBED = frozenset(
    {"credential_key_id", "secret_fingerprint", "secret_preview", "secret_hash_id"}
)
# The warehouse keeps line numbers as 64-bit integers; no file has more lines.
MAX_LINE = 2**63 - 1
_DIGITS = len(str(MAX_LINE))
# Columns left out of the row hash: where and when the row was seen, not what it says.
_NOT_HASHED = frozenset({"file_id", "observed_at", "row_sha256"})


def finding_row(
    ctx: Context,
    row: Row,
    secret: str | None,
    *,
    quoted: Iterable[str | None] = (),
    key_sources: Iterable[str | None] = (),
    detected_at_is_observation: bool = False,
) -> Row:
    """Complete a ``secret_findings`` row without letting a secret value into it.

    Parameters
    ----------
    ctx
        The file's context (its fingerprinter).
    row
        The finding's columns, before secrets are handled. Every text column is scrubbed
        of ``secret`` and ``quoted`` (a path or author that happens to contain them).
    secret
        The secret value, or ``None`` when the source holds none (a webhook, a redacted
        report). Kept only as ``secret_fingerprint`` and ``secret_preview``.
    quoted
        Other source values that contain the secret (a match with its context, a line).
    key_sources
        Values searched, after ``secret``, for an AWS access-key id.
    detected_at_is_observation
        True when ``detected_at`` is only the file's snapshot time (the scanner reports
        state no scan time). It is then left out of ``row_sha256``, so a later scan that
        finds the same thing is a duplicate and ``detected_at`` stays the first sighting.

    Returns
    -------
    Row
        The row with ``secret_fingerprint``, ``secret_preview``, ``credential_key_id``,
        ``secret_family`` and ``row_sha256`` set, and ``repository`` in its one spelling
        (:mod:`analytics.ingest.secret_kinds`).
    """
    if row["state"] not in STATES or row["validity"] not in VALIDITIES:
        raise AssertionError(f"adapter set state {row['state']!r}, validity {row['validity']!r}")
    secrets = [value for value in (secret, *quoted) if value and value.strip()]
    named = {
        **row,
        "repository": repository_name(row.get("repository")),
        "secret_family": secret_family(row.get("secret_type"), row.get("detector")),
    }
    out: Row = {
        column: scrub(value, *secrets) if isinstance(value, str) else value
        for column, value in named.items()
        if column not in _NOT_SCRUBBED
    }
    out["secret_fingerprint"] = ctx.fingerprinter.fingerprint(secret) if secret else None
    out["secret_preview"] = preview(secret) if secret else None
    out["secret_hash_id"] = hash_id(secret) if secret else None
    out["credential_key_id"] = aws_key_id(secret, *key_sources)
    hashed = {
        column: value
        for column, value in out.items()
        if column not in _NOT_HASHED
        and not (detected_at_is_observation and column == "detected_at")
    }
    out["row_sha256"] = hashlib.sha256(
        json.dumps(hashed, sort_keys=True, default=_json_value).encode()
    ).hexdigest()
    return out


def aws_key_id(*values: str | None) -> str | None:
    """Return the first AWS access-key id (``AKIA…``/``ASIA…``) found in the values.

    A value that starts with a key id directly followed by more characters (TruffleHog's
    ``RawV2`` is the key id and the secret key run together) gives that key id too.
    """
    for value in values:
        if not value:
            continue
        found = AWS_KEY_ID.search(value) or _KEY_ID_PREFIX.match(value)
        if found:
            return found.group(0)
    return None


def line_number(record: Any, path: str) -> int | None:
    """Return a 1-based line number (a JSON number or digits), ``None`` when absent or 0."""
    value = dig(record, path)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= _DIGITS:
        number = int(value.strip())
    else:
        raise RecordRejected(path, f"expected a line number, found {quoted(value, 20)}")
    if number > MAX_LINE:
        raise RecordRejected(
            path,
            f"expected a line number, found {str(number)[:20]}… ({len(str(number))} digits), "
            f"more lines than any file holds: the report is damaged, fetch it again",
        )
    return number if number > 0 else None


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def scanner_finding(
    ctx: Context,
    columns: Row,
    secret: str | None,
    *,
    quoted: Iterable[str | None] = (),
    key_sources: Iterable[str | None] = (),
) -> Rows:
    """Rows for one finding of a scanner report (gitleaks, TruffleHog).

    A report is a scan, not a tracker: every finding is open, and it was detected when the
    report was taken (the file's snapshot time). Validity is unknown unless ``columns``
    says otherwise (TruffleHog's verified findings are active).
    """
    row: Row = {
        "source_kind": ctx.kind,
        "detected_at": ctx.observed_at,
        "state": "open",
        "resolution": None,
        "resolved_at": None,
        "resolved_by": None,
        "validity": "unknown",
        "publicly_leaked": None,
        "push_protection_bypassed": None,
        **columns,
    }
    return Rows().add(
        "secret_findings",
        finding_row(
            ctx,
            row,
            secret,
            quoted=quoted,
            key_sources=key_sources,
            detected_at_is_observation=True,
        ),
    )
