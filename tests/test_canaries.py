"""Canary secrets planted in every input kind never reach anything the toolkit writes.

One small file of every kind the toolkit ingests is written here, each carrying unique,
real-looking secrets in the fields a real leak sits in: scanner secret fields, CloudTrail
request and response payloads, OpenTelemetry attributes, gateway tool arguments, CSV cells
the adapters do not read, sandbox environment values. The files are ingested, and metrics,
findings, controls and a report of every notebook are run, all through the command line with
DEBUG logging. Each canary is then searched for in the warehouse (its file's bytes, its
write-ahead log and every stored value), every file of the report folder, the captured logs,
stdout and stderr. A secret may leave one trace: its preview (at most the first four
characters, :mod:`analytics.redaction`), so neither its first five characters nor any eight
in a row may appear.

AWS access-key ids (``AKIA…``) are identifiers, not secrets: they may be stored, and the
tests check that they are, which shows the planted records were really read.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from analytics.cli import main
from analytics.demo.iam import REPORT_COLUMNS  # the columns AWS writes
from tests.conftest import FINGERPRINT_KEY, fingerprint, stored_values

pytestmark = pytest.mark.slow

AS_OF = "2026-11-30"
# A secret's preview shows at most its first four characters (analytics.redaction); five of
# them, or any run of WINDOW characters of it, is a leak.
PREVIEW = 4
WINDOW = 8


def _canary(prefix: str, where: str, length: int) -> str:
    """A secret of the shape a scanner would report, unique to ``where``: the type prefix,
    characters drawn from ``where``'s hash, and ``CANARY`` at the end."""
    digest = hashlib.sha256(where.encode()).hexdigest()
    body = digest.upper() + digest
    return prefix + body[: length - len(prefix) - len("CANARY")] + "CANARY"


def _key_id(where: str) -> str:
    """An AWS access-key id (``AKIA`` and 16 of A-Z0-9), unique to ``where``."""
    return ("AKIACANARY" + hashlib.sha256(where.encode()).hexdigest().upper())[:20]


@dataclass
class Planted:
    """What was planted where: secrets (never written anywhere) and key ids (may be)."""

    secrets: dict[str, str]
    key_ids: dict[str, str]
    # Secrets a scanner reports as the finding's secret: the warehouse must hold their
    # fingerprint, which proves the finding was read.
    fingerprinted: dict[str, str]

    def secret(self, where: str, prefix: str, length: int = 40) -> str:
        value = _canary(prefix, where, length)
        self.secrets[where] = value
        return value

    def key_id(self, where: str) -> str:
        value = _key_id(where)
        self.key_ids[where] = value
        return value


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")


def _write_lines(path: Path, values: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(v) + "\n" for v in values), encoding="utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ci-deployer"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/support-agent"


def _cloudtrail(plant: Planted, path: Path) -> None:
    def event(n: int, source: str, name: str, **fields: object) -> dict[str, object]:
        return {
            "eventVersion": "1.09",
            "eventTime": f"2026-11-2{n}T10:00:00Z",
            "eventSource": source,
            "eventName": name,
            "eventID": f"00000000-0000-4000-8000-c4a2a000000{n}",
            "awsRegion": "eu-west-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15",
            "recipientAccountId": ACCOUNT,
            "userIdentity": {
                "type": "IAMUser",
                "arn": USER_ARN,
                "accountId": ACCOUNT,
                "accessKeyId": plant.key_id("cloudtrail userIdentity.accessKeyId"),
            },
            **fields,
        }

    new_key = plant.key_id("cloudtrail responseElements.accessKey.accessKeyId")
    records = [
        event(
            1,
            "iam.amazonaws.com",
            "CreateAccessKey",
            requestParameters={"userName": "ci-deployer"},
            responseElements={
                "accessKey": {
                    "accessKeyId": new_key,
                    "secretAccessKey": plant.secret(
                        "cloudtrail responseElements.accessKey.secretAccessKey", "wJalr"
                    ),
                    "status": "Active",
                    "userName": "ci-deployer",
                }
            },
        ),
        event(
            2,
            "ssm.amazonaws.com",
            "PutParameter",
            requestParameters={
                "name": "/prod/db/password",
                "type": "String",
                "value": plant.secret("cloudtrail requestParameters.value", "pw-", 24),
            },
        ),
        event(
            3,
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            requestParameters={"secretId": "prod/payments/stripe"},
            responseElements={
                "secretString": json.dumps(
                    {"api_key": plant.secret("cloudtrail responseElements.secretString", "sk_")}
                )
            },
        ),
        event(
            4,
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            requestParameters={
                "functionName": "billing-export",
                "environment": {
                    "variables": {
                        "GITHUB_TOKEN": plant.secret(
                            "cloudtrail requestParameters.environment.variables", "ghp_"
                        )
                    }
                },
            },
        ),
        event(
            5,
            "s3.amazonaws.com",
            "GetObject",
            requestParameters={"bucketName": "releases", "key": "build.zip"},
            additionalEventData={
                "SignatureVersion": "SigV4",
                "x-amz-security-token": plant.secret(
                    "cloudtrail additionalEventData.x-amz-security-token", "IQoJ", 60
                ),
            },
        ),
    ]
    _write_json(path, {"Records": records})


