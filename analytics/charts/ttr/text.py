"""Words and numbers of the time-to-remediate page: the period, the population, the labels.

Shared by :mod:`analytics.charts.ttr.figures` and :mod:`analytics.charts.ttr.tables`. A
value the data cannot give (a median when fewer than half were remediated) reads
"not reached".
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from analytics.metrics import parse_as_of

NOT_REACHED = "not reached"
CURVE_COLOUR = "#1f5f99"
BAND_COLOUR = "rgba(31, 95, 153, 0.18)"
SURVEY_COLOUR = "#b35c00"
MEDIAN_COLOUR = "#222222"
SURVEY_TEXT = (
    "Survey estimate: {days} days, a mean self-reported by practitioners "
    "(GitGuardian and CyberArk, 2024); not comparable one-to-one with the "
    "Kaplan-Meier median of this page"
)
EXCLUDED = "false positive, used in tests, pattern edited or deleted"


def detection_period(
    detected_from: str | None, detected_to: str | None
) -> tuple[datetime | None, datetime | None]:
    """Return the detection period ``[start, end)`` from the notebook's ISO parameters.

    A date alone is a whole UTC day: ``detected_from="2026-06-01"`` starts at its midnight
    and ``detected_to="2026-06-30"`` includes all of 30 June. A time (``2026-06-01T12:00Z``)
    is taken as given, in UTC when it has no offset. ``None`` or ``""`` leaves that side
    open.

    Raises
    ------
    ValueError
        A value is neither a date nor a time, or the period ends before it starts; the
        message names the parameter.
    """
    start = _bound("detected_from", detected_from, next_day=False)
    end = _bound("detected_to", detected_to, next_day=True)
    if start is not None and end is not None and end <= start:
        raise ValueError(
            f"detected_to ({detected_to}) must be later than detected_from ({detected_from})"
        )
    return start, end


def _bound(name: str, value: str | None, *, next_day: bool) -> datetime | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if "T" in text or " " in text:
            return parse_as_of(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{name} must be an ISO date such as 2026-06-01 or a time such as "
            f"2026-06-01T00:00:00Z; found {value!r}"
        ) from exc
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time.min, tzinfo=UTC)


def about(
    secrets: pd.DataFrame, start: datetime | None, end: datetime | None, as_of: datetime
) -> dict[str, str]:
    """Return the caption parts (``period``, ``population``, ``source``) of a secrets frame.

    ``secrets`` is :func:`analytics.metrics.ttr.secrets`, cut to the detection period
    ``[start, end)``. An open start is the first detection in ``secrets``; an open end, or
    one past the as-of, is the as-of. The population counts secrets, not findings, and
    names the excluded ones apart, because they are not in any rate.
    """
    first = start if start is not None else secrets["detected_at"].min()
    last = min(end - timedelta(microseconds=1), as_of) if end is not None else as_of
    if first is None or pd.isna(first):
        period = f"no detection up to {as_of:%Y-%m-%d} (UTC)"
    else:
        period = (
            f"detected {first:%Y-%m-%d} to {last:%Y-%m-%d}, followed to {as_of:%Y-%m-%d %H:%M} UTC"
        )
    excluded = int(secrets["excluded"].astype(bool).sum())
    population = f"{len(secrets) - excluded:,} leaked secrets (distinct fingerprints), " + (
        f"not counting {excluded:,} excluded ({EXCLUDED})" if excluded else "none excluded"
    )
    kinds = sorted({k for cell in secrets["sources"].dropna() for k in cell.split(", ")})
    source = (
        f"secret findings ({', '.join(kinds) or 'none loaded'}), "
        "credential inventories, CloudTrail"
    )
    return {"period": period, "population": population, "source": source}


def period_up_to(first: datetime | None, as_of: datetime) -> str:
    if first is None or pd.isna(first):
        return f"no detection up to {as_of:%Y-%m-%d} (UTC)"
    return f"detected {first:%Y-%m-%d} to {as_of:%Y-%m-%d} (UTC), all detections"


def group_labels(frame: pd.DataFrame, by: str) -> list[str]:
    return [f"{name} (n={n:,})" for name, n in zip(frame[by], frame["population"], strict=True)]


def missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def days_text(value: float | None, fallback: str = NOT_REACHED) -> str:
    """Days to one decimal, or ``fallback`` when the value is missing."""
    return fallback if missing(value) else f"{value:.1f}"


def median_text(
    median: float | None, low: float | None, high: float | None, fallback: str = NOT_REACHED
) -> str:
    """The median with its interval; the interval is left out when its low end is unknown."""
    if missing(low):
        return days_text(median, fallback)
    return f"{days_text(median)} ({ci_text(low, high)})"


def ci_text(low: float | None, high: float | None) -> str:
    return f"95% CI {days_text(low)} to {days_text(high)}"


def share_text(value: float | None) -> str:
    return "" if missing(value) else f"{value:.0%}"


def days_word(days: float) -> str:
    return "day" if days == 1 else "days"
