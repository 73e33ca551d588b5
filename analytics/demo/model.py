"""The shapes of the demo organisation: accounts, scales, people, identities, credentials.

Plain data classes with no behaviour beyond a few derived properties; the builders in
:mod:`analytics.demo.world`, :mod:`analytics.demo.keys` and :mod:`analytics.demo.activity`
fill them in, and every writer reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.demo import fake
from analytics.demo.policies import Policy, Statement

PROD_ACCOUNT = "111122223333"
DEV_ACCOUNT = "444455556666"
REGIONS = ("us-east-1", "eu-west-1")
WINDOW = timedelta(days=180)
# Look-back cutoffs of the metrics (days before the as-of): no planted time lies near one.
CUTOFF_DAYS = (90, 365)
GITHUB_ORG = "larchmont-io"
MAIL_DOMAIN = "larchmont.example"

# Team -> service words used to name workloads, resources and repositories.
TEAMS: dict[str, tuple[str, ...]] = {
    "platform": ("terraform", "backup", "monitoring", "dns", "logs", "ingress"),
    "data": ("etl", "warehouse", "ingest", "reporting", "dbt", "lakehouse"),
    "ml": ("training", "features", "embeddings", "evals", "inference"),
    "payments": ("ledger", "invoices", "payouts", "reconcile", "fraud"),
    "support": ("tickets", "helpdesk", "triage", "kb-sync"),
    "web": ("frontend", "assets", "search", "checkout"),
    "security": ("scanner", "audit", "siem", "forensics"),
}
TEAM_WEIGHTS = (3, 3, 2, 2, 2, 3, 1)
PUBLIC_REPOS = frozenset({"ci-templates", "helm-charts"})


@dataclass(frozen=True)
class Scale:
    """Size of a demo data set.

    Attributes
    ----------
    people
        Staff in the HR directory.
    nonhuman
        Non-human identities, split over the archetypes by their shares.
    events
        Target number of CloudTrail events over the window; the result lands near it.
    findings
        Scale of the secret leaks: about this many credential and noise leaks in all.
    """

    name: str
    people: int
    nonhuman: int
    events: int
    findings: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", 14, 30, 3_000, 10),
    "default": Scale("default", 80, 300, 50_000, 60),
    "large": Scale("large", 450, 2_000, 1_000_000, 400),
}


@dataclass(frozen=True)
class Archetype:
    """A family of non-human identity: kind, provider, share of the population, jobs."""

    key: str
    kind: str
    provider: str
    share: float
    aws_type: str = ""
    profiles: tuple[str, ...] = ()


ARCHETYPES = (
    Archetype(
        "aws_service_user",
        "iam_user",
        "aws",
        0.14,
        "user",
        ("data_pipeline", "monitoring", "backup", "app_runtime"),
    ),
    Archetype("aws_ci_user", "bot", "aws", 0.05, "user", ("ci_deploy",)),
    Archetype("aws_agent_user", "ai_agent", "aws", 0.04, "user", ("ai_agent",)),
    Archetype(
        "aws_role",
        "iam_role",
        "aws",
        0.20,
        "role",
        ("app_runtime", "data_pipeline", "ci_deploy", "monitoring", "security_scanner", "backup"),
    ),
    Archetype("aws_agent_role", "ai_agent", "aws", 0.03, "role", ("ai_agent",)),
    Archetype("github_app", "app", "github", 0.05),
    Archetype("github_bot", "bot", "github", 0.07),
    Archetype("openai_agent", "ai_agent", "openai", 0.10),
    Archetype("slack_bot", "bot", "slack", 0.08),
    Archetype("gcp_sa", "service_account", "gcp", 0.24),
)


@dataclass
class Person:
    """A member of staff from the HR directory; ``iam_user`` is set for console admins."""

    person_id: str
    name: str
    email: str
    team: str
    status: str
    left_at: datetime | None
    github_login: str
    github_id: int
    iam_user: str = ""


@dataclass
class Credential:
    """A credential and its life; ``secret`` goes only into leak files, never elsewhere."""

    credential_id: str
    identity_id: str
    credential_type: str
    provider: str
    created_at: datetime
    secret: str = field(repr=False)
    expires_at: datetime | None = None
    last_rotated_at: datetime | None = None
    status: str = "active"
    deactivated_at: datetime | None = None
    deleted_at: datetime | None = None
    used_from: datetime | None = None
    used_until: datetime | None = None
    last_used_at: datetime | None = None
    last_used_region: str = ""
    last_used_service: str = ""


@dataclass
class Repo:
    """A repository of the GitHub organisation."""

    name: str
    repo_id: int
    team: str

    @property
    def private(self) -> bool:
        """Whether the repository is private; a few shared templates are public."""
        return self.name not in PUBLIC_REPOS

    @property
    def full_name(self) -> str:
        """``org/name``."""
        return f"{GITHUB_ORG}/{self.name}"


@dataclass(frozen=True)
class PolicyChange:
    """A policy attached to (``added``) or detached from an identity at ``at``.

    ``statements`` is set for an inline policy and empty for a managed one. ``used`` marks a
    gain that the identity goes on to exercise, so the activity planner adds those calls.
    """

    at: datetime
    policy: str
    added: bool
    statements: tuple[Statement, ...] = ()
    used: bool = False


@dataclass
class Identity:
    """A non-human identity, or (kind ``human``) the IAM console user of an admin.

    AWS principals carry ``aws_type`` (``user`` or ``role``) and an ARN as ``identity_id``;
    ``activity`` says whether they act through the log window (``active``), only 100-170
    days before its end (``gap``) or never (``silent``). ``policies``, ``inline`` and
    ``groups`` hold the state at the end; ``changes`` say how it differed before.
    """

    identity_id: str
    name: str
    kind: str
    provider: str
    account: str
    environment: str
    owner_id: str
    team: str
    archetype: str
    created_at: datetime
    status: str = "active"
    aws_type: str = ""
    unique_id: str = ""
    profile: str = ""
    activity: str = "active"
    home_region: str = REGIONS[0]
    ips: tuple[str, ...] = ()
    user_agent: str = ""
    service: str | None = None
    repo: str = ""
    word: str = ""
    weight: float = 1.0
    error_rate: float = 0.01
    admin: bool = False
    policies: list[str] = field(default_factory=list)
    inline: list[tuple[str, tuple[Statement, ...]]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    last_used_at: datetime | None = None
    last_used_region: str = ""
    changes: list[PolicyChange] = field(default_factory=list)


@dataclass
class World:
    """Everything the writers need, drawn once from the seed."""

    seed: int
    scale: Scale
    start: datetime
    end: datetime
    people: list[Person]
    repos: list[Repo]
    identities: list[Identity]
    policies: dict[str, Policy]
    unique: fake.Unique

    @property
    def nonhuman(self) -> list[Identity]:
        """Identities that go to the inventory: everything but admins' console users."""
        return [i for i in self.identities if i.kind != "human"]

    @property
    def principals(self) -> list[Identity]:
        """AWS principals (users and roles, human console users included)."""
        return [i for i in self.identities if i.aws_type]

    @property
    def person(self) -> dict[str, Person]:
        """People by ``person_id``."""
        return {p.person_id: p for p in self.people}


def steer_clear(
    moment: datetime,
    end: datetime,
    later: bool = True,
    cutoffs: tuple[int, ...] = CUTOFF_DAYS,
) -> datetime:
    """Move ``moment`` two days off a look-back cutoff that it lies within a day of.

    A metric computed at any as-of in the last day before ``end`` puts its 90- and 365-day
    cutoffs (or the ``cutoffs`` given, in days) between ``end - days - 1 day`` and
    ``end - days``; a planted time there would fall on either side depending on the as-of.
    Times from half a day after to a day and a half before a cutoff move two days later (or
    earlier), out of reach.
    """
    for days in cutoffs:
        cutoff = end - timedelta(days=days)
        if cutoff - timedelta(days=1.5) <= moment <= cutoff + timedelta(hours=12):
            return moment + timedelta(days=2 if later else -2)
    return moment
