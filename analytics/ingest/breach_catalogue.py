"""The toolkit's catalogue of public non-human-identity breaches (``data/reference/``).

A CSV, one incident a row (``docs/frameworks.md``): ``breach_id``, ``disclosed_on``
(``date_precision`` ``day`` or ``month``), ``organisation``, ``credential_type``,
``exposure`` (how the credential was exposed), ``reached`` (what the attacker reached),
``owasp_nhi`` (OWASP NHI Top 10 2025 ids separated by ``;``), ``source_url`` and
``second_source_url``. Each row is one ``breaches`` row; ``nhi_vector`` holds the exposure
and ``summary`` what was reached. The descriptions are the catalogue's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import require, text, time_field
from analytics.ingest.readers import RawRecord, iter_csv
from analytics.redaction import quoted

KIND = "nhi-breach-catalogue"
COLUMNS = (
    "breach_id",
    "disclosed_on",
    "date_precision",
    "organisation",
    "credential_type",
    "exposure",
    "reached",
    "owasp_nhi",
    "source_url",
    "second_source_url",
)
_NHI_ID = re.compile(r"^NHI(10|[1-9]):2025$")


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the catalogue's rows; a header without the catalogue's columns fails the file."""
    header, rows = iter_csv(text_)
    missing = [c for c in COLUMNS if c not in header]
    if header and missing:
        raise InputError(
            f"not the breach catalogue: columns {', '.join(missing)} are missing from the "
            f"header (expected {', '.join(COLUMNS)})"
        )
    yield from rows


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one incident to a ``breaches`` row."""
    row = record.data
    disclosed = time_field(row, "disclosed_on")
    if disclosed is None:
        raise RecordRejected("disclosed_on", "is required but missing or empty")
    categories = [part.strip() for part in require(row, "owasp_nhi").split(";") if part.strip()]
    wrong = [c for c in categories if not _NHI_ID.match(c)]
    if wrong:
        raise RecordRejected(
            "owasp_nhi",
            f"expected ids NHI1:2025 to NHI10:2025, found {quoted(', '.join(wrong), 60)}",
        )
    organisation = require(row, "organisation")
    source = require(row, "source_url")
    if not source.startswith("https://"):
        raise RecordRejected("source_url", f"expected an https URL, found {quoted(source, 60)}")
    return Rows().add(
        "breaches",
        {
            "breach_id": require(row, "breach_id"),
            "name": f"{organisation} ({disclosed:%Y})",
            "organisation": organisation,
            "disclosed_on": disclosed.date(),
            "date_precision": text(row, "date_precision"),
            "credential_type": require(row, "credential_type"),
            "nhi_vector": require(row, "exposure"),
            "summary": require(row, "reached"),
            "owasp_nhi": categories,
            "source_url": source,
            "second_source_url": text(row, "second_source_url"),
            "source_kind": KIND,
        },
    )
