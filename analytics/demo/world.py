"""The simulated organisation: people, non-human identities, their accounts and policies.

Larchmont (``larchmont-io`` on GitHub, ``larchmont.example`` for mail) is a mid-size
company with two AWS accounts, a GitHub organisation, an OpenAI organisation, a Slack
workspace and a GCP project set. Its CI bots and AI helpers have accumulated keys over the
years; :func:`build_world` draws that state from a seed, and every file writer reads it.
Credentials are added by :mod:`analytics.demo.keys`, AWS activity by
:mod:`analytics.demo.activity`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from analytics.demo import catalog, fake
from analytics.demo.model import (
    ARCHETYPES,
    DEV_ACCOUNT,
    GITHUB_ORG,
    MAIL_DOMAIN,
    PROD_ACCOUNT,
    REGIONS,
    TEAM_WEIGHTS,
    TEAMS,
    WINDOW,
    Archetype,
    Identity,
    Person,
    Repo,
    Scale,
    World,
    steer_clear,
)
from analytics.demo.policies import (
    ADMIN_POLICY,
    LEGACY_INLINE,
    PROFILE_POLICIES,
    ROLE_SERVICE,
    catalogue,
)

_FIRST = (
    "Ada Bilal Carmen Dmitri Elif Farah Gustav Hana Ines Jonas Keiko Lars Mei Nadia Omar "
    "Priya Quentin Rosa Sven Tariq Uma Viktor Wen Ximena Yusuf Zofia Amara Bruno Chloe "
    "Diego"
).split()
_LAST = (
    "Abara Bergstrom Castillo Dubois Eriksen Fontaine Gallagher Haddad Ivanova Jansen "
    "Kowalski Lindqvist Moreau Nakamura Okafor Petrov Quintero Rossi Sandoval Tanaka "
    "Umarov Varga Whitfield Yilmaz"
).split()


def build_world(seed: int, scale: Scale, end: datetime) -> World:
    """Draw the organisation for ``seed`` at ``scale`` as it stands at ``end``."""
    rng = random.Random(f"{seed}:world")
    unique = fake.Unique()
    people = _people(rng, scale, end, unique)
    repos = _repos(rng, unique)
    world = World(
        seed, scale, end - WINDOW, end, people, repos, [], catalogue(list(TEAMS)), unique
    )
    for arche in ARCHETYPES:
        count = max(1, round(arche.share * scale.nonhuman))
        for index in range(count):
            world.identities.append(_identity(rng, world, arche, index))
    _assign_activity(rng, world)
    _assign_owners(rng, world)
    for ident in world.identities:
        ident.created_at = _created_at(rng, world, ident)
    world.identities.extend(_console_users(rng, world))
    _attach_policies(rng, world)
    return world


def _people(rng: random.Random, scale: Scale, end: datetime, unique: fake.Unique) -> list[Person]:
    teams = list(TEAMS)
    people = []
    for number in range(1, scale.people + 1):
        name = unique.draw(lambda: f"{rng.choice(_FIRST)} {rng.choice(_LAST)}")
        first, last = name.lower().split()
        team = teams[number - 1] if number <= len(teams) else rng.choices(teams, TEAM_WEIGHTS)[0]
        login, suffix = f"{first[0]}{last}-lm", 2
        while f"login:{login}" in unique:
            login, suffix = f"{first[0]}{last}{suffix}-lm", suffix + 1
        unique.claim(f"login:{login}")
        people.append(
            Person(
                person_id=f"P{number:04d}",
                name=name,
                email=f"{first}.{last}@{MAIL_DOMAIN}",
                team=team,
                status="active",
                left_at=None,
                github_login=login,
                github_id=int(unique.draw(lambda: str(rng.randrange(1_000_000, 99_999_999)))),
            )
        )
    leavers = rng.sample(people[len(teams) :], max(2, round(0.12 * scale.people)))
    for person in leavers:
        person.status = "left"
        person.left_at = end - timedelta(days=rng.uniform(20, 400))
    return people


def _repos(rng: random.Random, unique: fake.Unique) -> list[Repo]:
    names = {
        "platform": ("infra-terraform", "ci-templates", "helm-charts"),
        "data": ("data-pipelines", "dbt-models"),
        "ml": ("ml-training", "feature-store"),
        "payments": ("payments-api", "ledger-service"),
        "support": ("support-agent", "helpdesk-sync"),
        "web": ("web-frontend", "checkout-web"),
        "security": ("security-tooling",),
    }
    return [
        Repo(name, int(unique.draw(lambda: str(rng.randrange(100_000_000, 899_999_999)))), team)
        for team, repo_names in names.items()
        for name in repo_names
    ]


def _unique_name(world: World, base: str) -> str:
    name, number = base, 2
    while f"name:{name}" in world.unique:
        name, number = f"{base}-{number}", number + 1
    world.unique.claim(f"name:{name}")
    return name


def _identity(rng: random.Random, world: World, arche: Archetype, index: int) -> Identity:
    team = rng.choices(list(TEAMS), TEAM_WEIGHTS)[0]
    word = rng.choice(TEAMS[team])
    repo = rng.choice([r for r in world.repos if r.team == team] or world.repos).full_name
    profile = rng.choice(arche.profiles) if arche.profiles else ""
    ident = Identity(
        identity_id="",
        name="",
        kind=arche.kind,
        provider=arche.provider,
        account="",
        environment="prod",
        owner_id="",
        team=team,
        archetype=arche.key,
        created_at=world.start,
        aws_type=arche.aws_type,
        profile=profile,
        repo=repo,
        word=word,
    )
    if arche.aws_type:
        _aws_details(rng, world, ident, word, index)
        return ident
    ident.environment = rng.choices(("prod", "staging", "dev"), (6, 2, 2))[0]
    ident.status = "disabled" if rng.random() < 0.05 else "active"
    if arche.key == "github_app":
        ident.name = _unique_name(world, f"{team}-{word}-app")
        ident.identity_id, ident.account = f"github:app/{ident.name}", GITHUB_ORG
    elif arche.key == "github_bot":
        ident.name = _unique_name(world, f"{word}-bot-lm")
        ident.identity_id, ident.account = f"github:user/{ident.name}", GITHUB_ORG
    elif arche.key == "openai_agent":
        ident.name = _unique_name(world, f"{team}-{word}-agent")
        project = f"proj_{fake.chars(random.Random(f'{world.seed}:{team}'), 24)}"
        ident.identity_id, ident.account = f"openai:{project}/{ident.name}", "org-larchmont"
    elif arche.key == "slack_bot":
        ident.name = _unique_name(world, f"{word}-notifier")
        bot_id = world.unique.draw(lambda: "B" + fake.chars(rng, 10, fake.UPPER_ALNUM))
        ident.identity_id, ident.account = f"slack:T04LARCHMT/{bot_id}", "T04LARCHMT"
    else:
        ident.name = _unique_name(world, f"{team}-{word}")
        project = f"larchmont-{ident.environment}"
        ident.identity_id = f"{ident.name}@{project}.iam.gserviceaccount.com"
        ident.account = project
    return ident


def _aws_details(rng: random.Random, world: World, ident: Identity, word: str, index: int) -> None:
    account = DEV_ACCOUNT if index % 4 == 3 else PROD_ACCOUNT
    ident.account = account
    ident.environment = "dev" if account == DEV_ACCOUNT else "prod"
    templates = {
        "aws_service_user": "svc-{team}-{word}",
        "aws_ci_user": "ci-{word}-deployer",
        "aws_agent_user": "agent-{team}-{word}",
        "aws_agent_role": "bedrock-agent-{team}-{word}",
    }
    role_templates = {
        "app_runtime": "{team}-{word}-task",
        "data_pipeline": "{team}-{word}-glue",
        "ci_deploy": "gha-deploy-{team}-{word}",
        "monitoring": "{team}-{word}-monitor",
        "security_scanner": "security-{word}-audit",
        "backup": "{team}-{word}-backup",
    }
    template = templates.get(ident.archetype) or role_templates[ident.profile]
    ident.name = _unique_name(world, template.format(team=ident.team, word=word))
    if ident.aws_type == "user":
        ident.identity_id = f"arn:aws:iam::{account}:user/{ident.name}"
        ident.unique_id = world.unique.draw(lambda: fake.aws_unique_id(rng, "AIDA"))
    else:
        ident.identity_id = f"arn:aws:iam::{account}:role/{ident.name}"
        ident.unique_id = world.unique.draw(lambda: fake.aws_unique_id(rng, "AROA"))
        ident.service = ROLE_SERVICE[ident.profile]
    ident.home_region = REGIONS[0] if rng.random() < 0.8 else REGIONS[1]
    ident.user_agent = rng.choice(
        catalog.USER_AGENTS[rng.choice(catalog.AGENT_FAMILY[ident.profile])]
    )
    if ident.profile == "ci_deploy":
        ips = [f"192.0.2.{rng.randrange(1, 200)}" for _ in range(3)]
    elif ident.aws_type == "role":
        ips = [f"10.40.{rng.randrange(0, 64)}.{rng.randrange(2, 255)}" for _ in range(2)]
    else:
        ips = [f"203.0.113.{rng.randrange(10, 100)}" for _ in range(2)]
    ident.ips = tuple(ips)
    ident.weight = rng.lognormvariate(0, 0.8) * catalog.INTENSITY[ident.profile]
    ident.error_rate = 0.25 if rng.random() < 0.04 else 0.01


def _assign_owners(rng: random.Random, world: World) -> None:
    """Give each identity a team member as owner; a few get none, a few a leaver."""
    for ident in world.identities:
        if rng.random() < 0.04:
            continue
        team = [p for p in world.people if p.team == ident.team] or world.people
        ident.owner_id = rng.choice(team).person_id
    leavers = [p for p in world.people if p.status == "left"]
    holders = [
        i
        for i in world.identities
        if i.aws_type != "role" and i.activity == "active" and i.status == "active" and i.owner_id
    ]
    for ident in rng.sample(holders, min(2, len(holders))):
        ident.owner_id = rng.choice(leavers).person_id


def _assign_activity(rng: random.Random, world: World) -> None:
    """Mark some AWS principals as dormant: events only long ago (gap), or none (silent).

    The first two IAM users of each account stay active, so that even a small world has
    live keys in both accounts for the planted calls of :mod:`analytics.demo.plants`.
    """
    keep: set[str] = set()
    for account in (PROD_ACCOUNT, DEV_ACCOUNT):
        users = [i for i in world.identities if i.aws_type == "user" and i.account == account]
        keep |= {i.identity_id for i in users[:2]}
    aws = [i for i in world.identities if i.aws_type and i.identity_id not in keep]
    order = rng.sample(aws, len(aws))
    gaps = max(1, round(0.12 * len(aws)))
    silent = max(1, round(0.15 * len(aws)))
    for ident in order[:gaps]:
        ident.activity = "gap"
    for ident in order[gaps : gaps + silent]:
        ident.activity = "silent"


def _created_at(rng: random.Random, world: World, ident: Identity) -> datetime:
    """Creation time: long before the window for dormant ones, some inside it for the rest."""
    low = world.end - timedelta(days=1100)
    if ident.activity != "active":
        high = world.start - timedelta(days=20)
    elif ident.account == PROD_ACCOUNT and rng.random() < 0.15:
        low, high = world.start + timedelta(days=3), world.end - timedelta(days=30)
    elif ident.aws_type:
        high = world.start - timedelta(days=1)
    else:
        high = world.end - timedelta(days=30)
    owner = world.person.get(ident.owner_id)
    if owner is not None and owner.left_at is not None:
        high = min(high, owner.left_at - timedelta(days=30))
        low = min(low, high - timedelta(days=200))
    return steer_clear(low + (high - low) * rng.random(), world.end)


def _console_users(rng: random.Random, world: World) -> list[Identity]:
    """IAM users in prod for the admins who use the AWS console (platform and security)."""
    active = [p for p in world.people if p.status == "active"]
    staff = [p for p in active if p.team in ("platform", "security")] or active
    admins = staff[: max(2, len(world.people) // 7)]
    users = []
    for number, person in enumerate(admins):
        person.iam_user = person.email.split("@")[0]
        users.append(
            Identity(
                identity_id=f"arn:aws:iam::{PROD_ACCOUNT}:user/{person.iam_user}",
                name=person.iam_user,
                kind="human",
                provider="aws",
                account=PROD_ACCOUNT,
                environment="prod",
                owner_id=person.person_id,
                team=person.team,
                archetype="console_user",
                created_at=world.end - timedelta(days=rng.uniform(400, 1500)),
                aws_type="user",
                unique_id=world.unique.draw(lambda: fake.aws_unique_id(rng, "AIDA")),
                profile="human_console",
                word="console",
                ips=(f"203.0.113.{200 + number % 50}",),
                user_agent=rng.choice(catalog.USER_AGENTS["browser"]),
                groups=["platform-admins" if number % 2 == 0 else "engineers"],
            )
        )
    return users


def _attach_policies(rng: random.Random, world: World) -> None:
    """Attach profile policies, then plant the overprivileged few."""
    machines = [i for i in world.identities if i.aws_type and i.kind != "human"]
    for ident in machines:
        names = [n.format(team=ident.team) for n in PROFILE_POLICIES[ident.profile]]
        if ident.profile == "monitoring" and rng.random() < 0.5:
            names = ["ReadOnlyAccess"]
        if ident.profile == "ci_deploy" and ident.aws_type == "user":
            if ident.account == PROD_ACCOUNT:
                ident.groups, names = ["ci-deployers"], []
        ident.policies = names
    users = [i for i in machines if i.aws_type == "user"]
    roles = [i for i in machines if i.aws_type == "role"]
    admins = max(2, round(0.06 * len(machines)))
    chosen = rng.sample(users, 1) + rng.sample(roles, 1)
    taken = {i.identity_id for i in chosen}
    rest = [i for i in machines if i.identity_id not in taken]
    chosen += rng.sample(rest, min(len(rest), admins - 2))
    for ident in chosen:
        ident.policies.append(ADMIN_POLICY)
    legacy = [i for i in users if i.archetype == "aws_service_user" and i.account == PROD_ACCOUNT]
    if legacy:
        inline, member = rng.choice(legacy), rng.choice(legacy)
        inline.inline.append(LEGACY_INLINE)
        member.groups.append("platform-admins")
        chosen += [inline, member]
    for ident in chosen:
        # Administrators are never refused, so their calls carry no access errors.
        ident.admin, ident.error_rate = True, 0.0
