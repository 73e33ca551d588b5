"""AI agents at work: tasks of tool calls through the gateway, and the JIT grants behind them.

Agents of ``identities.csv`` that hold an active token, and a few shadow agents that no
inventory lists, work on tasks over the 87 to 3 days before the end. A task is a burst
of tool calls; most run under a just-in-time grant issued for that task a few minutes
before its first call and ended (expired or revoked) within the hour after its last. The
rest run on the agent's standing credential, with no grant. Planted on top:

- grants that never end, grants that end hours after their task, and grants that lapse
  (expire or are revoked) while the task goes on calling under them;
- a task that borrows the grant of another task of the same agent, running alongside it;
- allowed calls to hosts outside the sandbox's allowlist, and denied ones;
- an agent using a human admin's pasted AWS key, and agents using another non-human
  identity's credential (one of them only in calls the gateway denied);
- shadow agents; and, from :mod:`analytics.demo.agent_access`, the pasted key itself, an
  AI agent or app without an owner when the world has none, and an agent's token issued
  and revoked between two access reviews.

No planted time lies within a day of the 90- or 180-day look-backs or of the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.demo import fake
from analytics.demo.agent_access import one_off_token, orphan, paste_admin_key
from analytics.demo.model import TEAMS, Credential, Identity, World
from analytics.demo.sandboxes import (
    CLOSED,
    OFF_LIST,
    Agent,
    Sandbox,
    draw_sandbox,
    draw_tools,
    plan_kinds,
)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
# What the gateway's broker grants for a task, on the agent's OpenAI project.
JIT_PERMISSIONS = ("project.member", "files.write", "vector_stores.write")


@dataclass
class TaskGrant:
    """A just-in-time grant the gateway's broker issued to ``agent`` for one task."""

    agent: Agent
    permission: str
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    grant_id: str = ""
    task_id: str = ""


@dataclass
class ToolCall:
    """One tool call; ``grant`` is the grant the call names (none: a standing credential)."""

    moment: datetime
    call_id: str
    tool: str
    host: str
    decision: str
    credential_id: str
    grant: TaskGrant | None


@dataclass
class Task:
    """A task of an agent: its calls and the grant issued for it, if any."""

    agent: Agent
    session_id: str
    on_behalf_of: str
    calls: list[ToolCall] = field(default_factory=list)
    grant: TaskGrant | None = None
    task_id: str = ""

    @property
    def first(self) -> datetime:
        """The time of the first call."""
        return min(c.moment for c in self.calls)

    @property
    def last(self) -> datetime:
        """The time of the last call."""
        return max(c.moment for c in self.calls)


@dataclass
class AgentPlan:
    """Agents, their sandboxes and their tasks, tasks and grants numbered by first call."""

    agents: list[Agent]
    sandboxes: list[Sandbox]
    tasks: list[Task]


def _token(ident: Identity) -> Credential | None:
    """The active token an agent's calls use by default: the gateway attaches tokens.

    AWS agents sign their own calls with their keys (CloudTrail shows those): an AWS key
    in the gateway log would read as a second workload of the key to a check of all audit
    events, so inventoried AWS keys stay out of it.
    """
    active = [
        c
        for c in ident.credentials
        if c.status == "active" and c.provider != "aws" and c.credential_type != "password"
    ]
    return active[0] if active else None


