"""Secret findings in the native output of GitHub secret scanning, gitleaks and TruffleHog.

* GitHub: the organisation endpoint's JSON array of alerts, newest first.
* gitleaks v8: a JSON array of findings, indented one space, HTML characters escaped the
  way Go's encoder does.
* TruffleHog v3: one JSON object per line, ``Raw`` holding the plain secret.

These files are the only ones of the demo that hold secret values, as the real tools do.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from analytics.demo import fake
from analytics.demo.leaks import Leak
from analytics.demo.model import GITHUB_ORG, Person, World

logger = logging.getLogger(__name__)

API = "https://api.github.com"
ORG_ID = 91_234_567

# (GitHub secret type, display name, gitleaks rule, TruffleHog detector, detector type)
_PATTERNS: dict[str, tuple[str, str, str, str, int]] = {
    "AKIA": ("aws_access_key_id", "Amazon AWS Access Key ID", "aws-access-token", "AWS", 2),
    "ghp_": (
        "github_personal_access_token",
        "GitHub Personal Access Token",
        "github-pat",
        "Github",
        8,
    ),
    "github_pat_": (
        "github_personal_access_token",
        "GitHub Personal Access Token",
        "github-fine-grained-pat",
        "Github",
        8,
    ),
    "xoxb-": ("slack_api_token", "Slack API Token", "slack-bot-token", "Slack", 13),
    "sk-": ("openai_api_key", "OpenAI API Key", "openai-api-key", "OpenAI", 201),
}
_DESCRIPTIONS = {
    "aws-access-token": "AWS access key id",
    "github-pat": "GitHub personal access token",
    "github-fine-grained-pat": "GitHub fine-grained personal access token",
    "slack-bot-token": "Slack bot token",
    "openai-api-key": "OpenAI API key",
    "generic-api-key": "Generic API key",
}
_MESSAGES = (
    "add deploy script",
    "wip: agent config",
    "update terraform vars",
    "fix ci credentials",
    "notebook: eval run",
    "temp: debug settings",
    "bump client and config",
)
_COMMENTS = {
    "revoked": "Key deactivated and replaced.",
    "wont_fix": "Sandbox credential, risk accepted by the owning team.",
    "false_positive": "Not a live credential.",
    "used_in_tests": "Fixture for integration tests.",
}


def _pattern(secret: str) -> tuple[str, str, str, str, int] | None:
    for prefix, pattern in _PATTERNS.items():
        if secret.startswith(prefix):
            return pattern
    return None


def _go_json(value: Any, indent: int | None = None) -> str:
    """JSON as Go's encoder writes it: ``<``, ``>`` and ``&`` escaped."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _entropy(text: str) -> float:
    counts = Counter(text)
    value = -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())
    return float(f"{value:.7g}")


def _user(person: Person) -> dict[str, Any]:
    return {
        "login": person.github_login,
        "id": person.github_id,
        "type": "User",
        "site_admin": False,
        "url": f"{API}/users/{person.github_login}",
        "html_url": f"https://github.com/{person.github_login}",
    }


def _active(leak: Leak) -> bool:
    return leak.credential is not None and leak.credential.status == "active"


def github_alerts(world: World, leaks: list[Leak]) -> list[dict[str, Any]]:
    """Secret-scanning alerts of the organisation, newest first, as the REST API lists them."""
    rng = random.Random(f"{world.seed}:github")
    numbers: dict[str, int] = {}
    alerts = []
    for leak in leaks:
        pattern = _pattern(leak.secret)
        if "github" not in leak.sources or pattern is None:
            continue
        repo = leak.repo
        numbers[repo.name] = number = numbers.get(repo.name, 0) + 1
        base = f"{API}/repos/{repo.full_name}"
        created = min(
            world.end - timedelta(seconds=1),
            leak.leaked_at + timedelta(seconds=rng.randrange(5, 600)),
        )
        resolved = leak.resolved_at if leak.outcome != "open" else None
        if leak.credential is None:
            validity = "unknown"
        else:
            validity = "active" if _active(leak) else "inactive"
        blob = fake.hexstr(rng, 40)
        alert = {
            "number": number,
            "created_at": fake.iso_z(created),
            "updated_at": fake.iso_z(max(resolved, created) if resolved else created),
            "url": f"{base}/secret-scanning/alerts/{number}",
            "html_url": f"https://github.com/{repo.full_name}/security/secret-scanning/{number}",
            "locations_url": f"{base}/secret-scanning/alerts/{number}/locations",
            "state": "resolved" if resolved else "open",
            "resolution": leak.outcome if resolved else None,
            "resolved_at": fake.iso_z(max(resolved, created)) if resolved else None,
            "resolved_by": _user(leak.resolver) if resolved and leak.resolver else None,
            "secret_type": pattern[0],
            "secret_type_display_name": pattern[1],
            "secret": leak.secret,
            "repository": {
                "id": repo.repo_id,
                "name": repo.name,
                "full_name": repo.full_name,
                "private": repo.private,
                "owner": {"login": GITHUB_ORG, "id": ORG_ID, "type": "Organization"},
                "html_url": f"https://github.com/{repo.full_name}",
                "fork": False,
                "url": base,
            },
            "push_protection_bypassed_by": _user(leak.author) if leak.bypassed else None,
            "push_protection_bypassed": leak.bypassed,
            "push_protection_bypassed_at": fake.iso_z(created) if leak.bypassed else None,
            "push_protection_bypass_request_reviewer": None,
            "push_protection_bypass_request_reviewer_comment": None,
            "push_protection_bypass_request_comment": None,
            "push_protection_bypass_request_html_url": None,
            "resolution_comment": _COMMENTS.get(leak.outcome) if resolved else None,
            "validity": validity,
            "publicly_leaked": not repo.private,
            "multi_repo": False,
            "is_base64_encoded": False,
            "first_location_detected": {
                "path": leak.path,
                "start_line": leak.line,
                "end_line": leak.line,
                "start_column": leak.column,
                "end_column": leak.column + len(leak.secret),
                "blob_sha": blob,
                "blob_url": f"{base}/git/blobs/{blob}",
                "commit_sha": leak.commit,
                "commit_url": f"{base}/git/commits/{leak.commit}",
            },
            "has_more_locations": rng.random() < 0.2,
        }
        alerts.append(alert)
    alerts.sort(
        key=lambda a: (a["created_at"], a["repository"]["name"], a["number"]), reverse=True
    )
    return alerts


