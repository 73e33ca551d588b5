"""Secret findings in the native output of GitHub secret scanning, gitleaks and TruffleHog.

* GitHub: the organisation endpoint's JSON array of alerts, newest first.
* gitleaks v8: a JSON array of findings, indented one space, HTML characters escaped the
  way Go's encoder does.
* TruffleHog v3: one JSON object per line, ``Raw`` holding the plain secret.

gitleaks and TruffleHog write one report per weekly scan
(:func:`analytics.demo.remediation.scan_times`). Each scan reads the whole git history,
so a report holds every finding committed before it, written the same way in every
report; a scan that finds nothing keeps no report. A report states no scan time, only its
file's modification time does.

These files are the only ones of the demo that hold secret values, as the real tools do.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.demo import fake
from analytics.demo.leaks import Leak
from analytics.demo.model import GITHUB_ORG, Person, World
from analytics.demo.remediation import scan_times

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


def _live(leak: Leak) -> bool:
    """Whether the leaked value still works at the end of the period."""
    return leak.credential is not None and leak.fixed_at is None


@dataclass(frozen=True)
class Report:
    """One scan report: the scanner, when it ran, the file it went to, what it found."""

    source: str
    scanned_at: datetime
    path: Path
    findings: list[dict[str, Any]]


def github_alerts(world: World, leaks: list[Leak]) -> list[dict[str, Any]]:
    """Secret-scanning alerts of the organisation, newest first, as the REST API lists them."""
    rng = random.Random(f"{world.seed}:github")
    numbers: dict[str, int] = {}
    alerts = []
    for leak in leaks:
        pattern = _pattern(leak.secret)
        created = leak.alerted_at
        if created is None or pattern is None:
            continue
        repo = leak.repo
        numbers[repo.name] = number = numbers.get(repo.name, 0) + 1
        base = f"{API}/repos/{repo.full_name}"
        resolved = leak.resolved_at if leak.outcome != "open" else None
        if leak.credential is None:
            validity = "unknown"
        else:
            validity = "active" if _live(leak) else "inactive"
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
        verified = _live(leak)
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


def committed_at(finding: dict[str, Any]) -> datetime:
    """The commit time a gitleaks or TruffleHog finding states."""
    if "Date" in finding:
        return datetime.strptime(finding["Date"], "%Y-%m-%dT%H:%M:%S%z")
    stamp = finding["SourceMetadata"]["Data"]["Git"]["timestamp"]
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")


def _reports(world: World, folder: Path, found: dict[str, list[dict[str, Any]]]) -> list[Report]:
    """Cut the findings of each scanner into its weekly reports: all commits before a scan.

    Scan times are whole seconds, so comparing them with the commit times the findings
    state (also whole seconds) puts a leak in the first scan after its commit. A scan that
    finds nothing keeps no report, as a CI job that stores reports only on findings does;
    reports are cumulative, so only the first weeks can lack one.
    """
    suffix = {"gitleaks": "json", "trufflehog": "jsonl"}
    reports = []
    for scanned in scan_times(world):
        for source, ending in suffix.items():
            seen = [f for f in found[source] if committed_at(f) < scanned]
            if seen:
                path = folder / f"{source}-{scanned:%Y%m%d}.{ending}"
                reports.append(Report(source, scanned, path, seen))
    return reports


def write_findings(
    folder: Path, world: World, leaks: list[Leak]
) -> tuple[dict[str, list[dict[str, Any]]], list[Report]]:
    """Write the GitHub alerts and the weekly scan reports under ``folder``.

    Returns
    -------
    tuple
        The findings by source, each counted once (for gitleaks and TruffleHog, those of
        the last report), and the scan reports written. File times are left to the caller.
    """
    drafted = {
        "github": github_alerts(world, leaks),
        "gitleaks": gitleaks_findings(world, leaks),
        "trufflehog": trufflehog_findings(world, leaks),
    }
    github = folder / "github" / "secret_scanning_alerts.json"
    github.parent.mkdir(parents=True, exist_ok=True)
    github.write_text(json.dumps(drafted["github"], indent=2) + "\n", encoding="utf-8")
    scanners = folder / "scanners"
    scanners.mkdir(parents=True, exist_ok=True)
    reports = _reports(world, scanners, drafted)
    found = {"github": drafted["github"], "gitleaks": [], "trufflehog": []}
    for report in reports:
        if report.source == "gitleaks":
            text = _go_json(report.findings, indent=1) + "\n"
        else:
            text = "".join(_go_json(finding) + "\n" for finding in report.findings)
        report.path.write_text(text, encoding="utf-8")
        found[report.source] = report.findings
    logger.info(
        "wrote %d GitHub alerts and %d scan reports (%d gitleaks and %d TruffleHog findings) "
        "under %s",
        len(found["github"]),
        len(reports),
        len(found["gitleaks"]),
        len(found["trufflehog"]),
        folder,
    )
    return found, reports