class _Planner:
    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = random.Random(f"{world.seed}:agents")
        self.low = world.end - 87 * DAY
        self.high = world.end - 3 * DAY
        self.tasks: list[Task] = []

    def agents(self) -> list[Agent]:
        """Inventoried agents with an active credential, then the shadow agents."""
        rng, world = self.rng, self.world
        found = []
        for ident in world.nonhuman:
            if ident.kind != "ai_agent" or ident.status != "active" or ident.activity != "active":
                continue
            cred = _token(ident)
            if cred is None:
                continue
            since = max(self.low, cred.created_at + DAY)
            if since < self.high - 7 * DAY:
                found.append(self._agent(ident, cred.credential_id, since))
        teams = sorted({a.team for a in found} or {"ml"})
        for _ in range(max(1, round(0.015 * world.scale.nonhuman))):
            team = rng.choice(teams)
            word = rng.choice(TEAMS[team])
            base, number = f"{word}-copilot", 2
            while f"name:{base}" in world.unique:
                base, number = f"{word}-copilot-{number}", number + 1
            world.unique.claim(f"name:{base}")
            shadow = Agent(
                agent_id=f"agent:{base}",
                name=base,
                owner_id="",
                environment="dev",
                team=team,
                word=word,
                account="",
                credential_id=f"sha256:{fake.hexstr(rng, 16)}",
                since=self.low,
                families=draw_tools(rng),
                inventoried=False,
                weight=rng.uniform(0.1, 0.3),
            )
            found.append(shadow)
        return found

    def _agent(self, ident: Identity, credential: str, since: datetime) -> Agent:
        return Agent(
            agent_id=ident.identity_id,
            name=ident.name,
            owner_id=ident.owner_id,
            environment=ident.environment,
            team=ident.team,
            word=ident.word,
            account=ident.account,
            credential_id=credential,
            since=since,
            families=draw_tools(self.rng),
            weight=self.rng.lognormvariate(0, 0.6),
        )

    def task(self, agent: Agent, credential: str = "", jit: bool = True) -> Task:
        """A burst of 2 to 12 calls a few minutes apart, under a fresh grant when ``jit``."""
        rng = self.rng
        span = int((self.high - agent.since).total_seconds())
        moment = agent.since + timedelta(seconds=rng.randrange(span))
        person = agent.owner_id if agent.owner_id and rng.random() < 0.5 else ""
        task = Task(agent, f"sess-{fake.hexstr(rng, 12)}", person)
        for _ in range(rng.randint(2, 12)):
            moment += timedelta(seconds=rng.randint(5, 240))
            tool, host = rng.choice(agent.tools)
            decision = "denied" if rng.random() < 0.02 else "allowed"
            task.calls.append(self.call(moment, tool, host, decision, credential or agent))
        if jit:
            granted = task.first - timedelta(seconds=rng.randint(60, 600))
            permission = rng.choice(JIT_PERMISSIONS)
            grant = TaskGrant(agent, permission, granted, None)
            if rng.random() < 0.3:
                grant.revoked_at = task.last + rng.uniform(1, 30) * MINUTE
                grant.expires_at = granted + rng.choice((4, 8)) * HOUR
            else:
                grant.expires_at = task.last + rng.uniform(10, 45) * MINUTE
            task.grant = grant
            for call in task.calls:
                # Now and then the gateway falls back to the standing credential.
                call.grant = grant if rng.random() >= 0.03 else None
        self.tasks.append(task)
        return task

    def call(
        self, moment: datetime, tool: str, host: str, decision: str, credential: str | Agent
    ) -> ToolCall:
        """One call; a credential given as an agent is that agent's own."""
        call_id = self.world.unique.draw(lambda: f"gw-{fake.hexstr(self.rng, 16)}")
        if isinstance(credential, Agent):
            credential = credential.credential_id
        return ToolCall(moment, call_id, tool, host, decision, credential, None)

    def plant_grants(self) -> None:
        """Grants that never end, end late, lapse mid-task, or serve another task."""
        rng = self.rng
        jit = [(t, t.grant) for t in self.tasks if t.grant is not None]
        count = len(jit)
        sizes = [max(1, round(0.02 * count)), max(1, round(0.05 * count))]
        sizes += [max(2, round(0.03 * count)), max(1, round(0.02 * count))]
        chosen = rng.sample(jit, min(count, sum(sizes)))
        never, late = chosen[: sizes[0]], chosen[sizes[0] : sum(sizes[:2])]
        lapsed = chosen[sum(sizes[:2]) : sum(sizes[:3])]
        lenders = chosen[sum(sizes[:3]) :]
        for _, grant in never:
            grant.expires_at = grant.revoked_at = None
        for task, grant in late:
            room = self.world.end - 1.5 * DAY - task.last
            end = task.last + min(rng.uniform(2, 40) * HOUR, room)
            if rng.random() < 0.5:
                grant.expires_at, grant.revoked_at = end, None
            else:
                grant.revoked_at = end
                grant.expires_at = end + rng.uniform(1, 24) * HOUR
        for number, (task, grant) in enumerate(lapsed):
            self._lapse(task, grant, number % 2 == 1)
        for task, _ in lenders:
            self._borrow(task)

    def _lapse(self, task: Task, grant: TaskGrant, revoke: bool) -> None:
        """The grant ends after the first calls; the later ones come after and still name it."""
        rng = self.rng
        if len(task.calls) < 3:
            tool, host = rng.choice(task.agent.tools)
            moment = task.last + timedelta(seconds=rng.randint(5, 240))
            task.calls.append(self.call(moment, tool, host, "allowed", task.agent))
        split = rng.randrange(1, len(task.calls) - 1)
        end = task.calls[split - 1].moment + rng.uniform(2, 8) * MINUTE
        shift = end + rng.uniform(10, 60) * MINUTE - task.calls[split].moment
        for call in task.calls:
            call.grant = grant
        for call in task.calls[split:]:
            call.moment += shift
        if revoke:
            grant.revoked_at = end
            grant.expires_at = grant.granted_at + 8 * HOUR
        else:
            grant.expires_at, grant.revoked_at = end, None

    def _borrow(self, lender: Task) -> None:
        """A second task of the agent, run alongside, whose calls name the lender's grant."""
        rng = self.rng
        borrower = Task(lender.agent, f"sess-{fake.hexstr(rng, 12)}", lender.on_behalf_of)
        seconds = max(1, int((lender.last - lender.first).total_seconds()))
        for _ in range(rng.randint(2, 3)):
            moment = lender.first + timedelta(seconds=rng.randrange(seconds))
            tool, host = rng.choice(lender.agent.tools)
            call = self.call(moment, tool, host, "allowed", lender.agent)
            call.grant = lender.grant
            borrower.calls.append(call)
        self.tasks.append(borrower)

    def plant_egress(self, kinds: dict[str, str]) -> None:
        """Calls to hosts off every allowlist: allowed and denied from closed sandboxes, and
        allowed from an open one (where nothing is off the list)."""
        rng = self.rng
        calls = sum(len(t.calls) for t in self.tasks)
        closed = [t for t in self.tasks if kinds[t.agent.agent_id] == CLOSED]
        opened = [t for t in self.tasks if kinds[t.agent.agent_id] != CLOSED]
        count = max(2, round(0.004 * calls))
        picks = [(t, "allowed") for t in rng.sample(closed, min(len(closed), count))]
        picks += [(t, "denied") for t in rng.sample(closed, min(len(closed), count))]
        picks += [(t, "allowed") for t in rng.sample(opened, min(len(opened), 1))]
        for number, (task, decision) in enumerate(picks):
            seconds = max(1, int((task.last - task.first).total_seconds()))
            moment = task.first + timedelta(seconds=rng.randrange(seconds))
            # Alternate the hosts, so both are refused and let through somewhere.
            tool, host = OFF_LIST[number % len(OFF_LIST)]
            call = self.call(moment, tool, host, decision, task.agent)
            call.grant = task.grant
            task.calls.append(call)

    def plant_inherited(self, inventoried: list[Agent], pasted: Credential | None) -> None:
        """Tasks on someone else's credential: a person's pasted key, other identities'."""
        rng = self.rng
        mine = {a.agent_id for a in inventoried}
        others = [
            c
            for i in self.world.nonhuman
            if i.identity_id not in mine and i.kind in ("bot", "app", "service_account")
            for c in i.credentials
            if c.status == "active" and c.provider != "aws" and c.credential_type != "password"
        ]
        agents = rng.sample(inventoried, len(inventoried))
        count = max(1, round(0.01 * self.world.scale.nonhuman))
        foreign = rng.sample(others, min(len(others), count + 1))
        if pasted is not None:
            self._standing_task(agents[0], pasted.credential_id, "allowed")
            agents = agents[1:] + agents[:1]
        for number, cred in enumerate(foreign):
            # The one beyond ``count`` is only ever refused: no allowed call, no pair.
            decision = "denied" if number >= count else "allowed"
            self._standing_task(agents[number % len(agents)], cred.credential_id, decision)

    def _standing_task(self, agent: Agent, credential: str, decision: str) -> None:
        task = self.task(agent, credential, jit=False)
        for call in task.calls:
            call.decision = decision

    def number(self) -> None:
        """Task ids and grant ids in the order of the tasks' first calls."""
        self.tasks.sort(key=lambda t: (t.first, t.calls[0].call_id))
        grants = 0
        for number, task in enumerate(self.tasks, start=1):
            task.task_id = f"TASK-{10000 + number}"
            task.calls.sort(key=lambda c: (c.moment, c.call_id))
            if task.grant is not None:
                grants += 1
                task.grant.grant_id = f"JIT-GW-{grants:06d}"
                task.grant.task_id = task.task_id


