"""When each AWS principal acts: the schedule behind the CloudTrail files.

The planner works in epoch seconds and small integer tuples so that a million events fit
in memory; :mod:`analytics.demo.cloudtrail` later expands each tuple into a full record.
Planning also settles what the IAM exports report about use: the last use of every access
key and the ``RoleLastUsed`` of every role come from the same schedule, so the credential
report never contradicts the log.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

from analytics.demo import catalog, fake
from analytics.demo.leaks import Leak
from analytics.demo.model import DEV_ACCOUNT, PROD_ACCOUNT, REGIONS, Credential, Identity, World
from analytics.demo.plants import Call, plant_calls

logger = logging.getLogger(__name__)

ACCOUNT_IDS = (PROD_ACCOUNT, DEV_ACCOUNT)
API, LOGIN, ASSUME, LIFECYCLE, MISUSE, PLANTED = range(6)
# Lifecycle operations, numbered as ``catalog.LIFECYCLE`` lists them.
CREATE_KEY, UPDATE_KEY, DELETE_KEY, CREATE_USER, CREATE_ROLE = range(5)
DAY = 86_400

# (time, account index, region index, kind, principal, action, ref, session, error):
# ``ref`` is an index into ``Plan.keys`` (or the target principal of CreateUser and
# CreateRole), ``session`` an index into ``Plan.sessions``; -1 where it does not apply.
# For ``PLANTED`` events, ``action`` is an index into ``Plan.calls``.
Event = tuple[int, int, int, int, int, int, int, int, int]


@dataclass
class Session:
    """Temporary credentials: a role session or an admin's console session."""

    key_id: str
    name: str
    created: int
    service: str | None = None


@dataclass
class Plan:
    """The sorted event schedule and the tables its tuples point into."""

    principals: list[Identity]
    keys: list[Credential]
    sessions: list[Session] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    last_login: dict[int, int] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


