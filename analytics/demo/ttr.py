"""The ``ttr`` section of ``planted.json``: time to remediate leaked secrets, from the files.

The unit is one leaked secret, with every finding of it in the three sources. At an as-of
``T`` the population is the secrets with a finding detected at or before ``T``, less those
whose GitHub alert was resolved by ``T`` as a mistake or a test value (``EXCLUDING``,
counted apart by resolution). A secret's start is its first detection by ``T``: the
alert's ``created_at``, or the time of the first scan report holding a gitleaks or
TruffleHog finding of it. Its end is the first evidence by ``T`` that it stopped working:

* the GitHub alert resolved as ``revoked``, at ``resolved_at``;
* for an AWS key, an ``UpdateAccessKey`` (to ``Inactive``) or ``DeleteAccessKey`` of it;
* for another secret, its ``credentials.csv`` row, found by fingerprint, with a stopped
  status and ``revoked_at``, or with ``last_rotated_at`` after the leak's commit.

Evidence older than the start gives a duration of 0. A secret with no evidence by ``T``
is censored at ``T``. Durations are in days (seconds / 86,400, rounded to 6 decimals).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics.demo import fake
from analytics.demo.remediation import MEDIAN_DAYS, SIGMA

EXCLUDING = frozenset({"false_positive", "used_in_tests", "pattern_edited", "pattern_deleted"})
STOPPED = frozenset({"inactive", "revoked", "deleted"})
EARLIER_CUT = timedelta(days=60)
AWS_KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")


@dataclass
class _Secret:
    """What the files say about one leaked secret."""

    detected: list[datetime] = field(default_factory=list)
    committed: list[datetime] = field(default_factory=list)
    excluded: list[tuple[datetime, str]] = field(default_factory=list)
    stopped: list[datetime] = field(default_factory=list)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _secrets(
    alerts: list[dict[str, Any]], reports: list[tuple[datetime, str, datetime]]
) -> dict[str, _Secret]:
    """Gather detections, commits and GitHub resolutions by secret value."""
    secrets: dict[str, _Secret] = {}
    for alert in alerts:
        found = secrets.setdefault(alert["secret"], _Secret())
        found.detected.append(_parse(alert["created_at"]))
        if alert["state"] != "resolved":
            continue
        resolved = _parse(alert["resolved_at"])
        if alert["resolution"] == "revoked":
            found.stopped.append(resolved)
        elif alert["resolution"] in EXCLUDING:
            found.excluded.append((resolved, alert["resolution"]))
    for scanned, secret, committed in reports:
        found = secrets.setdefault(secret, _Secret())
        found.detected.append(scanned)
        found.committed.append(committed)
    return secrets


def _add_stops(
    secrets: dict[str, _Secret],
    key_stops: dict[str, list[datetime]],
    credentials: list[dict[str, str]],
) -> None:
    """Add CloudTrail and inventory evidence that a secret stopped working."""
    rows = {row["credential_id"]: row for row in credentials}
    for secret, found in secrets.items():
        if AWS_KEY_ID.fullmatch(secret):
            found.stopped += key_stops.get(secret, [])
            continue
        row = rows.get(fake.fingerprint(secret))
        if row is None:
            continue
        if row["status"] in STOPPED and row["revoked_at"]:
            found.stopped.append(_parse(row["revoked_at"]))
        # An alert states no commit time: its creation, minutes after the push, stands in.
        committed = min(found.committed or found.detected)
        if row["last_rotated_at"] and _parse(row["last_rotated_at"]) > committed:
            found.stopped.append(_parse(row["last_rotated_at"]))


def _days(span: timedelta) -> float:
    return round(span.total_seconds() / 86_400, 6)


def _snapshot(secrets: dict[str, _Secret], never: set[str], as_of: datetime) -> dict[str, Any]:
    durations: list[tuple[float, bool]] = []
    excluded: Counter[str] = Counter()
    unfixed = 0
    for secret, found in secrets.items():
        seen = [t for t in found.detected if t <= as_of]
        if not seen:
            continue
        triaged = sorted(e for e in found.excluded if e[0] <= as_of)
        if triaged:
            excluded[triaged[0][1]] += 1
            continue
        start = min(seen)
        unfixed += secret in never
        stops = [t for t in found.stopped if t <= as_of]
        if stops:
            durations.append((_days(max(min(stops) - start, timedelta(0))), True))
        else:
            durations.append((_days(as_of - start), False))
    durations.sort()
    remediated = sum(observed for _, observed in durations)
    return {
        "as_of": fake.iso_z(as_of),
        "population": len(durations),
        "remediated": remediated,
        "censored": len(durations) - remediated,
        "excluded": dict(sorted(excluded.items())),
        "never_remediated": unfixed,
        "durations": [[days, observed] for days, observed in durations],
    }


def ttr_section(
    end: datetime,
    alerts: list[dict[str, Any]],
    reports: list[tuple[datetime, str, datetime]],
    key_stops: dict[str, list[datetime]],
    credentials: list[dict[str, str]],
    never: set[str],
) -> dict[str, Any]:
    """Time to remediate as the written files show it, at ``end`` and 60 days earlier.

    Parameters
    ----------
    end
        The end of the period; the second snapshot is taken ``EARLIER_CUT`` before it.
    alerts
        GitHub secret-scanning alerts as written.
    reports
        ``(scan time, secret, commit time)`` for every finding of every gitleaks and
        TruffleHog report.
    key_stops
        Times of ``UpdateAccessKey`` (to ``Inactive``) and ``DeleteAccessKey`` calls in
        CloudTrail, by access key id.
    credentials
        Rows of ``credentials.csv``.
    never
        Secrets the demo never fixes; only counted (``never_remediated``), as the planted
        share of the population that a survival curve levels off at.

    Returns
    -------
    dict
        ``distribution``, the delay drawn from detection to fix, and ``snapshots``, one
        per as-of: counts, excluded by resolution, and sorted ``[days, observed]`` pairs.
    """
    secrets = _secrets(alerts, reports)
    _add_stops(secrets, key_stops, credentials)
    return {
        "distribution": {
            "kind": "lognormal",
            "median_days": MEDIAN_DAYS,
            "sigma": SIGMA,
            "measured_from": "first detection",
        },
        "snapshots": [_snapshot(secrets, never, as_of) for as_of in (end, end - EARLIER_CUT)],
    }