def plan_agents(world: World) -> AgentPlan:
    """Draw the agents' tasks, calls, grants and sandboxes; plant what the docstring lists.

    Call it after the leaks (which settle which credentials stay active) and before the
    activity plan (which schedules the admin's calls with the pasted key).
    """
    planner = _Planner(world)
    rng = planner.rng
    agents = planner.agents()
    inventoried = [a for a in agents if a.inventoried]
    kinds = dict(zip((a.agent_id for a in agents), plan_kinds(rng, len(agents)), strict=True))
    counts: dict[str, int] = {}
    sandboxes = []
    for agent in agents:
        kind = kinds[agent.agent_id]
        sandboxes.append(draw_sandbox(rng, world.end, agent, kind, counts.get(kind, 0)))
        counts[kind] = counts.get(kind, 0) + 1
    weights = [a.weight for a in agents]
    # Every agent works on one task at least, so every sandbox has calls.
    chosen = agents + rng.choices(agents, weights, k=max(40, round(1.5 * world.scale.nonhuman)))
    for agent in chosen:
        planner.task(agent, jit=agent.inventoried and rng.random() >= 0.1)
    planner.plant_grants()
    planner.plant_egress(kinds)
    planner.plant_inherited(inventoried, paste_admin_key(world))
    orphan(world, {a.agent_id for a in inventoried})
    one_off_token(world, {a.agent_id for a in inventoried})
    planner.number()
    _record_use(world, planner.tasks)
    return AgentPlan(agents, sandboxes, planner.tasks)


def _record_use(world: World, tasks: list[Task]) -> None:
    """An inventoried token's last use is at least its last call through the gateway."""
    tokens = {c.credential_id: c for i in world.nonhuman for c in i.credentials}
    for task in tasks:
        for call in task.calls:
            token = tokens.get(call.credential_id)
            if token is not None and (token.last_used_at or call.moment) <= call.moment:
                token.last_used_at = call.moment