def _credential_report(plant: Planted, path: Path) -> None:
    # A report joined with a vault export by a home-grown script: an extra column.
    row = [
        "ci-deployer",
        USER_ARN,
        "2025-01-02T00:00:00+00:00",
        "false",
        "N/A",
        "N/A",
        "N/A",
        "false",
        "true",
        "2025-01-02T00:00:00+00:00",
        "2026-11-25T10:00:00+00:00",
        "eu-west-1",
        "s3",
        "false",
        "N/A",
        "N/A",
        "N/A",
        "N/A",
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    secret = plant.secret("aws-credential-report extra column access_key_1_secret", "wJalr")
    _write_csv(path, [*REPORT_COLUMNS, "access_key_1_secret"], [[*row, secret]])


def _authorization_details(plant: Planted, path: Path) -> None:
    allow_s3 = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}}
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {
                    "sts:ExternalId": plant.secret(
                        "aws-authorization-details AssumeRolePolicyDocument sts:ExternalId",
                        "ext-",
                        32,
                    )
                }
            },
        },
    }
    document = {
        "UserDetailList": [
            {
                "UserName": "ci-deployer",
                "UserId": "AIDACANARY0000000001",
                "Arn": USER_ARN,
                "CreateDate": "2025-01-02T00:00:00Z",
                "GroupList": [],
                "AttachedManagedPolicies": [],
                "UserPolicyList": [{"PolicyName": "releases", "PolicyDocument": allow_s3}],
                "Tags": [
                    {
                        "Key": "db-password",
                        "Value": plant.secret(
                            "aws-authorization-details UserDetailList Tags.Value", "pw-", 24
                        ),
                    }
                ],
            }
        ],
        "RoleDetailList": [
            {
                "RoleName": "support-agent",
                "RoleId": "AROACANARY0000000001",
                "Arn": ROLE_ARN,
                "CreateDate": "2025-01-02T00:00:00Z",
                "AssumeRolePolicyDocument": trust,
                "RolePolicyList": [{"PolicyName": "tickets", "PolicyDocument": allow_s3}],
                "AttachedManagedPolicies": [],
            }
        ],
        "GroupDetailList": [],
        "Policies": [],
    }
    _write_json(path, document)


def _gitleaks(plant: Planted, path: Path) -> None:
    aws_secret = plant.secret("gitleaks Secret (aws secret key)", "wJalr")
    token = plant.secret("gitleaks Secret (github token)", "ghp_")
    offender = plant.secret("gitleaks v7 offender", "sk-proj-", 48)
    plant.fingerprinted.update(
        {"gitleaks aws": aws_secret, "gitleaks github": token, "gitleaks v7": offender}
    )
    findings = [
        {
            "Description": "AWS secret access key",
            "StartLine": 12,
            "Match": f"aws_secret_access_key = {aws_secret}",
            "Secret": aws_secret,
            "Line": f"export aws_secret_access_key = {aws_secret}",
            "File": "deploy/env.sh",
            "Commit": "1111111111111111111111111111111111111111",
            "Author": "Ada Example",
            "Email": "ada@example.com",
            "Date": "2026-11-20T09:00:00Z",
            "Message": "ci: use the key "
            + plant.secret("gitleaks Message (another secret)", "wJalr"),
            "RuleID": "aws-secret-access-key",
            "Fingerprint": "1111111111111111111111111111111111111111:deploy/env.sh:aws:12",
        },
        {
            "Description": "GitHub personal access token",
            "StartLine": 3,
            "Match": f'token: "{token}"',
            "Secret": token,
            "File": "config/ci.yml",
            "Commit": "2222222222222222222222222222222222222222",
            "Date": "2026-11-21T09:00:00Z",
            "RuleID": "github-pat",
            "Fingerprint": "2222222222222222222222222222222222222222:config/ci.yml:pat:3",
        },
        {
            "rule": "OpenAI API key",
            "offender": f'OPENAI_API_KEY="{offender}"',
            "line": f'export OPENAI_API_KEY="{offender}"',
            "lineNumber": 7,
            "file": "scripts/run.sh",
            "commit": "3333333333333333333333333333333333333333",
            "repo": "example-org/agents",
            "date": "2026-11-22T09:00:00Z",
        },
    ]
    _write_json(path, findings)


