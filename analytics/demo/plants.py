"""Planted AWS calls: keys used from several workloads or accounts, and people acting as bots.

Each plant is a handful of calls in the 90 days before the end (at least two days inside
them, at least two days before the end, so any as-of in the last day sees the same):

- drift use: a workload calls with the migration policy it was given (see
  :mod:`analytics.demo.drift`), only after the snapshot that first shows the grant;
- shared keys: a key also used from a second to fourth workload (a CI key from an office
  laptop, a service key copied into a container, a notebook or a CI job);
- cross-environment keys: a dev user's key that assumes a prod role or reads a prod bucket;
- human use: a service user whose console password someone signs in with, and a bot key
  used from a browser-based tool;
- a pasted key: an admin's own access key (see :mod:`analytics.demo.agents`), used from
  the office with the AWS CLI, so CloudTrail ties it to the person.

Calls stay within the identity's own profile (what its policies grant), except drift use
(the new grant) and cross-environment calls (the dev account has no IAM export).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.demo import catalog
from analytics.demo.drift import snapshot_times
from analytics.demo.keys import live_key
from analytics.demo.leaks import Leak
from analytics.demo.model import (
    DEV_ACCOUNT,
    PROD_ACCOUNT,
    Credential,
    Identity,
    World,
    steer_clear,
)
from analytics.demo.trailstats import workload

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Call:
    """One planted call, made by ``identity`` in ``account`` (the recipient).

    ``key`` signs it; without one it is a console sign-in (``login``) or a call from the
    console session that the latest sign-in opened.
    """

    moment: datetime
    identity: Identity
    key: Credential | None
    action: catalog.Action
    account: str
    region: str
    source_ip: str
    user_agent: str
    login: bool = False


def _times(rng: random.Random, count: int, low: datetime, high: datetime) -> list[datetime]:
    seconds = int((high - low).total_seconds())
    return sorted(low + timedelta(seconds=rng.randrange(seconds)) for _ in range(count))


class _Plants:
    def __init__(self, world: World, leaks: list[Leak]) -> None:
        self.world = world
        self.rng = random.Random(f"{world.seed}:plants")
        self.low = world.end - 85 * DAY
        self.high = world.end - 2 * DAY
        self.calls: list[Call] = []
        # Keys an outsider used already come from a second workload.
        self.taken = {
            leak.identity.identity_id for leak in leaks if leak.misuse_at and leak.identity
        }

    def pick(
        self, count: int, accounts: tuple[str, ...], kinds: tuple[str, ...] = ()
    ) -> list[Identity]:
        """Active users with a live key; those not given another plant yet come first."""
        pool = [
            i
            for i in self.world.nonhuman
            if i.aws_type == "user"
            and i.activity == "active"
            and i.account in accounts
            and (not kinds or i.kind in kinds)
            and live_key(i, self.world) is not None
        ]
        pool = self.rng.sample(pool, len(pool))
        pool.sort(key=lambda i: i.identity_id in self.taken)
        chosen = pool[:count]
        self.taken |= {i.identity_id for i in chosen}
        return chosen

    def add(
        self,
        ident: Identity,
        actions: tuple[catalog.Action, ...],
        count: int,
        where: tuple[str, str],
        account: str = "",
        low: datetime | None = None,
    ) -> None:
        key = live_key(ident, self.world)
        for moment in _times(self.rng, count, low or self.low, self.high):
            action = self.rng.choice(actions)
            region = "us-east-1" if action.source == "iam.amazonaws.com" else ident.home_region
            self.calls.append(
                Call(moment, ident, key, action, account or ident.account, region, *where)
            )

    def drift_use(self) -> None:
        shown = snapshot_times(self.world.end)
        for ident in self.world.nonhuman:
            for change in ident.changes:
                if change.used:
                    # The first snapshot taken after the grant is the first that shows it.
                    first_shown = min(t for t in shown if t >= change.at)
                    where = (ident.ips[0], ident.user_agent)
                    low = max(self.low, first_shown + 2 * DAY)
                    count = self.rng.randint(4, 10)
                    self.add(ident, catalog.MIGRATION[change.policy], count, where, low=low)

    def shared(self) -> None:
        count = max(2, round(0.01 * self.world.scale.nonhuman))
        for ident in self.pick(count, (PROD_ACCOUNT, DEV_ACCOUNT)):
            rng = self.rng
            options = [
                (f"203.0.113.{rng.randrange(150, 200)}", catalog.USER_AGENTS["laptop"][0]),
                (f"10.40.{rng.randrange(64, 128)}.{rng.randrange(2, 255)}", self._other(ident)),
                (f"192.0.2.{rng.randrange(200, 250)}", catalog.USER_AGENTS["ci_deploy"][0]),
                (f"203.0.113.{rng.randrange(100, 150)}", catalog.USER_AGENTS["python"][1]),
            ]
            own = {workload(ip, ident.user_agent) for ip in ident.ips}
            fresh = [o for o in options if workload(*o) not in own]
            if ident.profile == "ci_deploy":
                fresh.sort(key=lambda o: o[1] != catalog.USER_AGENTS["laptop"][0])
            else:
                rng.shuffle(fresh)
            for where in fresh[: rng.randint(1, 3)]:
                self.add(ident, self._profile(ident), rng.randint(3, 9), where)

    def _other(self, ident: Identity) -> str:
        """A user agent of another SDK than the identity's own."""
        client = workload("10.0.0.1", ident.user_agent)[1]
        agents = [a for f in ("java", "node", "python") for a in catalog.USER_AGENTS[f]]
        return next(a for a in agents if workload("10.0.0.1", a)[1] != client)

    def password(self, ident: Identity) -> Credential:
        """Give a service user a console password, set long before anyone signs in with it.

        The inventory lists it (id as the credential report ingest names it) and the
        credential report shows it enabled, without MFA.
        """
        world = self.world
        changed = world.end - timedelta(days=self.rng.uniform(120, 400))
        password = Credential(
            credential_id=f"{ident.identity_id}#password",
            identity_id=ident.identity_id,
            credential_type="password",
            provider="aws",
            created_at=steer_clear(max(changed, ident.created_at + DAY), world.end),
            secret="",
        )
        ident.credentials.append(password)
        return password

    @staticmethod
    def _profile(ident: Identity) -> tuple[catalog.Action, ...]:
        return tuple(action for action, _ in catalog.PROFILES[ident.profile])

    def cross_environment(self) -> None:
        count = max(2, round(0.008 * self.world.scale.nonhuman))
        for ident in self.pick(count, (DEV_ACCOUNT,)):
            where = (ident.ips[0], ident.user_agent)
            count = self.rng.randint(3, 8)
            self.add(ident, catalog.CROSS_ACCOUNT, count, where, account=PROD_ACCOUNT)

    def human_use(self) -> None:
        total = min(4, max(2, round(0.01 * self.world.scale.nonhuman)))
        consoles = self.pick((total + 1) // 2, (PROD_ACCOUNT,), ("iam_user",))
        accounts = (PROD_ACCOUNT, DEV_ACCOUNT)
        # A bot's or an agent's key, or, in a world too small to have a free one, any key.
        browsers = self.pick(total - len(consoles), accounts, ("bot", "ai_agent"))
        browsers = browsers or self.pick(total - len(consoles), accounts)
        rng = self.rng
        for ident in consoles:
            password = self.password(ident)
            office = f"203.0.113.{rng.randrange(200, 250)}"
            browser = rng.choice(catalog.USER_AGENTS["browser"])
            for moment in _times(rng, rng.randint(2, 5), self.low, self.high):
                password.last_used_at = moment
                login = catalog.CONSOLE_LOGIN
                self.calls.append(
                    Call(
                        moment,
                        ident,
                        None,
                        login,
                        ident.account,
                        "us-east-1",
                        office,
                        browser,
                        True,
                    )
                )
                for step in range(rng.randint(1, 4)):
                    at = moment + timedelta(minutes=2 + 7 * step + rng.randrange(6))
                    action = rng.choice(self._profile(ident))
                    self.calls.append(
                        Call(
                            at,
                            ident,
                            None,
                            action,
                            ident.account,
                            ident.home_region,
                            office,
                            "AWS Internal",
                        )
                    )
        for ident in browsers:
            where = (
                f"203.0.113.{rng.randrange(100, 150)}",
                rng.choice(catalog.USER_AGENTS["browser"]),
            )
            self.add(ident, self._profile(ident), rng.randint(3, 8), where)

    def pasted_keys(self) -> None:
        """An admin's own access key, used from the office laptop with the AWS CLI."""
        for ident in self.world.principals:
            if ident.kind == "human" and live_key(ident, self.world) is not None:
                where = (ident.ips[0], catalog.USER_AGENTS["laptop"][0])
                self.add(ident, self._profile(ident), self.rng.randint(3, 6), where)


def plant_calls(world: World, leaks: list[Leak]) -> list[Call]:
    """Every planted call, in the order drawn; the planner sorts them with the rest."""
    plants = _Plants(world, leaks)
    plants.drift_use()
    plants.shared()
    plants.cross_environment()
    plants.human_use()
    plants.pasted_keys()
    return plants.calls
