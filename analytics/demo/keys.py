"""Credentials of the demo identities and their life: creation, rotation, expiry, use.

AWS access keys follow the identity's activity: keys of active users are used through the
log window and a fifth of prod users rotate theirs inside it (new key, old key set
inactive, often deleted), so CloudTrail carries the lifecycle calls. Tokens of the other
providers get an issue time, an expiry where the provider supports one, and a last use.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from analytics.demo import fake
from analytics.demo.model import PROD_ACCOUNT, Credential, Identity, World, steer_clear

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def attach_credentials(world: World) -> None:
    """Give every credential-holding identity its keys or tokens (roles hold none)."""
    rng = random.Random(f"{world.seed}:keys")
    for ident in world.identities:
        if ident.aws_type == "role" and ident.activity == "silent" and rng.random() < 0.6:
            # Roles unused in the window may still show a last use from long before it.
            ident.last_used_at = _between(rng, ident.created_at, world.start - 5 * DAY)
            ident.last_used_region = ident.home_region
        if ident.kind == "human" or ident.aws_type == "role":
            continue
        if ident.aws_type == "user":
            _aws_keys(rng, world, ident)
        else:
            _tokens(rng, world, ident)
    _spare_key(rng, world)


def live_key(ident: Identity, world: World) -> Credential | None:
    """The identity's key in use through the 90 days before the end, if any."""
    window = world.end - 90 * DAY
    return next(
        (
            c
            for c in ident.credentials
            if c.used_from is not None and c.used_from < window and c.used_until == world.end
        ),
        None,
    )


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    return low + (high - low) * rng.random()


def add_access_key(
    rng: random.Random, world: World, ident: Identity, created: datetime
) -> Credential:
    """Give ``ident`` a new active AWS access key created at ``created``."""
    key = Credential(
        credential_id=world.unique.draw(lambda: fake.aws_key_id(rng)),
        identity_id=ident.identity_id,
        credential_type="access_key",
        provider="aws",
        created_at=created,
        secret=world.unique.draw(lambda: fake.aws_secret_key(rng)),
    )
    ident.credentials.append(key)
    return key


def _aws_keys(rng: random.Random, world: World, ident: Identity) -> None:
    created = steer_clear(ident.created_at + rng.uniform(0.2, 72) * HOUR, world.end)
    first = add_access_key(rng, world, ident, created)
    if ident.activity == "silent":
        last_possible = world.start - 5 * DAY
        if rng.random() < 0.3:
            first.status = "inactive"
            first.deactivated_at = _between(rng, first.created_at, world.start - DAY)
            last_possible = min(last_possible, first.deactivated_at)
        if first.created_at < last_possible - 25 * DAY and rng.random() < 0.6:
            first.last_used_at = _between(rng, first.created_at, last_possible)
            first.last_used_region, first.last_used_service = ident.home_region, "sts"
        return
    first.used_from, first.used_until = first.created_at, world.end
    low = max(first.created_at + 20 * DAY, world.start + 5 * DAY)
    high = world.end - 12 * DAY
    rotates = ident.activity == "active" and ident.account == PROD_ACCOUNT and low < high
    if rotates and rng.random() < 0.2:
        rotate_at = steer_clear(_between(rng, low, high), world.end)
        second = add_access_key(rng, world, ident, rotate_at)
        switch = rotate_at + rng.uniform(1, 20) * HOUR
        first.used_until, second.used_from, second.used_until = switch, switch, world.end
        first.status = "inactive"
        first.deactivated_at = rotate_at + rng.uniform(1, 4) * DAY
        deleted = first.deactivated_at + rng.uniform(3, 20) * DAY
        if rng.random() < 0.65 and deleted < world.end - HOUR:
            first.status, first.deleted_at = "deleted", deleted
    elif rng.random() < 0.1:
        # A second key made for a migration that never happened: active, never used.
        high = min(first.created_at + 400 * DAY, world.end - 30 * DAY)
        if first.created_at + 30 * DAY < high:
            created = steer_clear(_between(rng, first.created_at + 30 * DAY, high), world.end)
            add_access_key(rng, world, ident, created)