def _trufflehog(plant: Planted, path: Path) -> None:
    key_id = plant.key_id("trufflehog Raw (aws key id)")
    aws_secret = plant.secret("trufflehog RawV2 (aws secret key part)", "wJalr")
    slack = plant.secret("trufflehog Raw (slack token)", "xoxb-", 56)
    v2 = plant.secret("trufflehog v2 stringsFound", "sk_live_", 40)
    plant.fingerprinted.update({"trufflehog aws": key_id, "trufflehog slack": slack})
    plant.fingerprinted["trufflehog v2"] = v2

    def where(file: str, line: int) -> dict[str, object]:
        return {
            "Data": {
                "Git": {
                    "commit": "4444444444444444444444444444444444444444",
                    "file": file,
                    "email": "Ada Example <ada@example.com>",
                    "repository": "https://github.com/example-org/agents.git",
                    "timestamp": "2026-11-20 09:00:00 +0000",
                    "line": line,
                }
            }
        }

    findings = [
        {
            "SourceMetadata": where("deploy/env.sh", 12),
            "DetectorName": "AWS",
            "Verified": True,
            "Raw": key_id,
            "RawV2": key_id + aws_secret,
            "Redacted": key_id,
            "ExtraData": {"account": ACCOUNT, "arn": USER_ARN},
        },
        {
            "SourceMetadata": where("bots/notify.py", 4),
            "DetectorName": "Slack",
            "Verified": False,
            "Raw": slack,
            "RawV2": "",
            "Redacted": slack[:9] + "****",
            "ExtraData": None,
        },
        {
            "reason": "Stripe API key",
            "path": "billing/config.py",
            "commitHash": "5555555555555555555555555555555555555555",
            "commit": f"add stripe key {v2}",
            "date": "2026-11-20 09:00:00",
            "branch": "main",
            "stringsFound": [v2],
            "diff": f"+STRIPE_KEY = '{v2}'",
            "printDiff": f"+STRIPE_KEY = '\x1b[93m{v2}\x1b[0m'",
        },
    ]
    _write_lines(path, findings)


def _github(plant: Planted, path: Path) -> None:
    token = plant.secret("github-secret-scanning secret", "ghp_")
    plant.fingerprinted["github"] = token
    alerts = [
        {
            "number": 41,
            "created_at": "2026-11-20T09:00:00Z",
            "url": "https://api.github.com/repos/example-org/agents/secret-scanning/alerts/41",
            "html_url": "https://github.com/example-org/agents/security/secret-scanning/41",
            "state": "resolved",
            "resolution": "revoked",
            "resolved_at": "2026-11-21T09:00:00Z",
            "resolved_by": {"login": "octo-admin"},
            "resolution_comment": "rotated; the old one was "
            + plant.secret("github-secret-scanning resolution_comment", "ghp_"),
            "secret_type": "github_personal_access_token",
            "secret_type_display_name": "GitHub Personal Access Token",
            "secret": token,
            "validity": "inactive",
            "push_protection_bypassed": True,
            "push_protection_bypass_request_comment": "needed it, "
            + plant.secret(
                "github-secret-scanning push_protection_bypass_request_comment", "ghs_"
            ),
        }
    ]
    _write_json(path, alerts)


