"""Access the agents get outside the gateway's grants, planted for the agent checks.

- a human admin's own AWS access key, which the admin pasted into an agent's settings: the
  admin uses it from the office too, so CloudTrail ties the key to a person;
- a token issued to an agent for a one-off job and revoked days later, between two
  access reviews;
- an AI agent or app left without an owner, when the world has none already.

Each draws from its own seed stream, so adding one changes no other draw.
"""

from __future__ import annotations

import random
from datetime import timedelta

from analytics.demo import fake
from analytics.demo.keys import add_access_key
from analytics.demo.model import Credential, World

DAY = timedelta(days=1)


def paste_admin_key(world: World) -> Credential | None:
    """Give an admin's console user an access key of their own, used from a laptop.

    The admin pasted it into an agent's configuration; CloudTrail shows the admin using it,
    which is how the key is traced to a person. Prefer an admin of ``platform-admins``.
    """
    rng = random.Random(f"{world.seed}:pasted-key")
    admins = [i for i in world.identities if i.kind == "human"]
    admins.sort(key=lambda i: "platform-admins" not in i.groups)
    if not admins:
        return None
    admin = admins[0]
    created = max(admin.created_at + 30 * DAY, world.end - rng.uniform(150, 500) * DAY)
    key = add_access_key(rng, world, admin, created)
    key.used_from, key.used_until = key.created_at, world.end
    return key


def one_off_token(world: World, agents: set[str]) -> None:
    """A token issued to one of ``agents`` (not an AWS one) for a one-off job and revoked
    days later, between two access reviews: an access path no review saw."""
    rng = random.Random(f"{world.seed}:one-off-token")
    holders = [i for i in world.nonhuman if i.identity_id in agents and i.provider != "aws"]
    if not holders:
        return
    ident = rng.choice(holders)
    created = world.end - rng.uniform(50, 80) * DAY
    revoked = created + rng.uniform(3, 20) * DAY
    secret = world.unique.draw(lambda: fake.openai_key(rng, True))
    token = Credential(
        credential_id=fake.fingerprint(secret),
        identity_id=ident.identity_id,
        credential_type="api_key",
        provider=ident.provider,
        created_at=created,
        secret=secret,
        status="revoked",
        deactivated_at=revoked,
        last_used_at=created + (revoked - created) * rng.uniform(0.2, 0.9),
    )
    ident.credentials.append(token)


def orphan(world: World, callers: set[str]) -> None:
    """Leave an AI agent or app without an owner, when none is already."""
    pool = [i for i in world.nonhuman if i.kind in ("ai_agent", "app")]
    if any(not i.owner_id for i in pool):
        return
    active = {p.person_id for p in world.people if p.status == "active"}
    free = [i for i in pool if i.identity_id not in callers and i.owner_id in active]
    if free:
        random.Random(f"{world.seed}:orphan").choice(free).owner_id = ""