class _Planner:
    def __init__(self, world: World, leaks: list[Leak]) -> None:
        self.world = world
        self.leaks = leaks
        self.rng = random.Random(f"{world.seed}:activity")
        self.start = int(world.start.timestamp())
        self.end = int(world.end.timestamp())
        principals = world.principals
        keys = [c for p in principals for c in p.credentials]
        self.plan = Plan(principals, keys)
        self.pindex = {p.identity_id: n for n, p in enumerate(principals)}
        self.kindex = {c.credential_id: n for n, c in enumerate(keys)}
        self.admins = [n for n, p in enumerate(principals) if p.kind == "human"]
        self.cum_hours = {name: _cumulative(weights) for name, weights in catalog.HOURS.items()}
        self.cum_actions = {
            name: _cumulative([w for _, w in actions])
            for name, actions in catalog.PROFILES.items()
        }

    def run(self) -> Plan:
        machines = [n for n, p in enumerate(self.plan.principals) if p.kind != "human"]
        intervals = {n: self._interval(self.plan.principals[n]) for n in machines}
        seconds = sum(
            self.plan.principals[n].weight * (hi - lo)
            for n, (lo, hi) in intervals.items()
            if hi > lo
        )
        # Role sessions, console users and key changes add about a quarter on top.
        per_second = 0.78 * self.world.scale.events / max(seconds, 1.0)
        for n in machines:
            lo, hi = intervals[n]
            if hi > lo:
                self._machine(n, lo, hi, per_second)
        for n in self.admins:
            self._human(n)
        self._lifecycle()
        self._misuse()
        self._planted()
        self.plan.events.sort()
        self._record_use()
        logger.debug("planned %d events for %d principals", len(self.plan.events), len(machines))
        return self.plan

    def _interval(self, ident: Identity) -> tuple[int, int]:
        """The span in which a principal acts, from its activity class."""
        rng = self.rng
        if ident.activity == "silent":
            return 0, 0
        if ident.activity == "gap":
            high = self.end - int(rng.uniform(100, 120) * DAY)
            return max(self.end - 170 * DAY, high - int(rng.uniform(10, 60) * DAY)), high
        low = int(ident.created_at.timestamp()) + 3600
        used = [c.used_from for c in ident.credentials if c.used_from is not None]
        if used:
            low = max(low, int(min(used).timestamp()) + 60)
        return max(self.start, low), self.end

    def _times(self, count: int, low: int, high: int, profile: str) -> list[int]:
        rng, cum = self.rng, self.cum_hours[profile]
        weekdays = profile in catalog.WEEKDAY_PROFILES
        first_day = low - low % DAY
        days = (high - first_day) // DAY + 1
        times: list[int] = []
        for _ in range(50 * count + 100):
            if len(times) == count:
                break
            day = first_day + rng.randrange(days) * DAY
            if weekdays and (day // DAY + 3) % 7 >= 5 and rng.random() < 0.75:
                continue
            moment = day + rng.choices(range(24), cum_weights=cum)[0] * 3600 + rng.randrange(3600)
            if low <= moment < high:
                times.append(moment)
        return sorted(times)

    def _region(self, ident: Identity, action: catalog.Action) -> int:
        if action.source == "iam.amazonaws.com":
            return 0
        home = REGIONS.index(ident.home_region)
        return home if self.rng.random() < 0.85 else 1 - home

    def _machine(self, n: int, low: int, high: int, per_second: float) -> None:
        ident = self.plan.principals[n]
        rng = self.rng
        count = round(ident.weight * per_second * (high - low) * rng.uniform(0.9, 1.1))
        times = self._times(max(count, 3), low, high, ident.profile)
        if ident.activity == "active" and (not times or times[-1] < self.end - 14 * DAY):
            times.append(self.end - int(rng.uniform(0.1, 14) * DAY))
        account = ACCOUNT_IDS.index(ident.account)
        actions = catalog.PROFILES[ident.profile]
        spans = [
            (int(c.used_from.timestamp()), int((c.used_until or self.world.end).timestamp()), k)
            for c in ident.credentials
            if c.used_from is not None
            for k in (self.kindex[c.credential_id],)
        ]
        slot_seconds = 3600 if ident.service is None else 12 * 3600
        slot, session = -1, -1
        for moment in times:
            choice = rng.choices(range(len(actions)), cum_weights=self.cum_actions[ident.profile])
            action = choice[0]
            region = self._region(ident, actions[action][0])
            error = int(rng.random() < ident.error_rate)
            if ident.aws_type == "user":
                ref = next((k for lo, hi, k in spans if lo <= moment < hi), -1)
                if ref < 0:
                    continue
                event = (moment, account, region, API, n, action, ref, -1, error)
            else:
                if moment // slot_seconds != slot:
                    slot = moment // slot_seconds
                    session = self._role_session(n, ident, moment, account, region)
                event = (moment, account, region, API, n, action, -1, session, error)
            self.plan.events.append(event)

    def _role_session(
        self, n: int, ident: Identity, moment: int, account: int, region: int
    ) -> int:
        rng = self.rng
        created = max(self.start, moment - rng.randrange(1, 300))
        names = {
            "ecs-tasks.amazonaws.com": lambda: fake.hexstr(rng, 32),
            "glue.amazonaws.com": lambda: "GlueJobRunnerSession",
            "ec2.amazonaws.com": lambda: "i-0" + fake.hexstr(rng, 16),
            "lambda.amazonaws.com": lambda: ident.name,
            "backup.amazonaws.com": lambda: "AWSBackup-" + fake.hexstr(rng, 8),
            "bedrock.amazonaws.com": lambda: (
                "BedrockAgent-" + fake.chars(rng, 10, fake.UPPER_ALNUM)
            ),
        }
        name = names[ident.service]() if ident.service else f"GitHubActions-{rng.randrange(10**9)}"
        key = self.world.unique.draw(lambda: fake.aws_key_id(rng, "ASIA"))
        self.plan.sessions.append(Session(key, name, created, ident.service))
        session = len(self.plan.sessions) - 1
        if ident.service:
            self.plan.events.append((created, account, region, ASSUME, n, 0, -1, session, 0))
        return session

    def _console_session(self, n: int, moment: int) -> int:
        rng = self.rng
        key = self.world.unique.draw(lambda: fake.aws_key_id(rng, "ASIA"))
        self.plan.sessions.append(Session(key, self.plan.principals[n].name, moment))
        session = len(self.plan.sessions) - 1
        self.plan.events.append((moment, 0, 0, LOGIN, n, 0, -1, session, 0))
        return session

    def _human(self, n: int) -> None:
        """Console logins on about half the working days, each with a few reads."""
        rng = self.rng
        cum = self.cum_hours["human_console"]
        logins = []
        for day in range(self.start - self.start % DAY, self.end, DAY):
            if (day // DAY + 3) % 7 < 5 and rng.random() < 0.45:
                logins.append(day + rng.choices(range(24), cum_weights=cum)[0] * 3600)
        if not logins or logins[-1] < self.end - 10 * DAY:
            logins.append(self.end - int(rng.uniform(1, 10) * DAY))
        ident = self.plan.principals[n]
        actions = catalog.PROFILES["human_console"]
        for moment in logins:
            moment = max(self.start, min(self.end - 3600, moment + rng.randrange(3600)))
            session = self._console_session(n, moment)
            for _ in range(rng.randint(2, 8)):
                at = min(self.end - 1, moment + rng.randrange(30, 3000))
                choice = rng.choices(
                    range(len(actions)), cum_weights=self.cum_actions["human_console"]
                )
                action = choice[0]
                region = self._region(ident, actions[action][0])
                self.plan.events.append((at, 0, region, API, n, action, -1, session, 0))

    def _lifecycle(self) -> None:
        """CreateUser/CreateRole and access-key calls for prod changes inside the window."""
        if not self.admins:
            return
        rng = self.rng
        changes: list[tuple[int, int, int]] = []
        for n, ident in enumerate(self.plan.principals):
            if ident.account != PROD_ACCOUNT or ident.kind == "human":
                continue
            created = CREATE_USER if ident.aws_type == "user" else CREATE_ROLE
            changes.append((int(ident.created_at.timestamp()), created, n))
            for cred in ident.credentials:
                ref = self.kindex[cred.credential_id]
                steps = (
                    (CREATE_KEY, cred.created_at),
                    (UPDATE_KEY, cred.deactivated_at),
                    (DELETE_KEY, cred.deleted_at),
                )
                changes += [(int(when.timestamp()), op, ref) for op, when in steps if when]
        for moment, op, ref in changes:
            if not self.start <= moment < self.end:
                continue
            admin = rng.choice(self.admins)
            session = self._console_session(
                admin, max(self.start, moment - rng.randrange(120, 900))
            )
            self.plan.events.append((moment, 0, 0, LIFECYCLE, admin, op, ref, session, 0))

    def _misuse(self) -> None:
        """A burst of reconnaissance calls with each leaked key someone picked up."""
        rng = self.rng
        actions = catalog.PROFILES["misuse"]
        for leak in self.leaks:
            if leak.misuse_at is None or leak.credential is None or leak.identity is None:
                continue
            n = self.pindex[leak.identity.identity_id]
            ref = self.kindex[leak.credential.credential_id]
            account = ACCOUNT_IDS.index(leak.identity.account)
            first = int(leak.misuse_at.timestamp())
            span = int(rng.uniform(1, 6) * 3600)
            for _ in range(rng.randint(4, 12)):
                action = rng.choices(range(len(actions)), cum_weights=self.cum_actions["misuse"])[
                    0
                ]
                iam = actions[action][0].source == "iam.amazonaws.com"
                denied = iam and not leak.identity.admin and rng.random() < 0.8
                moment = min(self.end - 1, first + rng.randrange(span))
                region = 0 if iam else rng.randrange(2)
                self.plan.events.append(
                    (moment, account, region, MISUSE, n, action, ref, -1, int(denied))
                )

    def _planted(self) -> None:
        """The planted calls; a console sign-in opens the session its later calls use."""
        session = -1
        for call in plant_calls(self.world, self.leaks):
            n = self.pindex[call.identity.identity_id]
            moment = int(call.moment.timestamp())
            if call.login:
                key = self.world.unique.draw(lambda: fake.aws_key_id(self.rng, "ASIA"))
                self.plan.sessions.append(Session(key, call.identity.name, moment))
                session = len(self.plan.sessions) - 1
            ref = self.kindex[call.key.credential_id] if call.key is not None else -1
            self.plan.calls.append(call)
            self.plan.events.append(
                (
                    moment,
                    ACCOUNT_IDS.index(call.account),
                    REGIONS.index(call.region),
                    PLANTED,
                    n,
                    len(self.plan.calls) - 1,
                    ref,
                    session if call.key is None else -1,
                    0,
                )
            )

    def _record_use(self) -> None:
        """Last use per key and per principal, read from the sorted schedule."""
        plan = self.plan
        for moment, _, region, kind, n, action, ref, _, _ in plan.events:
            if kind == ASSUME:
                continue
            ident = plan.principals[n]
            when = fake.from_epoch(moment)
            planted = plan.calls[action] if kind == PLANTED else None
            if kind == LOGIN or (planted is not None and planted.login):
                plan.last_login[n] = moment
            ident.last_used_at, ident.last_used_region = when, REGIONS[region]
            if kind in (API, MISUSE, PLANTED) and ref >= 0:
                profile = "misuse" if kind == MISUSE else ident.profile
                if planted is not None:
                    source = planted.action.source
                else:
                    source = catalog.PROFILES[profile][action][0].source
                key = plan.keys[ref]
                key.last_used_at, key.last_used_region = when, REGIONS[region]
                key.last_used_service = source.split(".")[0]


def _cumulative(weights: list[int] | tuple[int, ...]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def plan_activity(world: World, leaks: list[Leak]) -> Plan:
    """Schedule every CloudTrail event of the window and record last use in the world."""
    return _Planner(world, leaks).run()