def gitleaks_findings(world: World, leaks: list[Leak]) -> list[dict[str, Any]]:
    """gitleaks v8 findings for the leaks it saw."""
    rng = random.Random(f"{world.seed}:gitleaks")
    findings = []
    for leak in leaks:
        if "gitleaks" not in leak.sources:
            continue
        pattern = _pattern(leak.secret)
        if pattern is None:
            rule = "generic-api-key"
            match = f'{rng.choice(("client_secret", "api_key", "token"))} = "{leak.secret}"'
        else:
            rule, match = pattern[2], leak.secret
        findings.append(
            {
                "Description": _DESCRIPTIONS[rule],
                "StartLine": leak.line,
                "EndLine": leak.line,
                "StartColumn": leak.column,
                "EndColumn": leak.column + len(match) - 1,
                "Match": match,
                "Secret": leak.secret,
                "File": leak.path,
                "SymlinkFile": "",
                "Commit": leak.commit,
                "Entropy": _entropy(leak.secret),
                "Author": leak.author.name,
                "Email": leak.author.email,
                "Date": fake.iso_z(leak.leaked_at),
                "Message": rng.choice(_MESSAGES),
                "Tags": [],
                "RuleID": rule,
                "Fingerprint": f"{leak.commit}:{leak.path}:{rule}:{leak.line}",
            }
        )
    return findings


def trufflehog_findings(world: World, leaks: list[Leak]) -> list[dict[str, Any]]:
    """TruffleHog v3 git findings; verified when the credential still works."""
    findings = []
    for leak in leaks:
        pattern = _pattern(leak.secret)
        if "trufflehog" not in leak.sources or pattern is None:
            continue
        cred, ident = leak.credential, leak.identity
        verified = _active(leak)
        raw_v2 = leak.secret + cred.secret if leak.kind == "aws" and cred is not None else ""
        extra = None
        if verified and leak.kind == "aws" and ident is not None:
            extra = {
                "account": ident.account,
                "arn": ident.identity_id,
                "user_id": ident.unique_id,
            }
        stamp = leak.leaked_at.strftime("%Y-%m-%d %H:%M:%S +0000")
        findings.append(
            {
                "SourceMetadata": {
                    "Data": {
                        "Git": {
                            "commit": leak.commit,
                            "file": leak.path,
                            "email": f"{leak.author.name} <{leak.author.email}>",
                            "repository": f"https://github.com/{leak.repo.full_name}.git",
                            "timestamp": stamp,
                            "line": leak.line,
                        }
                    }
                },
                "SourceID": 1,
                "SourceType": 16,
                "SourceName": "trufflehog - git",
                "DetectorType": pattern[4],
                "DetectorName": pattern[3],
                "DecoderName": "PLAIN",
                "Verified": verified,
                "Raw": leak.secret,
                "RawV2": raw_v2,
                "Redacted": leak.secret if leak.kind == "aws" else "",
                "ExtraData": extra,
                "StructuredData": None,
            }
        )
    return findings


def write_findings(
    folder: Path, world: World, leaks: list[Leak]
) -> dict[str, list[dict[str, Any]]]:
    """Write the three finding files under ``folder``; return the findings by source."""
    found = {
        "github": github_alerts(world, leaks),
        "gitleaks": gitleaks_findings(world, leaks),
        "trufflehog": trufflehog_findings(world, leaks),
    }
    github = folder / "github" / "secret_scanning_alerts.json"
    github.parent.mkdir(parents=True, exist_ok=True)
    github.write_text(json.dumps(found["github"], indent=2) + "\n", encoding="utf-8")
    scanners = folder / "scanners"
    scanners.mkdir(parents=True, exist_ok=True)
    (scanners / "gitleaks.json").write_text(
        _go_json(found["gitleaks"], indent=1) + "\n", encoding="utf-8"
    )
    lines = "".join(_go_json(finding) + "\n" for finding in found["trufflehog"])
    (scanners / "trufflehog.jsonl").write_text(lines, encoding="utf-8")
    logger.info(
        "wrote %d GitHub alerts, %d gitleaks and %d TruffleHog findings under %s",
        len(found["github"]),
        len(found["gitleaks"]),
        len(found["trufflehog"]),
        folder,
    )
    return found
