"""The agents' tools and sandboxes: which hosts each tool reaches, what each sandbox allows.

Every agent that calls tools through the gateway runs in a sandbox of its own. Most
sandboxes allow the hosts of the agent's tools and read the secrets of their environment.
A few are planted: open egress (``allow: ["*"]``) together with production secrets, and
open egress with nothing from production (one half of the risk only). Production secrets
are those of a ``prod`` sandbox or named ``prod/...`` or ``production/...``; a name that
only mentions prod further in (``dev/ml/prod-replica-readonly``) is not one of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

# A tool as the gateway names it, and the host it reaches.
Tool = tuple[str, str]

# Tool families: the egress patterns a sandbox needs for them, and their tools.
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[Tool, ...]]] = {
    "openai": (
        ("api.openai.com",),
        (
            ("openai.responses.create", "api.openai.com"),
            ("openai.embeddings.create", "api.openai.com"),
        ),
    ),
    "bedrock": (
        ("bedrock-runtime.*.amazonaws.com",),
        (("bedrock.invoke_model", "bedrock-runtime.us-east-1.amazonaws.com"),),
    ),
    "github": (
        ("api.github.com",),
        (
            ("github.create_issue", "api.github.com"),
            ("github.get_pull_request", "api.github.com"),
            ("github.add_comment", "api.github.com"),
        ),
    ),
    "slack": (
        ("slack.com", "*.slack.com"),
        (
            ("slack.chat_postMessage", "slack.com"),
            ("slack.incoming_webhook", "hooks.slack.com"),
        ),
    ),
    "internal": (
        ("*.internal.larchmont.example",),
        (
            ("kb.search", "kb.internal.larchmont.example"),
            ("tickets.update", "tickets.internal.larchmont.example"),
            ("warehouse.query", "warehouse.internal.larchmont.example"),
        ),
    ),
    "s3": (
        ("s3.us-east-1.amazonaws.com",),
        (("s3.get_object", "s3.us-east-1.amazonaws.com"),),
    ),
}
EXTRA_FAMILIES = ("bedrock", "github", "slack", "internal", "s3")
# Hosts no sandbox lists: a paste site and an API nobody approved.
OFF_LIST: tuple[Tool, ...] = (
    ("http.fetch", "paste.example.net"),
    ("http.post", "api.free-llm-gateway.example"),
)
OPEN, BOTH, CLOSED = "open", "both", "closed"


@dataclass
class Agent:
    """An agent that calls tools through the gateway.

    ``inventoried`` is false for a shadow agent that ``identities.csv`` does not list.
    ``credential_id`` is the credential the gateway attaches to its calls by default,
    ``since`` the first time it may call (after that credential was issued).
    ``reported_name``, when set, is the name the agent's client gives the gateway instead
    of ``name`` (MCP clients name themselves); the sandbox keeps ``name``.
    """

    agent_id: str
    name: str
    owner_id: str
    environment: str
    team: str
    word: str
    account: str
    credential_id: str
    since: datetime
    families: tuple[str, ...]
    inventoried: bool = True
    weight: float = 1.0
    reported_name: str = ""

    @property
    def sandbox_id(self) -> str:
        """The id of the agent's sandbox."""
        return f"sbx-{self.name}"

    @property
    def tools(self) -> tuple[Tool, ...]:
        """Every tool of the agent's families."""
        return tuple(tool for family in self.families for tool in FAMILIES[family][1])


@dataclass
class Sandbox:
    """One sandbox policy, as ``docs/sandbox-policy.md`` describes it."""

    sandbox_id: str
    agents: list[str]
    owner_id: str
    environment: str
    reviewed_at: date
    allow: list[str]
    secrets: list[str]
    credentials: list[str] = field(default_factory=list)

    def allows(self, host: str) -> bool:
        """Whether a pattern of the allowlist matches ``host`` (case-insensitive)."""
        return any(fnmatchcase(host.lower(), p.lower()) for p in self.allow)

    def document(self) -> dict[str, Any]:
        """The YAML document of the policy, keys in the documented order; an empty owner
        or credential list is left out, as a hand-written policy would."""
        document: dict[str, Any] = {
            "sandbox_id": self.sandbox_id,
            "agents": list(self.agents),
            "owner_id": self.owner_id,
            "environment": self.environment,
            "reviewed_at": self.reviewed_at,
            "egress": {"allow": list(self.allow)},
            "secrets": list(self.secrets),
            "credentials": list(self.credentials),
        }
        return {k: v for k, v in document.items() if v or k == "egress"}


def draw_tools(rng: random.Random) -> tuple[str, ...]:
    """The tool families of an agent: the OpenAI API, then two or three others."""
    return ("openai", *rng.sample(EXTRA_FAMILIES, rng.randint(2, 3)))


def plan_kinds(rng: random.Random, count: int) -> list[str]:
    """Which sandboxes get open egress with production secrets (``both``), open egress
    alone (``open``) or an allowlist (``closed``); at least one of each when ``count`` >= 3.
    """
    both = max(1, round(0.06 * count))
    opened = max(1, round(0.05 * count))
    kinds = [BOTH] * both + [OPEN] * opened
    kinds += [CLOSED] * max(0, count - len(kinds))
    rng.shuffle(kinds)
    return kinds[:count]


def draw_sandbox(
    rng: random.Random, end: datetime, agent: Agent, kind: str, number: int
) -> Sandbox:
    """The sandbox of ``agent``, of ``kind``; ``number`` counts earlier ones of that kind.

    Every second ``both`` sandbox is a staging one that reads a ``production/`` secret;
    the others are prod sandboxes. An ``open`` sandbox is a dev one whose secrets only
    mention prod after their first segment. The first ``closed`` one is a prod sandbox,
    the others keep the agent's environment.
    """
    environment, team, word = agent.environment, agent.team, agent.word
    if kind == BOTH:
        environment = "staging" if number % 2 else "prod"
        secrets = [f"{environment}/{team}/{word}"]
        if environment != "prod":
            secrets.append(f"production/{team}/db-readonly")
    elif kind == OPEN:
        environment = "dev"
        secrets = [f"dev/{team}/{word}", f"dev/{team}/prod-replica-readonly"]
    else:
        # The first closed sandbox is a prod one: production secrets without open egress.
        environment = "prod" if number == 0 else environment
        secrets = [f"{environment}/{team}/{word}"]
    if kind == CLOSED:
        allow = [p for family in agent.families for p in FAMILIES[family][0]]
    else:
        allow = ["*"]
    return Sandbox(
        sandbox_id=agent.sandbox_id,
        agents=[agent.agent_id],
        owner_id=agent.owner_id,
        environment=environment,
        reviewed_at=(end - timedelta(days=rng.uniform(10, 200))).date(),
        allow=allow,
        secrets=secrets,
        credentials=[agent.credential_id] if agent.inventoried else [],
    )
