"""Gitleaks JSON reports: version 8 (``RuleID``, ``Secret``...) and version 7 (``rule``...).

Accepted shapes: the JSON array gitleaks writes with ``--report-format json``, one finding
per line, or a single finding. Version 8 fields: ``RuleID``, ``Description``, ``Secret``,
``Match``, ``File``, ``StartLine``, ``Commit``, ``Author``, ``Email``, ``Date``, ``Link``,
``Fingerprint``; version 7 fields: ``rule``, ``offender``, ``line``, ``lineNumber``,
``file``, ``commit``, ``repo``, ``repoURL``, ``leakURL``, ``author``, ``email``, ``date``.

What is kept: where the secret was committed (repository, file, line, commit, author,
commit time) and which rule found it. The secret (``Secret``, version 7's ``offender``) is
kept only as a keyed fingerprint and a preview; ``Match`` and the source line (``Line``,
version 7's ``line``) quote it and are not kept, nor are commit messages.

Caveats: a report states no scan time, so ``detected_at`` is the file's snapshot time
(``--as-of`` or its modification time), the first time the finding was seen. Gitleaks
reports only open leaks and never checks whether a secret works: every finding is
``open`` with validity ``unknown``. A version 7 ``offender`` is often the whole assignment
(``TOKEN="…"``); the quoted value is taken as the secret so that its fingerprint matches
other sources'. A report written with ``--redact`` holds ``REDACTED`` instead of the secret
and gives findings without a fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import parse_time, stable_id, text
from analytics.ingest.findings import line_number, scanner_finding
from analytics.ingest.readers import RawRecord, iter_json

KIND = "gitleaks"

_REDACTED = "REDACTED"
# A version 7 offender that is an assignment: NAME = "value" (or : 'value').
_ASSIGNMENT = re.compile(r"""^\s*[\w.\-]+\s*[:=]{1,2}\s*(["'])(.+)\1\s*[,;]?\s*$""")
# Version 8 name first, then version 7's, for each value read.
_FIELDS: dict[str, tuple[str, ...]] = {
    "rule": ("RuleID", "rule"),
    "description": ("Description", "rule"),
    "file": ("File", "file"),
    "line": ("StartLine", "lineNumber"),
    "commit": ("Commit", "commit"),
    "author": ("Author", "author"),
    "email": ("Email", "email"),
    "date": ("Date", "date"),
    "repository": ("repoURL", "repo"),
    "link": ("Link", "leakURL"),
}


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the findings of a report array, a JSON-lines file or a single finding."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one finding to a ``secret_findings`` row."""
    finding = record.data
    if not isinstance(finding, dict):
        raise RecordRejected(
            "", f"expected a finding object, found a JSON {type(finding).__name__}"
        )
    rule = _first(finding, "rule")
    if rule is None:
        raise RecordRejected("RuleID", "is required but missing or empty (no RuleID or rule)")
    secret = _secret(finding)
    quoted = [_raw(finding, name) for name in ("Secret", "Match", "Line", "offender", "line")]
    repository = _first(finding, "repository")
    repository = None if repository == "." else repository
    file_path = _first(finding, "file")
    commit = _first(finding, "commit")
    line = _line(finding)
    native = text(finding, "Fingerprint")
    fingerprint = ctx.fingerprinter.fingerprint(secret) if secret else None
    finding_id = "gitleaks:" + (
        native or stable_id(repository, commit, file_path, rule, line, fingerprint)
    )
    date_field = "Date" if "Date" in finding else "date"
    row = {
        "finding_id": finding_id,
        "source_ref": _first(finding, "link"),
        "secret_type": rule,
        "detector": _first(finding, "description"),
        "repository": repository,
        "file_path": file_path,
        "line": line,
        "commit_sha": commit,
        "committed_at": parse_time(finding.get(date_field), date_field),
        "author": _author(finding),
    }
    return scanner_finding(ctx, row, secret, quoted=quoted, key_sources=quoted)


def _first(finding: dict[str, Any], name: str) -> str | None:
    for path in _FIELDS[name]:
        if path in finding:
            value = text(finding, path)
            if value is not None:
                return value
    return None


def _line(finding: dict[str, Any]) -> int | None:
    for path in _FIELDS["line"]:
        if finding.get(path) is not None:
            return line_number(finding, path)
    return None


def _raw(finding: dict[str, Any], path: str) -> str | None:
    """Return a field holding (part of) the secret, as written: never stripped or parsed."""
    value = finding.get(path)
    if value is None or isinstance(value, str):
        return value
    raise RecordRejected(path, f"expected text, found a JSON {type(value).__name__}")


def _secret(finding: dict[str, Any]) -> str | None:
    """Return the secret: version 8's ``Secret``, else version 7's ``offender``."""
    secret = _raw(finding, "Secret")
    if secret is None:
        offender = _raw(finding, "offender")
        assignment = _ASSIGNMENT.match(offender) if offender else None
        secret = assignment.group(2) if assignment else offender
    if secret is None or not secret.strip() or secret.strip() == _REDACTED:
        return None
    return secret


def _author(finding: dict[str, Any]) -> str | None:
    name, email = _first(finding, "author"), _first(finding, "email")
    if name and email:
        return f"{name} <{email}>"
    return name or email