def _inventory(plant: Planted, folder: Path) -> None:
    _write_csv(
        folder / "identities.csv",
        ["identity_id", "name", "kind", "account", "owner_id", "team", "status", "notes"],
        [
            [
                USER_ARN,
                "ci-deployer",
                "iam_user",
                ACCOUNT,
                "p-001",
                "platform",
                "active",
                "old key " + plant.secret("inventory-csv identities notes column", "wJalr"),
            ]
        ],
    )
    _write_csv(
        folder / "credentials.csv",
        ["credential_id", "identity_id", "credential_type", "created_at", "status", "secret"],
        [
            [
                plant.key_id("inventory-csv credentials credential_id"),
                USER_ARN,
                "access_key",
                "2025-01-02",
                "active",
                plant.secret("inventory-csv credentials extra secret column", "wJalr"),
            ]
        ],
    )
    _write_csv(
        folder / "directory.csv",
        ["person_id", "name", "email", "team", "employment_status"],
        [["p-001", "Ada Example", "ada@example.com", "platform", "active"]],
    )
    # A value with a comma left unquoted shifts the cells after it: the secret of the
    # unread column lands in ``status``, whose closed set rejects the row.
    _write_csv(
        folder / "credentials-shifted.csv",
        ["credential_id", "identity_id", "credential_type", "created_at", "status"],
        [
            ["tok-2", USER_ARN, "token", "2025-01-02", "active"],
            [
                "tok-3",
                USER_ARN,
                "token",
                "2025-01-02",
                plant.secret("inventory-csv shifted cell in a closed-set column", "sk-", 48),
            ],
        ],
    )


def _gateway(plant: Planted, path: Path) -> None:
    calls = [
        {
            "time": "2026-11-28T10:15:02Z",
            "call_id": "gw-canary-1",
            "agent_id": "agent:support-triage",
            "tool": "github.create_issue",
            "target_host": "api.github.com",
            "credential_id": "ghs-app-7731",
            "decision": "allowed",
            "sandbox_id": "sbx-support",
            "arguments": {
                "token": plant.secret("agent-gateway arguments.token", "ghs_"),
                "body": "see " + plant.secret("agent-gateway arguments.body", "xoxp-", 48),
            },
            "result": {"echo": plant.secret("agent-gateway result", "sk-", 48)},
            "headers": {
                "Authorization": "Bearer "
                + plant.secret("agent-gateway headers.Authorization", "eyJ", 64)
            },
        }
    ]
    _write_lines(path, calls)


def _attribute(key: str, value: object) -> dict[str, object]:
    if isinstance(value, list):
        return {
            "key": key,
            "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}},
        }
    return {"key": key, "value": {"stringValue": value}}


def _otel(plant: Planted, path: Path) -> None:
    trace = "5b8efff798038103d269b633813fc60c"

    def span(n: int, name: str, parent: str, **attributes: object) -> dict[str, object]:
        start = 1_795_946_400_000_000_000 + n * 1_000_000_000  # 2026-11-29T10:00:00Z + n s
        return {
            "traceId": trace,
            "spanId": f"eee19b7ec3c1b17{n}",
            "parentSpanId": parent,
            "name": name,
            "kind": 3,
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(start + 500_000_000),
            "attributes": [_attribute(k.replace("__", "."), v) for k, v in attributes.items()],
            "status": {},
        }

    root = span(
        1,
        "invoke_agent Support triage",
        "",
        gen_ai__operation__name="invoke_agent",
        gen_ai__agent__id="asst_support_triage_01",
        gen_ai__agent__name="Support triage",
        gen_ai__provider__name="openai",
        gen_ai__system_instructions="use the key "
        + plant.secret("otel-genai gen_ai.system_instructions", "sk-proj-", 48),
        gen_ai__input__messages=json.dumps(
            [
                {
                    "role": "user",
                    "content": "my token is "
                    + plant.secret("otel-genai gen_ai.input.messages", "ghp_"),
                }
            ]
        ),
        gen_ai__output__messages=json.dumps(
            [
                {
                    "role": "assistant",
                    "content": plant.secret("otel-genai gen_ai.output.messages", "xoxb-", 56),
                }
            ]
        ),
    )
    root["events"] = [
        {
            "timeUnixNano": root["startTimeUnixNano"],
            "name": "gen_ai.content.prompt",
            "attributes": [
                _attribute(
                    "gen_ai.prompt", plant.secret("otel-genai span event gen_ai.prompt", "sk-")
                )
            ],
        }
    ]
    tool = span(
        2,
        "execute_tool search_issues",
        root["spanId"],
        gen_ai__operation__name="execute_tool",
        gen_ai__tool__name="search_issues",
        gen_ai__tool__call__arguments=json.dumps(
            {"api_key": plant.secret("otel-genai gen_ai.tool.call.arguments", "sk-ant-", 48)}
        ),
        gen_ai__tool__call__result=plant.secret("otel-genai gen_ai.tool.call.result", "AIza"),
    )
    http = span(
        3,
        "GET",
        tool["spanId"],
        http__request__method="GET",
        url__full="https://api.example.com/v1/issues?q=open&token="
        + plant.secret("otel-genai url.full query token", "glpat-", 26),
        http__request__header__authorization=[
            "Bearer " + plant.secret("otel-genai http.request.header.authorization", "ghu_")
        ],
    )
    # requests' HTTPError message names the URL it called, query string and all; an
    # instrumentation that records the exception sets it as the span's status message.
    refused = span(
        4,
        "GET",
        tool["spanId"],
        http__request__method="GET",
        url__full="https://api.example.com/v1/issues",
    )
    refused["status"] = {
        "code": 2,
        "message": "401 Client Error: Unauthorized for url: https://api.example.com/v1/issues"
        "?token=" + plant.secret("otel-genai status.message url query token", "glpat-", 26),
    }
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attribute("service.name", "support-bot")]},
                "scopeSpans": [
                    {"scope": {"name": "support-bot.agents"}, "spans": [root, tool, http, refused]}
                ],
            }
        ]
    }
    _write_lines(path, [request])


