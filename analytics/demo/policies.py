"""IAM policies of the demo organisation: the catalogue, what each workload gets, trust.

Policies are kept as data: a name, whether AWS manages it, and its statements. The same
catalogue feeds the authorization-details export (prod account) and the standing grants of
the inventory (both accounts), so the two views of a permission always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Statement = dict[str, Any]

ADMIN_POLICY = "AdministratorAccess"
WILDCARD_ACTIONS = frozenset({"*", "*:*"})
GITHUB_OIDC = "token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Policy:
    """A managed policy; ``arn`` needs the account because customer policies live in one."""

    name: str
    aws_managed: bool
    statements: tuple[Statement, ...]
    path: str = "/"
    created: str = "2015-02-06T18:39:46+00:00"
    version: str = "v1"

    def arn(self, account: str) -> str:
        """The policy ARN as IAM prints it in ``account``."""
        owner = "aws" if self.aws_managed else account
        return f"arn:aws:iam::{owner}:policy{self.path}{self.name}"

    def document(self, account: str) -> dict[str, Any]:
        """The policy document with the account placeholder filled in."""
        return document(self.statements, account)


def document(statements: tuple[Statement, ...], account: str) -> dict[str, Any]:
    """A policy document; ``{account}`` in resources becomes the account id."""
    filled = []
    for statement in statements:
        resource = statement["Resource"]
        if isinstance(resource, list):
            resource = [r.replace("{account}", account) for r in resource]
        else:
            resource = resource.replace("{account}", account)
        filled.append({**statement, "Resource": resource})
    return {"Version": "2012-10-17", "Statement": filled}


def _allow(actions: str | list[str], resource: str | list[str] = "*") -> Statement:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _secrets_read(team: str) -> Policy:
    return Policy(
        f"secrets-read-{team}",
        False,
        (
            _allow(
                "secretsmanager:GetSecretValue",
                f"arn:aws:secretsmanager:*:{{account}}:secret:{team}/*",
            ),
            _allow(
                ["ssm:GetParameter", "ssm:GetParametersByPath"],
                f"arn:aws:ssm:*:{{account}}:parameter/{team}/*",
            ),
            _allow("kms:Decrypt", f"arn:aws:kms:*:{{account}}:alias/{team}-*"),
        ),
        created="2023-04-18T09:12:40+00:00",
    )


_BASE: tuple[Policy, ...] = (
    Policy(ADMIN_POLICY, True, (_allow("*"),), created="2015-02-06T18:39:46+00:00"),
    Policy(
        "ReadOnlyAccess",
        True,
        (
            _allow(
                [
                    "cloudwatch:Describe*",
                    "cloudwatch:Get*",
                    "cloudwatch:List*",
                    "ec2:Describe*",
                    "iam:Get*",
                    "iam:List*",
                    "logs:Describe*",
                    "rds:Describe*",
                    "s3:Get*",
                    "s3:List*",
                ]
            ),
        ),
        created="2015-02-06T18:39:48+00:00",
        version="v121",
    ),
    Policy(
        "SecurityAudit",
        True,
        (
            _allow(
                [
                    "cloudtrail:DescribeTrails",
                    "cloudtrail:LookupEvents",
                    "config:Describe*",
                    "guardduty:List*",
                    "iam:GenerateCredentialReport",
                    "iam:GetAccountAuthorizationDetails",
                    "iam:GetCredentialReport",
                    "securityhub:GetFindings",
                ]
            ),
        ),
        created="2015-02-06T18:41:01+00:00",
        version="v52",
    ),
    Policy(
        "AWSLambdaBasicExecutionRole",
        True,
        (_allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),),
        path="/service-role/",
        created="2015-04-09T15:03:43+00:00",
    ),
    Policy(
        "ci-deploy",
        False,
        (
            _allow(["cloudformation:*", "ecr:*"]),
            _allow(
                [
                    "ecs:DescribeServices",
                    "ecs:RegisterTaskDefinition",
                    "ecs:UpdateService",
                    "lambda:GetFunction",
                    "lambda:UpdateFunctionCode",
                ]
            ),
            _allow("iam:PassRole"),
        ),
        created="2022-09-01T14:20:11+00:00",
        version="v4",
    ),
    Policy(
        "data-lake-s3-full",
        False,
        (
            _allow(
                "s3:*",
                [
                    "arn:aws:s3:::larchmont-data-lake-{account}",
                    "arn:aws:s3:::larchmont-data-lake-{account}/*",
                ],
            ),
            _allow(["athena:*", "glue:*"]),
        ),
        created="2022-03-14T11:02:55+00:00",
        version="v3",
    ),
    Policy(
        "agent-bedrock-invoke",
        False,
        (
            _allow(
                ["bedrock:Converse", "bedrock:InvokeModel"],
                "arn:aws:bedrock:*::foundation-model/anthropic.*",
            ),
        ),
        created="2024-05-21T16:45:09+00:00",
        version="v2",
    ),
    Policy(
        "backup-operator",
        False,
        (
            _allow(
                [
                    "backup:StartBackupJob",
                    "ec2:CreateSnapshot",
                    "ec2:DeleteSnapshot",
                    "ec2:DescribeSnapshots",
                    "rds:CreateDBSnapshot",
                ]
            ),
        ),
        created="2021-11-30T08:30:00+00:00",
    ),
    Policy(
        "monitoring-read",
        False,
        (
            _allow(
                [
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:GetMetricData",
                    "ec2:DescribeInstances",
                    "logs:FilterLogEvents",
                ]
            ),
        ),
        created="2021-06-07T10:15:27+00:00",
    ),
    Policy(
        "legacy-s3-admin",
        False,
        (_allow("s3:*"),),
        created="2019-08-22T13:05:44+00:00",
    ),
    Policy(
        "migration-s3-full",
        False,
        (_allow("s3:*"),),
        created="2025-03-10T09:41:17+00:00",
    ),
    Policy(
        "migration-ec2-full",
        False,
        (_allow(["ec2:*", "elasticloadbalancing:Describe*"]),),
        created="2025-03-10T09:44:52+00:00",
    ),
)

# Policies handed out "for a migration": the managed ones above and one inline shape.
MIGRATION_POLICIES = ("migration-ec2-full", "migration-s3-full")
MIGRATION_INLINE = ("dynamodb-migration", (_allow("dynamodb:*"),))

# An inline policy on one legacy service user: the "*:*" shape auditors look for.
LEGACY_INLINE = ("legacy-full-access", (_allow("*:*"),))

PROFILE_POLICIES: dict[str, tuple[str, ...]] = {
    "ci_deploy": ("ci-deploy",),
    "data_pipeline": ("data-lake-s3-full", "secrets-read-{team}"),
    "ai_agent": ("agent-bedrock-invoke", "secrets-read-{team}"),
    "monitoring": ("monitoring-read",),
    "backup": ("backup-operator",),
    "app_runtime": ("secrets-read-{team}", "AWSLambdaBasicExecutionRole"),
    "security_scanner": ("SecurityAudit", "ReadOnlyAccess"),
}

# Which AWS service assumes a role of each profile; ``None`` marks GitHub OIDC federation.
ROLE_SERVICE: dict[str, str | None] = {
    "app_runtime": "ecs-tasks.amazonaws.com",
    "data_pipeline": "glue.amazonaws.com",
    "ci_deploy": None,
    "monitoring": "ec2.amazonaws.com",
    "security_scanner": "lambda.amazonaws.com",
    "backup": "backup.amazonaws.com",
    "ai_agent": "bedrock.amazonaws.com",
}

GROUPS: dict[str, tuple[str, ...]] = {
    "platform-admins": (ADMIN_POLICY,),
    "engineers": ("ReadOnlyAccess",),
    "ci-deployers": ("ci-deploy",),
}


def catalogue(teams: list[str]) -> dict[str, Policy]:
    """All managed policies by name, with one ``secrets-read-<team>`` per team."""
    policies = {p.name: p for p in _BASE}
    for team in teams:
        policy = _secrets_read(team)
        policies[policy.name] = policy
    return policies


def trust_document(service: str | None, account: str, repo: str) -> dict[str, Any]:
    """The assume-role policy: a service principal, or GitHub OIDC for ``repo``."""
    if service is not None:
        statement: Statement = {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
    else:
        statement = {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC}:sub": f"repo:{repo}:*"},
            },
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


def permissions(statements: tuple[Statement, ...] | list[Statement]) -> list[tuple[str, str]]:
    """Flatten statements to ``(action, resource)`` pairs, one per action and resource."""
    pairs = []
    for statement in statements:
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                pairs.append((action, resource))
    return pairs
