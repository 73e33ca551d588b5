"""Which secrets of the demo organisation leaked into git, when, and what happened next.

A leak is one secret committed at one place. Most leaks are real credentials of the world
(AWS keys of CI bots and AI agents first among them), so a metric can match a finding to
the credential it exposes; the rest is noise every scanner also reports: keys of other
companies, test fixtures, high-entropy strings. Each leak is seen by some of the three
sources (GitHub secret scanning, gitleaks, TruffleHog); :mod:`analytics.demo.remediation`
settles when it was detected and whether and when it was fixed, and
:mod:`analytics.demo.scanners` writes the findings. Some leaked AWS keys are used from an
unknown address before they are fixed, which :mod:`analytics.demo.activity` adds to
CloudTrail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from analytics.demo import fake
from analytics.demo.model import PROD_ACCOUNT, Credential, Identity, Person, Repo, World
from analytics.demo.remediation import plan_remediation

DAY = timedelta(days=1)
SOURCES = ("github", "gitleaks", "trufflehog")

_PATHS = {
    "ai_agent": ("agents/{name}/.env", "notebooks/{name}-eval.ipynb", "agents/{name}/config.yaml"),
    "bot": (".github/workflows/deploy.yml", "ci/deploy.sh", "scripts/release.sh"),
    "other": ("config/settings.py", ".env", "terraform/terraform.tfvars", "docker-compose.yml"),
    "noise": ("tests/fixtures/credentials.json", "docs/setup.md", "examples/client.py"),
}


@dataclass
class Leak:
    """One secret committed once; ``outcome`` is the GitHub resolution or ``open``.

    ``alerted_at`` is when GitHub raised its alert (``None`` when GitHub did not see the
    leak), ``detected_at`` the first detection by any source, ``fix_after_days`` the delay
    from detection to the fix that was drawn for it (``None``: never fixed) and
    ``fixed_at`` when the secret stopped working, if that happened before the end.
    """

    kind: str
    secret: str
    credential: Credential | None
    identity: Identity | None
    leaked_at: datetime
    repo: Repo
    path: str
    line: int
    column: int
    commit: str
    author: Person
    sources: tuple[str, ...]
    outcome: str = "open"
    resolved_at: datetime | None = None
    resolver: Person | None = None
    misuse_at: datetime | None = None
    bypassed: bool = False
    alerted_at: datetime | None = None
    detected_at: datetime | None = None
    fix_after_days: float | None = None
    fixed_at: datetime | None = None

    @property
    def key_id(self) -> str:
        """The AKIA key id for an AWS key leak, else an empty string."""
        return self.secret if self.kind == "aws" else ""


def plan_leaks(world: World) -> list[Leak]:
    """Choose the leaks for ``world``: credentials first, then scanner noise.

    Only credentials that work when they leak are chosen. AWS keys come from prod alone:
    key changes are logged there only (the admins work in prod), so the fix of a dev key
    would leave no trace in CloudTrail.
    """
    rng = random.Random(f"{world.seed}:leaks")
    findings = world.scale.findings
    aws = [
        (i, c)
        for i in world.identities
        if i.aws_type == "user" and i.kind != "human" and i.account == PROD_ACCOUNT
        for c in i.credentials
        if _leakable(world, c)
    ]
    tokens = [
        (i, c)
        for i in world.identities
        if not i.aws_type
        for c in i.credentials
        if c.secret and _leakable(world, c)
    ]
    leaks = [
        _credential_leak(rng, world, ident, cred)
        for ident, cred in _weighted_sample(rng, aws, max(3, round(0.35 * findings)))
    ]
    leaks += [
        _credential_leak(rng, world, ident, cred)
        for ident, cred in _weighted_sample(rng, tokens, max(2, round(0.3 * findings)))
    ]
    leaks += [_noise_leak(rng, world) for _ in range(max(3, round(0.35 * findings)))]
    leaks.sort(key=lambda leak: (leak.leaked_at, leak.commit))
    aws_leaks = [leak for leak in leaks if leak.kind == "aws"]
    if aws_leaks:
        aws_leaks[0].sources = SOURCES
    plan_remediation(world, leaks)
    _plan_misuse(rng, world, aws_leaks)
    return leaks


def _window(world: World, cred: Credential) -> tuple[datetime, datetime]:
    """When a credential can leak: while it works, and after its last rotation.

    AWS keys leak inside the log window, so that their fix is in CloudTrail; tokens up to
    60 days before it. A token leaks after its last rotation, since the leaked value is
    the one the inventory lists now.
    """
    low = cred.created_at + DAY
    if cred.provider == "aws":
        low = max(low, world.start)
    else:
        low = max(low, (cred.last_rotated_at or cred.created_at) + DAY, world.start - 60 * DAY)
    return low, world.end - 3 * DAY


def _leakable(world: World, cred: Credential) -> bool:
    low, high = _window(world, cred)
    return cred.status == "active" and low < high


def _weighted_sample(
    rng: random.Random, pairs: list[tuple[Identity, Credential]], count: int
) -> list[tuple[Identity, Credential]]:
    """Sample without replacement; CI bots and AI agents leak three times as often."""
    keyed = []
    for ident, cred in pairs:
        weight = 3.0 if ident.kind in ("bot", "ai_agent") else 1.0
        keyed.append((rng.random() ** (1 / weight), cred.credential_id, ident, cred))
    keyed.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(ident, cred) for _, _, ident, cred in keyed[:count]]


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    return low + (high - low) * rng.random()


def _place(rng: random.Random, world: World, repo: Repo, category: str, name: str) -> dict:
    team = [p for p in world.people if p.team == repo.team] or world.people
    return {
        "repo": repo,
        "path": rng.choice(_PATHS[category]).format(name=name),
        "line": rng.randrange(1, 180),
        "column": rng.randrange(1, 40),
        "commit": fake.hexstr(rng, 40),
        "author": rng.choice(team),
    }


def _credential_leak(rng: random.Random, world: World, ident: Identity, cred: Credential) -> Leak:
    repo = next(r for r in world.repos if r.full_name == ident.repo)
    category = ident.kind if ident.kind in ("ai_agent", "bot") else "other"
    sources = tuple(
        s for s, p in zip(SOURCES, (0.9, 0.5, 0.45), strict=True) if rng.random() < p
    ) or ("github",)
    if cred.credential_type == "oauth_client_secret":
        # A bare hex client secret matches no provider pattern, only gitleaks' generic rule.
        sources = ("gitleaks",)
    return Leak(
        kind="aws" if cred.provider == "aws" else cred.credential_type,
        secret=cred.credential_id if cred.provider == "aws" else cred.secret,
        credential=cred,
        identity=ident,
        leaked_at=_between(rng, *_window(world, cred)),
        sources=sources,
        bypassed=rng.random() < 0.1,
        **_place(rng, world, repo, category, ident.name),
    )


def _noise_leak(rng: random.Random, world: World) -> Leak:
    """A finding that matches no credential of the world."""
    kind = rng.choices(("aws", "token", "generic"), (3, 3, 4))[0]
    if kind == "aws":
        make, sources = partial(fake.aws_key_id, rng), ("github", "gitleaks", "trufflehog")
    elif kind == "token":
        make, sources = partial(fake.github_classic_pat, rng), ("github", "trufflehog")
    else:
        make, sources = partial(fake.chars, rng, 32, fake.LOWER_ALNUM), ("gitleaks",)
    picked = tuple(s for s in sources if rng.random() < 0.6) or sources[:1]
    repo = rng.choice(world.repos)
    leak = Leak(
        kind=kind,
        secret=world.unique.draw(make),
        credential=None,
        identity=None,
        leaked_at=_between(rng, world.start - 90 * DAY, world.end - DAY),
        sources=picked,
        **_place(rng, world, repo, "noise", repo.name),
    )
    if "github" in picked:
        leak.outcome = rng.choices(
            ("open", "false_positive", "used_in_tests", "pattern_edited", "pattern_deleted"),
            (2, 3, 3, 1, 1),
        )[0]
    if leak.outcome != "open":
        leak.resolved_at = min(world.end - DAY / 24, leak.leaked_at + rng.uniform(1, 30) * DAY)
        leak.resolver = rng.choice([p for p in world.people if p.status == "active"])
    return leak


def _plan_misuse(rng: random.Random, world: World, aws_leaks: list[Leak]) -> None:
    """Let someone outside use a few leaked keys within days of the leak, before any fix."""
    eligible = [
        leak
        for leak in aws_leaks
        if leak.credential is not None
        and leak.identity is not None
        and (leak.fixed_at is None or leak.fixed_at > leak.leaked_at + 3 * DAY)
        and leak.credential.used_from is not None
        and leak.identity.activity == "active"
        and leak.leaked_at < world.end - 3 * DAY
        and leak.leaked_at > world.start
        # A burst (0.3 to 2.75 days after the leak) never straddles the 90-day cutoff.
        and not world.end - 95 * DAY < leak.leaked_at < world.end - 89 * DAY
    ]
    if not eligible:
        return
    chosen = [leak for leak in eligible if rng.random() < 0.35] or eligible[:1]
    for leak in chosen:
        leak.misuse_at = leak.leaked_at + rng.uniform(0.3, 2.5) * DAY