def _sandbox(plant: Planted, path: Path) -> None:
    policy = {
        "sandbox_id": "sbx-support",
        "agents": ["agent:support-triage"],
        "owner_id": "p-001",
        "environment": "prod",
        "reviewed_at": "2026-10-01",
        "egress": {"allow": ["api.github.com"]},
        "secrets": ["prod/support/*"],
        "credentials": ["ghs-app-7731"],
        "env": {
            "OPENAI_API_KEY": plant.secret("sandbox-policy env.OPENAI_API_KEY", "sk-", 48),
            "DATABASE_URL": "postgres://app:"
            + plant.secret("sandbox-policy env.DATABASE_URL password", "pw-", 24)
            + "@db.internal/app",
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


def _veris(plant: Planted, path: Path) -> None:
    incident = {
        "incident_id": "CANARY-0001",
        "schema_version": "1.3.4",
        "summary": "Stolen CI credentials used to read a bucket.",
        "victim": {"victim_id": "Example Org"},
        "timeline": {"incident": {"year": 2026, "month": 10}},
        "action": {"hacking": {"variety": ["Use of stolen creds"]}},
        "reference": "https://example.com/postmortem?token="
        + plant.secret("veris reference url query token", "ghp_"),
        "notes": "key seen: " + plant.secret("veris notes", "wJalr"),
        "plus": {"analyst_notes": plant.secret("veris plus.analyst_notes", "ghp_")},
    }
    _write_lines(path, [incident])


def _incident_list(plant: Planted, path: Path) -> None:
    row = {
        "source_file": "README.md",
        "section": "Incidents",
        "row": {
            "Name": "Example Org",
            "Date": "2026, October",
            "Root Cause": "Leaked access key",
            "Impact": "Data read from a bucket",
            "Leaked value": plant.secret("incident-list row column not read", "wJalr"),
        },
        "urls": [
            "https://example.com/incident?access_token="
            + plant.secret("incident-list urls query access_token", "ghp_")
        ],
    }
    _write_lines(path, [row])


INPUTS = {
    "cloudtrail/events.json": ("cloudtrail", _cloudtrail),
    "iam/credential_report.csv": ("aws-credential-report", _credential_report),
    "iam/authorization_details.json": ("aws-authorization-details", _authorization_details),
    "scanners/gitleaks.json": ("gitleaks", _gitleaks),
    "scanners/trufflehog.jsonl": ("trufflehog", _trufflehog),
    "github/alerts.json": ("github-secret-scanning", _github),
    "gateway/calls.jsonl": ("agent-gateway", _gateway),
    "otel/traces.jsonl": ("otel-genai", _otel),
    "sandboxes/support.yaml": ("sandbox-policy", _sandbox),
    "breaches/veris.jsonl": ("veris", _veris),
    "breaches/incidents.jsonl": ("incident-list", _incident_list),
}
INVENTORY_FILES = (
    "inventory/identities.csv",
    "inventory/credentials.csv",
    "inventory/directory.csv",
    "inventory/credentials-shifted.csv",
)
# The one record meant to be rejected: its status cell holds a secret.
REJECTED = {"inventory/credentials-shifted.csv": 1}


class _Records(logging.Handler):
    """Keep every log record, formatted with its traceback, from DEBUG up."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass(repr=False)  # a failing test would print every output
class Run:
    """The planted secrets and everything the toolkit wrote about them."""

    plant: Planted
    db: Path
    report: Path
    kinds: dict[str, tuple[str | None, int, int]]
    outputs: dict[str, str]


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Write the inputs, then ingest, metrics, findings, controls and report, once."""
    root = tmp_path_factory.mktemp("canaries")
    sources = root / "sources"
    plant = Planted({}, {}, {})
    for name, (_, write) in INPUTS.items():
        write(plant, sources / name)
    _inventory(plant, sources / "inventory")
    db, reports = root / "w.duckdb", root / "reports"

    # The toolkit's own loggers at DEBUG (steps, SQL); other libraries at INFO, since at DEBUG
    # the notebook runner logs every kernel message, which the executed notebooks hold anyway.
    records = _Records()
    logger, toolkit = logging.getLogger(), logging.getLogger("analytics")
    levels = logger.level, toolkit.level
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    toolkit.setLevel(logging.DEBUG)
    outputs: dict[str, str] = {}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("NHI_RISK_FINGERPRINT_KEY", FINGERPRINT_KEY.decode())
            commands = {
                "ingest": ["ingest", str(sources), "--as-of", AS_OF],
                "metrics": ["metrics", "--json"],
                "findings": ["findings", "--json", "--status", "fail", "pass", "unknown"],
                "controls": ["controls", "--json"],
                "report": ["report", "--out", str(reports), "--run-id", "canary"],
            }
            for name, argv in commands.items():
                code, out, err = _cli([*argv, "--db", str(db), "-vv"])
                assert code == 0, f"nhi-risk {name} failed: {err[-2000:]}"
                outputs[f"nhi-risk {name} stdout"] = out
                outputs[f"nhi-risk {name} stderr"] = err
    finally:
        logger.removeHandler(records)
        logger.setLevel(levels[0])
        toolkit.setLevel(levels[1])
    outputs["log records (DEBUG)"] = "\n".join(records.lines)

    con = duckdb.connect(str(db), read_only=True)
    try:
        kinds = {
            Path(path).relative_to(sources).as_posix(): (kind, loaded, rejected)
            for path, kind, loaded, rejected in con.execute(
                "select path, kind, records_loaded, records_rejected from ingest_files"
            ).fetchall()
        }
    finally:
        con.close()
    outputs["warehouse values"] = "\n".join(stored_values(db))
    for path in [db, db.with_name(db.name + ".wal")]:
        if path.exists():
            outputs[path.name] = path.read_bytes().decode("latin-1")
    for path in sorted((reports / "canary").rglob("*")):
        if path.is_file():
            outputs[path.relative_to(reports).as_posix()] = path.read_text(errors="replace")
    return Run(plant, db, reports / "canary", kinds, outputs)


# Every canary is made of these characters, so any run of a canary's characters in an output
# lies inside one maximal run of them: outputs are searched run by run, which is fast on the
# report's pages (each embeds plotly.js, megabytes of text).
CANARY_CHARS = re.compile(r"[A-Za-z0-9_\-]+")


def _marks(secret: str, others: list[str]) -> set[str]:
    """What only a leak of ``secret`` writes: its first PREVIEW + 1 characters and each run of
    WINDOW of its characters, less those another canary shares (their type prefix, ``CANARY``),
    so that a hit names the secret that leaked."""
    marks = {secret[: PREVIEW + 1]} | {
        secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)
    }
    return {mark for mark in marks if not any(mark in other for other in others)}


def _traces(secret: str, others: list[str], runs: dict[str, set[str]]) -> list[str]:
    """The outputs that hold more of ``secret`` than its preview."""
    marks = _marks(secret, others)
    short = {mark for mark in marks if len(mark) < WINDOW}
    return [
        where
        for where, tokens in runs.items()
        if any(
            any(mark in token for mark in short)
            or any(token[i : i + WINDOW] in marks for i in range(len(token) - WINDOW + 1))
            for token in tokens
        )
    ]


@pytest.fixture(scope="module")
def runs(run: Run) -> dict[str, set[str]]:
    """The distinct runs of canary characters of each output, long enough to matter."""
    return {
        where: {t for t in CANARY_CHARS.findall(text) if len(t) > PREVIEW}
        for where, text in run.outputs.items()
    }


def test_canaries_are_made_of_the_characters_searched(run):
    assert [w for w, s in run.plant.secrets.items() if not CANARY_CHARS.fullmatch(s)] == []


def test_every_input_kind_was_recognised_and_loaded(run):
    expected = {name: kind for name, (kind, _) in INPUTS.items()}
    expected.update(dict.fromkeys(INVENTORY_FILES, "inventory-csv"))

    found = {name: kind for name, (kind, _, _) in run.kinds.items()}

    assert found == expected
    assert {name: loaded > 0 for name, (_, loaded, _) in run.kinds.items()} == dict.fromkeys(
        expected, True
    )
    assert {name: rejected for name, (_, _, rejected) in run.kinds.items() if rejected} == REJECTED


def test_the_report_rendered_every_notebook(run):
    pages = json.loads((run.report / "run.json").read_text())["pages"]

    assert pages and [p["notebook"] for p in pages if p["status"] != "rendered"] == []


def test_scanner_secrets_are_kept_as_their_fingerprint_and_preview(run):
    con = duckdb.connect(str(run.db), read_only=True)
    try:
        rows = con.execute("select secret_fingerprint, secret_preview from secret_findings")
        stored = set(rows.fetchall())
    finally:
        con.close()

    expected = {
        name: (fingerprint(secret), f"{secret[:PREVIEW]}… ({len(secret)} chars)")
        for name, secret in run.plant.fingerprinted.items()
    }

    assert {name: pair in stored for name, pair in expected.items()} == dict.fromkeys(
        expected, True
    )


def test_access_key_ids_are_kept_as_identifiers(run):
    # The reverse check: planted records were read, and key ids are not mistaken for secrets.
    values = run.outputs["warehouse values"]

    assert [where for where, key in run.plant.key_ids.items() if key not in values] == []


# Each secret's name says where it was planted: the kind, then the field (see the writers).
PLACES = [
    "cloudtrail responseElements.accessKey.secretAccessKey",
    "cloudtrail requestParameters.value",
    "cloudtrail responseElements.secretString",
    "cloudtrail requestParameters.environment.variables",
    "cloudtrail additionalEventData.x-amz-security-token",
    "aws-credential-report extra column access_key_1_secret",
    "aws-authorization-details AssumeRolePolicyDocument sts:ExternalId",
    "aws-authorization-details UserDetailList Tags.Value",
    "gitleaks Secret (aws secret key)",
    "gitleaks Secret (github token)",
    "gitleaks v7 offender",
    "gitleaks Message (another secret)",
    "trufflehog RawV2 (aws secret key part)",
    "trufflehog Raw (slack token)",
    "trufflehog v2 stringsFound",
    "github-secret-scanning secret",
    "github-secret-scanning resolution_comment",
    "github-secret-scanning push_protection_bypass_request_comment",
    "inventory-csv identities notes column",
    "inventory-csv credentials extra secret column",
    "inventory-csv shifted cell in a closed-set column",
    "agent-gateway arguments.token",
    "agent-gateway arguments.body",
    "agent-gateway result",
    "agent-gateway headers.Authorization",
    "otel-genai gen_ai.system_instructions",
    "otel-genai gen_ai.input.messages",
    "otel-genai gen_ai.output.messages",
    "otel-genai span event gen_ai.prompt",
    "otel-genai gen_ai.tool.call.arguments",
    "otel-genai gen_ai.tool.call.result",
    "otel-genai url.full query token",
    "otel-genai http.request.header.authorization",
    "otel-genai status.message url query token",
    "sandbox-policy env.OPENAI_API_KEY",
    "sandbox-policy env.DATABASE_URL password",
    "veris notes",
    "veris plus.analyst_notes",
    "veris reference url query token",
    "incident-list row column not read",
    "incident-list urls query access_token",
]


def test_every_planted_secret_is_listed(run):
    assert sorted(run.plant.secrets) == sorted(PLACES)


@pytest.mark.parametrize("place", PLACES)
def test_secret_hidden_in_an_input_field_is_written_nowhere(run, runs, place):
    secret = run.plant.secrets[place]
    others = [s for s in run.plant.secrets.values() if s != secret]

    assert _traces(secret, others, runs) == []
