"""Privilege drift of the prod account between its authorization-details snapshots.

IAM is exported three times: 120 and 60 days before the end and at the end. Between them
a few workloads are given a policy "for a migration" (``s3:*``, ``ec2:*`` or an inline
``dynamodb:*``) and a few have one detached when the work is done. Some of the gains are
exercised afterwards (the activity planner adds those calls, only once the grant is in
force), the others never are. Policies and inline policies on each identity hold the state
at the end; :attr:`~analytics.demo.model.Identity.changes` says how it differed before.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from analytics.demo import catalog
from analytics.demo.keys import live_key
from analytics.demo.leaks import Leak
from analytics.demo.model import PROD_ACCOUNT, Identity, PolicyChange, World, steer_clear
from analytics.demo.policies import GROUPS, MIGRATION_INLINE, MIGRATION_POLICIES, Statement

DAY = timedelta(days=1)
SNAPSHOT_DAYS = (120, 60, 0)


def snapshot_times(end: datetime) -> list[datetime]:
    """When the prod account's authorization details were exported, oldest first."""
    return [end - timedelta(days=days) for days in SNAPSHOT_DAYS]


def policies_at(
    ident: Identity, at: datetime
) -> tuple[list[str], list[tuple[str, tuple[Statement, ...]]]]:
    """Managed policy names and inline policies of ``ident`` as they stood at ``at``."""
    managed, inline = list(ident.policies), list(ident.inline)
    for change in ident.changes:
        if change.at <= at:
            continue
        # Undo a change made after ``at``.
        if change.statements and change.added:
            inline = [entry for entry in inline if entry[0] != change.policy]
        elif change.statements:
            inline.append((change.policy, change.statements))
        elif change.added:
            managed.remove(change.policy)
        else:
            managed.append(change.policy)
    return managed, inline


def _actions(statement: Statement) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _patterns(world: World, ident: Identity) -> set[str]:
    """Lower-cased Allow action patterns that reach ``ident`` at the end."""
    names = list(ident.policies) + [p for g in ident.groups for p in GROUPS[g]]
    statements: list[Statement] = [s for n in names for s in world.policies[n].statements]
    statements += [s for _, inline in ident.inline for s in inline]
    found = set()
    for statement in statements:
        if statement["Effect"] == "Allow":
            found |= {a.lower() for a in _actions(statement)}
    return found


def _services(ident: Identity) -> set[str]:
    """Services whose calls the identity makes in its normal work."""
    return {action.source.split(".")[0] for action, _ in catalog.PROFILES[ident.profile]}


def _choices(world: World, ident: Identity) -> list[tuple[str, tuple[Statement, ...]]]:
    """Migration policies that would add new patterns of a service the identity never calls.

    Each is ``(name, statements)``: statements empty for a managed policy.
    """
    held, services = _patterns(world, ident), _services(ident)
    options = [(name, world.policies[name].statements) for name in MIGRATION_POLICIES]
    options.append(MIGRATION_INLINE)
    fitting = []
    for name, statements in options:
        actions = [a for statement in statements for a in _actions(statement)]
        if any(a.lower() in held or a.split(":")[0] in services for a in actions):
            continue
        inline = () if name in MIGRATION_POLICIES else statements
        fitting.append((name, inline))
    return fitting


def plan_drift(world: World, leaks: list[Leak]) -> None:
    """Plant policy gains (used and unused) and losses on prod workloads.

    Candidates are prod non-human principals created at least five days before the first
    snapshot (so every snapshot lists them) whose keys no outsider misused (an outsider's
    calls could exercise a new grant), without administrator access; only when no other
    user qualifies does an administrator get the used grant.
    """
    rng = random.Random(f"{world.seed}:drift")
    first, second, _ = snapshot_times(world.end)
    misused = {leak.identity.identity_id for leak in leaks if leak.misuse_at and leak.identity}
    pool = [
        i
        for i in world.nonhuman
        if i.aws_type
        and i.account == PROD_ACCOUNT
        and i.created_at < first - 5 * DAY
        and i.identity_id not in misused
        and _choices(world, i)
    ]
    rng.shuffle(pool)
    size = world.scale.nonhuman
    users = [
        i
        for i in pool
        if i.aws_type == "user"
        and i.activity == "active"
        and live_key(i, world) is not None
        and any(not statements for _, statements in _choices(world, i))
    ]
    users.sort(key=lambda i: i.admin)
    used = users[: max(1, round(0.01 * size))]
    rest = [i for i in pool if i not in used and not i.admin]
    unused = rest[: max(2, round(0.015 * size))]
    removed = rest[len(unused) : len(unused) + max(1, round(0.01 * size))]
    spans = ((first, second), (second, world.end))
    for ident in used:
        # Used from the second snapshot on: it must show the grant before the first call.
        _gain(rng, world, ident, spans[0], used=True)
    for number, ident in enumerate(unused):
        _gain(rng, world, ident, spans[number % 2], used=False)
    for number, ident in enumerate(removed):
        low, high = spans[1 - number % 2]
        name, statements = rng.choice(_choices(world, ident))
        at = steer_clear(low + (high - low - 6 * DAY) * rng.random() + 3 * DAY, world.end)
        ident.changes.append(PolicyChange(at, name, False, statements))


def _gain(
    rng: random.Random,
    world: World,
    ident: Identity,
    span: tuple[datetime, datetime],
    used: bool,
) -> None:
    options = _choices(world, ident)
    if used:
        # Only the managed migration policies come with calls to plant.
        options = [(name, statements) for name, statements in options if not statements]
    name, statements = rng.choice(options)
    low, high = span
    at = steer_clear(low + (high - low - 6 * DAY) * rng.random() + 3 * DAY, world.end)
    if statements:
        ident.inline.append((name, statements))
    else:
        ident.policies.append(name)
    ident.changes.append(PolicyChange(at, name, True, statements, used))
