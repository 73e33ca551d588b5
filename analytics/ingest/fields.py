"""Small, strict helpers that adapters use to pull typed values out of records.

Each helper raises :class:`~analytics.errors.RecordRejected` naming the field and what was
expected, so a bad value rejects its record with a reason instead of a traceback.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from analytics.errors import RecordRejected
from analytics.redaction import quoted

_MISSING = {"", "N/A", "n/a", "not_supported", "no_information", "null", "None"}
_ZERO_TIME_YEAR = 1


def dig(record: Any, path: str) -> Any:
    """Return ``record[a][b]...`` for ``path = "a.b..."``, or ``None`` where a level is absent.

    A level that exists but is not an object (a string where an object belongs) also gives
    ``None``; :func:`require` turns that into a rejection when the field is needed.
    """
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def text(record: Any, path: str) -> str | None:
    """Return a scalar field as text; absent, empty or ``N/A``-like values give ``None``.

    Raises
    ------
    RecordRejected
        The field holds an object or an array where text belongs.
    """
    value = dig(record, path)
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, (dict, list)):
        raise RecordRejected(path, f"expected text, found a JSON {type(value).__name__}")
    out = str(value).strip()
    return None if out in _MISSING else out


def require(record: Any, path: str) -> str:
    """Return a field that must be present and non-empty, else reject the record."""
    if not isinstance(record, dict):
        raise RecordRejected("", f"expected a JSON object, found {type(record).__name__}")
    value = text(record, path)
    if value is None:
        raise RecordRejected(path, "is required but missing or empty")
    return value


def parse_time(value: Any, field: str) -> datetime | None:
    """Parse an ISO 8601 time (or a date, read as midnight UTC) into an aware UTC datetime.

    Accepts the shapes the sources write: ``2026-11-30T08:15:00Z``, ``...+00:00``,
    fractional seconds, ``2026-11-30 08:15:00``, TruffleHog's ``2022-06-16 10:17:40 -0700``
    and epoch seconds or milliseconds as numbers. ``0001-01-01`` (Go's zero time) and the
    missing markers give ``None``. Naive times are taken as UTC.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise RecordRejected(field, f"expected a time, found the number {value}") from exc
    if not isinstance(value, str):
        raise RecordRejected(field, f"expected a time, found a JSON {type(value).__name__}")
    raw = value.strip()
    if raw in _MISSING:
        return None
    parsed = _parse_iso(raw)
    if parsed is None:
        raise RecordRejected(
            field,
            f"expected an ISO 8601 time such as 2026-11-30T08:15:00Z, found {quoted(raw, 60)}",
        )
    if parsed.year == _ZERO_TIME_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_iso(raw: str) -> datetime | None:
    candidate = raw.replace("Z", "+00:00") if raw.endswith("Z") else raw
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    parts = raw.split()
    # TruffleHog writes "2022-06-16 10:17:40 -0700 -0700": date, time, offset, zone name.
    if len(parts) >= 3 and parts[2][:1] in "+-" and parts[2][1:].isdigit():
        try:
            return datetime.fromisoformat(f"{parts[0]}T{parts[1]}{parts[2]}")
        except ValueError:
            return None
    try:
        return datetime.combine(date.fromisoformat(raw), datetime.min.time())
    except ValueError:
        return None


def time_field(record: Any, path: str) -> datetime | None:
    """Return the field at ``path`` parsed with :func:`parse_time`."""
    return parse_time(dig(record, path), path)


def flag(record: Any, path: str) -> bool | None:
    """Return a boolean field; accepts JSON booleans and ``true``/``false`` text."""
    value = dig(record, path)
    if value is None or isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"true", "yes", "1"}:
        return True
    if lowered in {"false", "no", "0"}:
        return False
    if lowered in _MISSING or lowered in {"not_supported"}:
        return None
    raise RecordRejected(path, f"expected true or false, found {quoted(value, 40)}")


def stable_id(*parts: object) -> str:
    """Return a short, stable id made from the given parts (for rows with no native id)."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:24]
