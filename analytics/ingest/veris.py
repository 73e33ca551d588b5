"""VERIS incidents (the VERIS Community Database, VCDB): JSON, one incident an object or a line.

Each incident becomes a ``breaches`` row (``source_kind`` ``veris``): ``breach_id`` is
``veris:`` and the incident id, the organisation the victim id, the date the incident's
(``timeline.incident``: year, month and day, as precise as the record is), ``nhi_vector``
the actions it names (``hacking: Use of stolen creds; malware: Backdoor``), ``summary``
the record's summary and ``source_url`` the first web address in ``reference``, without
user-info, query or fragment (where a link may carry a token).

VERIS has no notion of a non-human identity and no OWASP category: ``owasp_nhi`` stays empty
and ``credential_type`` is ``other`` only when the record says stolen credentials were used.
Incidents are loaded whether or not a credential was involved, so a count of VCDB's stolen-
credential incidents can be set against all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import require, text
from analytics.ingest.readers import RawRecord, iter_json
from analytics.redaction import safe_url

KIND = "veris"
STOLEN_CREDENTIALS = "Use of stolen creds"
_URL = re.compile(r"https?://[^\s;,()]+")
_SUMMARY_CHARS = 500


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield one record per incident (JSON lines, an array, or a single incident)."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one incident to a ``breaches`` row."""
    incident = record.data
    if not isinstance(incident, dict):
        raise RecordRejected("", f"expected an incident object, found {type(incident).__name__}")
    incident_id = require(incident, "incident_id")
    when, precision = _incident_date(incident.get("timeline"))
    actions = _actions(incident.get("action"))
    summary = text(incident, "summary")
    victim = text(incident, "victim.victim_id")
    reference = text(incident, "reference") or ""
    found = _URL.search(reference)
    return Rows().add(
        "breaches",
        {
            "breach_id": f"veris:{incident_id}",
            "name": (summary or victim or incident_id)[:120],
            "organisation": victim,
            "disclosed_on": when,
            "date_precision": precision,
            "credential_type": "other" if STOLEN_CREDENTIALS in actions else None,
            "nhi_vector": actions or None,
            "summary": summary[:_SUMMARY_CHARS] if summary else None,
            "owasp_nhi": [],
            "source_url": safe_url(found.group(0)) if found else None,
            "source_kind": KIND,
        },
    )


def _incident_date(timeline: Any) -> tuple[date | None, str | None]:
    """The incident's date as precise as the record gives it: day, month or year."""
    incident = timeline.get("incident") if isinstance(timeline, dict) else None
    if not isinstance(incident, dict) or incident.get("year") is None:
        return None, None
    try:
        year = int(incident["year"])
        month = int(incident.get("month") or 1)
        day = int(incident.get("day") or 1)
        when = date(year, month, day)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RecordRejected(
            "timeline.incident", f"expected a year, month and day that form a date: {exc}"
        ) from exc
    precision = "day" if incident.get("day") else "month" if incident.get("month") else "year"
    return when, precision


def _actions(action: Any) -> str:
    """``category: variety`` for every action variety the incident names, in record order."""
    if not isinstance(action, dict):
        return ""
    parts = []
    for category, details in action.items():
        varieties = details.get("variety") if isinstance(details, dict) else None
        for variety in varieties if isinstance(varieties, list) else []:
            parts.append(f"{category}: {variety}")
    return "; ".join(parts)
