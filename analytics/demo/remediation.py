"""When leaks are detected, how they are triaged, and when the leaked secrets stop working.

Detection: GitHub raises its alert minutes after the push; gitleaks and TruffleHog run a
full scan of the history once a week (:func:`scan_times`) and find a leak in the first
scan after its commit. A leak's detection is the earliest of these.

Remediation has a known shape, so that a time-to-remediate estimate can be checked
against it: a credential leak that gets fixed is fixed ``lognormal(log(MEDIAN_DAYS),
SIGMA)`` days after its detection. A share of the credential leaks is never fixed (alerts
left open or closed as ``wont_fix``), and so are the live keys that triage wrongly closes
as ``false_positive`` or ``used_in_tests``. Noise matches no credential and has nothing to
fix. A drawn fix that would fall after the end of the period has not happened yet.

A fix leaves the evidence a time-to-remediate measure reads: for an AWS key, an
``UpdateAccessKey`` to ``Inactive`` or a ``DeleteAccessKey`` at the fix (the workload
first moves to a new key when the user has no other); for a token, ``revoked`` in the
inventory with ``revoked_at`` at the fix, or a rotation, ``last_rotated_at`` at the fix.
GitHub's alert, where there is one, is closed as ``revoked`` some hours later.

Two triage mistakes are planted on purpose, for the checks that doubt a ``revoked``
resolution (:func:`_false_revocations`): the alert of one AWS key still in use, and of one
token, is closed as ``revoked`` although nobody touched the credential.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from analytics.demo.keys import add_access_key
from analytics.demo.model import Credential, Identity, World, steer_clear

if TYPE_CHECKING:
    from analytics.demo.leaks import Leak

MEDIAN_DAYS = 9.0
SIGMA = 1.0
# Share of the credential leaks triaged as real that nobody ever fixes.
NEVER_FIXED = 0.1
SCAN_EVERY = timedelta(days=7)
SCAN_HOUR = 2

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def scan_times(world: World) -> list[datetime]:
    """Weekly scans at 02:00 UTC over the period, the last one in the night before ``end``.

    Returns
    -------
    list of datetime
        Scan times in whole seconds, oldest first, all after ``world.start`` and before
        ``world.end``.
    """
    last = (world.end - (SCAN_HOUR + 1) * HOUR).replace(
        hour=SCAN_HOUR, minute=0, second=0, microsecond=0
    )
    times = []
    while last > world.start:
        times.append(last)
        last -= SCAN_EVERY
    return times[::-1]


def plan_remediation(world: World, leaks: list[Leak]) -> None:
    """Set detection, GitHub triage and the fix of every leak, and age its credential."""
    rng = random.Random(f"{world.seed}:remediation")
    scans = scan_times(world)
    for leak in leaks:
        _detect(rng, world, leak, scans)
    false = {id(leak) for leak in _false_revocations(world, leaks)}
    for leak in leaks:
        if id(leak) in false:
            when = leak.alerted_at + rng.uniform(0.5, 5) * DAY  # type: ignore[operator]
            _resolve(rng, world, leak, "revoked", when)
        elif leak.credential is not None and leak.identity is not None:
            _settle(rng, world, leak, leak.identity, leak.credential)


def _false_revocations(world: World, leaks: list[Leak]) -> list[Leak]:
    """The first AWS key in use and the first token whose alerts are closed by mistake.

    Only leaks GitHub alerted on at least ten days before the end qualify, so that the
    mistaken resolution and the key's later use both fall inside the period.
    """
    chosen = []
    for wanted in ("aws", "token"):
        for leak in leaks:
            cred = leak.credential
            if (
                cred is not None
                and leak.alerted_at is not None
                and leak.alerted_at < world.end - 10 * DAY
                and (cred.provider == "aws") == (wanted == "aws")
                and (wanted != "aws" or cred.used_from is not None)
            ):
                chosen.append(leak)
                break
    return chosen


def _seconds(moment: datetime) -> datetime:
    """``moment`` without its fraction of a second, as every file writes times."""
    return moment.replace(microsecond=0)


def _detect(rng: random.Random, world: World, leak: Leak, scans: list[datetime]) -> None:
    seen = []
    if "github" in leak.sources:
        lag = timedelta(seconds=rng.randrange(5, 600))
        leak.alerted_at = _seconds(min(world.end - timedelta(seconds=1), leak.leaked_at + lag))
        seen.append(leak.alerted_at)
    if {"gitleaks", "trufflehog"} & set(leak.sources):
        seen += [t for t in scans if t > leak.leaked_at][:1]
    leak.detected_at = min(seen, default=None)


def _resolve(rng: random.Random, world: World, leak: Leak, outcome: str, when: datetime) -> None:
    leak.outcome = outcome
    leak.resolved_at = _seconds(min(world.end - HOUR, when))
    leak.resolver = rng.choice([p for p in world.people if p.status == "active"])


def _settle(
    rng: random.Random, world: World, leak: Leak, ident: Identity, cred: Credential
) -> None:
    """Triage a credential leak on GitHub, then fix it after a lognormal delay, or never."""
    if leak.detected_at is None:
        return
    if leak.alerted_at is not None:
        outcome = rng.choices(
            ("open", "wont_fix", "false_positive", "used_in_tests"), (70, 12, 10, 8)
        )[0]
        if outcome != "open":
            _resolve(rng, world, leak, outcome, leak.alerted_at + rng.uniform(0.5, 20) * DAY)
            return
    if rng.random() < NEVER_FIXED:
        return
    leak.fix_after_days = rng.lognormvariate(math.log(MEDIAN_DAYS), SIGMA)
    fixed = _seconds(steer_clear(leak.detected_at + leak.fix_after_days * DAY, world.end))
    if fixed >= world.end - HOUR:
        return
    leak.fixed_at = fixed
    if cred.provider == "aws":
        _retire_key(rng, world, ident, cred, fixed)
    else:
        _retire_token(rng, cred, fixed)
    closed = fixed + rng.uniform(1, 72) * HOUR
    if leak.alerted_at is not None and closed < world.end - HOUR:
        _resolve(rng, world, leak, "revoked", closed)


def _retire_key(
    rng: random.Random, world: World, ident: Identity, key: Credential, fixed: datetime
) -> None:
    """Deactivate (or delete) a leaked AWS key at ``fixed``; move its workload first."""
    if key.used_from is not None:
        if len(ident.credentials) == 1:
            created = max(key.created_at, fixed - rng.uniform(0.5, 6) * HOUR)
            # Earlier, not later: the new key must work before the old one stops.
            created = steer_clear(created, world.end, later=False)
            replacement = add_access_key(rng, world, ident, created)
            switch = created + rng.uniform(5, 30) * timedelta(minutes=1)
            replacement.used_from, replacement.used_until = switch, world.end
            key.used_until = switch
        else:
            key.used_until = min(key.used_until or fixed, fixed)
    if rng.random() < 0.3:
        key.status, key.deleted_at = "deleted", fixed
        return
    key.status, key.deactivated_at = "inactive", fixed
    deleted = _seconds(fixed + rng.uniform(1, 14) * DAY)
    if rng.random() < 0.5 and deleted < world.end - HOUR:
        key.status, key.deleted_at = "deleted", deleted


def _retire_token(rng: random.Random, token: Credential, fixed: datetime) -> None:
    """Revoke a leaked token at ``fixed``, or rotate it: same credential, a new value."""
    if rng.random() < 0.4:
        token.last_rotated_at = fixed
        if token.expires_at is not None:
            token.expires_at = fixed + 90 * DAY
        return
    token.status, token.deactivated_at = "revoked", fixed
    if token.last_used_at is not None and token.last_used_at > fixed:
        token.last_used_at = max(token.created_at, fixed - rng.uniform(0.5, 12) * HOUR)