def _spare_key(rng: random.Random, world: World) -> None:
    """Make sure one active AWS key was never used, however small the world."""
    keys = [c for i in world.identities if i.aws_type == "user" for c in i.credentials]
    if any(c.status == "active" and c.used_from is None for c in keys):
        return
    users = [
        i
        for i in world.nonhuman
        if i.aws_type == "user"
        and i.activity == "active"
        and len(i.credentials) == 1
        and i.created_at < world.end - 140 * DAY
    ]
    if users:
        ident = rng.choice(users)
        low = max(ident.created_at + 30 * DAY, world.end - 400 * DAY)
        created = steer_clear(_between(rng, low, world.end - 100 * DAY), world.end)
        add_access_key(rng, world, ident, created)


def _tokens(rng: random.Random, world: World, ident: Identity) -> None:
    created = ident.created_at + rng.uniform(0, 2) * DAY
    if rng.random() < 0.2 and created < world.end - 60 * DAY:
        # A token replaced once already: the old one revoked, the new one issued later.
        old = _token(rng, world, ident, created)
        old.status = "revoked"
        # A GCP key may be issued later than asked (keys that expire are recent): the
        # replacement comes after the old key, whenever that was.
        room = min(30 * DAY, (world.end - 3 * DAY - old.created_at) / 2)
        created = _between(rng, old.created_at + room, world.end - 3 * DAY)
        old.last_used_at = _between(rng, old.created_at, min(old.created_at + 30 * DAY, created))
        old.deactivated_at = created
    token = _token(rng, world, ident, created)
    if ident.status == "disabled":
        token.status = "revoked"
    if token.status == "active" and rng.random() < 0.85:
        token.last_used_at = max(token.created_at, world.end - rng.uniform(0.02, 12) * DAY)
    elif rng.random() < 0.7 and token.created_at < world.end - 100 * DAY:
        token.last_used_at = _between(rng, token.created_at, world.end - 100 * DAY)
    if token.status == "revoked":
        # Revoked with the identity, some time after its last use.
        low = token.last_used_at or token.created_at
        token.deactivated_at = _between(rng, low, max(low, world.end - DAY))


def _token(rng: random.Random, world: World, ident: Identity, created: datetime) -> Credential:
    """One token, API key or service-account key of a non-AWS identity."""
    expires = rotated = None
    status = "active"
    make: Callable[[], str] | None = None
    if ident.archetype == "github_app":
        kind, make = "oauth_client_secret", partial(fake.hexstr, rng, 40)
    elif ident.archetype == "github_bot":
        kind = "token"
        if rng.random() < 0.6:
            make = partial(fake.github_classic_pat, rng)
        else:
            make = partial(fake.github_fine_grained_pat, rng)
            if rng.random() < 0.8:
                rotated = max(created + DAY, world.end - rng.uniform(5, 85) * DAY)
            expires = (rotated or created) + 90 * DAY
            status = "active" if expires > world.end else "inactive"
    elif ident.archetype == "openai_agent":
        service_account = rng.random() < 0.5
        kind, make = "api_key", partial(fake.openai_key, rng, service_account)
    elif ident.archetype == "slack_bot":
        kind, make = "token", partial(fake.slack_bot_token, rng)
        if rng.random() < 0.3:
            rotated = steer_clear(_between(rng, created, world.end - DAY), world.end)
    else:
        kind = "access_key"
        if rng.random() < 0.3:
            created = max(created, world.end - rng.uniform(10, 85) * DAY)
            expires = created + 90 * DAY
    created = steer_clear(created, world.end)
    secret = world.unique.draw(make) if make is not None else ""
    if secret:
        credential_id = fake.fingerprint(secret)
    else:
        credential_id = world.unique.draw(lambda: fake.hexstr(rng, 40))
    token = Credential(
        credential_id=credential_id,
        identity_id=ident.identity_id,
        credential_type=kind,
        provider=ident.provider,
        created_at=created,
        secret=secret,
        expires_at=expires,
        last_rotated_at=rotated,
        status=status,
        deactivated_at=expires if status == "inactive" else None,
    )
    ident.credentials.append(token)
    return token
