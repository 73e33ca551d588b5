"""Curated incident tables as JSON lines: hand-kept lists of cloud-credential and secret-leak
incidents, one table row a line.

Two shapes are read. A row of a markdown table, ``{source_file, section, row: {column:
cell}, urls}`` (as the lists of AWS customer security incidents write them), and a dated
note, ``{date, headline, title, details, urls}`` (as lists of exposed-secret incidents do).
Each incident becomes a ``breaches`` row (``source_kind`` ``incident-list``): the name and
organisation from the row, the date as precise as it is written (``2023-08-14``,
``2023, August``, ``2023``), ``nhi_vector`` the root cause or what leaked, ``summary`` the
impact or the title, and ``source_url`` the first link, without user-info, query or
fragment (where a link may carry a token). Markdown links keep their text.

Tables of threat actors and of vulnerability disclosures in a provider's own services sit in
the same lists but are not incidents at an organisation: they are rejected with that reason,
so the count of what was read still adds up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import stable_id
from analytics.ingest.readers import RawRecord, iter_json
from analytics.redaction import quoted, safe_url

KIND = "incident-list"
NOT_INCIDENTS = {
    "ACTORS.md": "a threat-actor profile, not an incident at an organisation",
    "DISCLOSURE.md": "a vulnerability disclosed in a provider's own service, not an incident "
    "at an organisation",
}
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_TEXT_CHARS = 300


_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield one record per line."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one table row or dated note to a ``breaches`` row."""
    item = record.data
    if not isinstance(item, dict):
        raise RecordRejected("", f"expected an object, found {type(item).__name__}")
    urls = item.get("urls") or []
    source = next((u for u in urls if isinstance(u, str) and u.startswith("http")), None)
    if isinstance(item.get("row"), dict):
        return _table_row(item, source)
    if "headline" in item or "title" in item:
        return _note(item, source)
    raise RecordRejected("row", "expected a table row (row) or a dated note (headline)")


def _table_row(item: dict[str, Any], source: str | None) -> Rows:
    origin = str(item.get("source_file") or "")
    if origin in NOT_INCIDENTS:
        raise RecordRejected("source_file", f"{origin}: {NOT_INCIDENTS[origin]}; not loaded")
    row = {str(k): _plain(v) for k, v in item["row"].items()}
    name = row.get("Name") or row.get("Report") or row.get("Leak")
    if not name:
        raise RecordRejected("row", "names no incident (no Name, Report or Leak column)")
    when, precision = _date(row.get("Date"), "row.Date")
    vector = row.get("Root Cause") or row.get("Leak")
    return _breach(
        ("list", origin, item.get("section"), name, row.get("Date")),
        name=name,
        organisation=row.get("Name") or None,
        when=when,
        precision=precision,
        vector=vector,
        summary=row.get("Impact") or None,
        source=source,
    )


def _note(item: dict[str, Any], source: str | None) -> Rows:
    title = _plain(item.get("title") or item.get("headline"))
    if not title:
        raise RecordRejected("title", "is required but missing or empty")
    when, precision = _date(item.get("date"), "date")
    return _breach(
        ("note", title, item.get("date")),
        name=title,
        organisation=None,
        when=when,
        precision=precision,
        vector=_plain(item.get("details")) or None,
        summary=title,
        source=source,
    )


def _breach(key: tuple[object, ...], **fields: Any) -> Rows:
    vector, summary = fields["vector"], fields["summary"]
    return Rows().add(
        "breaches",
        {
            "breach_id": "list:" + stable_id(*key),
            "name": fields["name"][:120],
            "organisation": fields["organisation"],
            "disclosed_on": fields["when"],
            "date_precision": fields["precision"],
            "nhi_vector": vector[:_TEXT_CHARS] if vector else None,
            "summary": summary[:_TEXT_CHARS] if summary else None,
            "owasp_nhi": [],
            "source_url": safe_url(fields["source"]) if fields["source"] else None,
            "source_kind": KIND,
        },
    )


def _plain(value: object) -> str:
    """Cell text without markdown links' targets, trimmed."""
    return _LINK.sub(r"\1", str(value or "")).strip()


def _date(value: object, field: str) -> tuple[date | None, str | None]:
    """``2023-08-14`` (day), ``2023, August``, ``2023, Aug`` or ``August 2023`` (month),
    ``2023`` (year)."""
    raw = str(value or "").strip()
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), "day"
    except ValueError:
        pass
    words = [w for w in re.split(r"[\s,]+", raw.lower()) if w]
    years = [int(w) for w in words if w.isdigit() and len(w) == 4]
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if len(years) == 1 and len(words) == len(years) + len(months) and len(months) <= 1:
        month = months[0] if months else None
        return date(years[0], month or 1, 1), "month" if month else "year"
    raise RecordRejected(
        field, f"expected a date such as 2023-08-14 or 2023, August, found {quoted(raw, 40)}"
    )
