"""What each kind of workload does in AWS: API calls, user agents, working hours.

A *profile* names a job (CI deploys, a data pipeline, an AI agent ...). Each one lists the
management API calls it makes with relative weights; :mod:`analytics.demo.cloudtrail`
turns a chosen call into a full CloudTrail record, using ``params`` to pick the shape of
``requestParameters``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    """One API call as CloudTrail records it."""

    source: str
    name: str
    prefix: str
    read_only: bool
    params: str = "none"


def _act(source: str, name: str, read_only: bool, params: str = "none") -> Action:
    prefix = {"monitoring": "cloudwatch", "signin": "signin"}.get(source, source)
    return Action(f"{source}.amazonaws.com", name, prefix, read_only, params)


GET_CALLER_IDENTITY = _act("sts", "GetCallerIdentity", True)
CONSOLE_LOGIN = Action("signin.amazonaws.com", "ConsoleLogin", "signin", False)
ASSUME_ROLE = _act("sts", "AssumeRole", True, "assume")

# Key and user lifecycle calls, in the order the planner numbers them.
LIFECYCLE = (
    _act("iam", "CreateAccessKey", False, "key"),
    _act("iam", "UpdateAccessKey", False, "key"),
    _act("iam", "DeleteAccessKey", False, "key"),
    _act("iam", "CreateUser", False, "user"),
    _act("iam", "CreateRole", False, "role"),
)

PROFILES: dict[str, tuple[tuple[Action, int], ...]] = {
    "ci_deploy": (
        (_act("ecr", "GetAuthorizationToken", True), 10),
        (_act("ecr", "BatchCheckLayerAvailability", True, "repository"), 8),
        (_act("ecr", "PutImage", False, "repository"), 4),
        (_act("cloudformation", "DescribeStacks", True, "stack"), 8),
        (_act("cloudformation", "CreateChangeSet", False, "stack"), 2),
        (_act("cloudformation", "ExecuteChangeSet", False, "stack"), 2),
        (_act("ecs", "RegisterTaskDefinition", False, "task"), 2),
        (_act("ecs", "UpdateService", False, "service"), 2),
        (_act("lambda", "UpdateFunctionCode20150331v2", False, "function"), 2),
        (GET_CALLER_IDENTITY, 3),
    ),
    "data_pipeline": (
        (_act("glue", "StartJobRun", False, "job"), 4),
        (_act("glue", "GetJobRun", True, "job"), 10),
        (_act("glue", "GetTable", True, "table"), 8),
        (_act("athena", "StartQueryExecution", False, "query"), 6),
        (_act("athena", "GetQueryExecution", True, "query_id"), 12),
        (_act("s3", "GetBucketLocation", True, "bucket"), 6),
        (_act("kms", "GenerateDataKey", True, "kms"), 6),
        (_act("kms", "Decrypt", True, "kms"), 8),
        (_act("secretsmanager", "GetSecretValue", True, "secret"), 3),
    ),
    "ai_agent": (
        (_act("bedrock", "InvokeModel", True, "model"), 14),
        (_act("bedrock", "Converse", True, "model"), 8),
        (_act("secretsmanager", "GetSecretValue", True, "secret"), 4),
        (_act("ssm", "GetParameter", True, "parameter"), 4),
        (_act("kms", "Decrypt", True, "kms"), 3),
        (_act("s3", "ListBuckets", True), 2),
        (_act("dynamodb", "DescribeTable", True, "ddb_table"), 2),
        (GET_CALLER_IDENTITY, 1),
    ),
    "monitoring": (
        (_act("monitoring", "GetMetricData", True), 14),
        (_act("monitoring", "DescribeAlarms", True), 6),
        (_act("ec2", "DescribeInstances", True, "instances"), 6),
        (_act("ec2", "DescribeVolumes", True), 2),
        (_act("rds", "DescribeDBInstances", True), 2),
        (_act("logs", "DescribeLogGroups", True), 3),
        (_act("logs", "FilterLogEvents", True, "log_group"), 3),
    ),
    "backup": (
        (_act("ec2", "DescribeSnapshots", True), 6),
        (_act("ec2", "CreateSnapshot", False, "volume"), 4),
        (_act("ec2", "DeleteSnapshot", False, "snapshot"), 2),
        (_act("rds", "CreateDBSnapshot", False, "db"), 2),
        (_act("backup", "StartBackupJob", False, "vault"), 2),
    ),
    "app_runtime": (
        (_act("secretsmanager", "GetSecretValue", True, "secret"), 8),
        (_act("ssm", "GetParameter", True, "parameter"), 6),
        (_act("ssm", "GetParametersByPath", True, "parameter_path"), 3),
        (_act("kms", "Decrypt", True, "kms"), 8),
        (_act("logs", "CreateLogStream", False, "log_stream"), 4),
        (_act("sqs", "GetQueueAttributes", True, "queue"), 2),
    ),
    "security_scanner": (
        (_act("iam", "GetAccountAuthorizationDetails", True), 2),
        (_act("iam", "GenerateCredentialReport", False), 2),
        (_act("iam", "GetCredentialReport", True), 2),
        (_act("iam", "ListUsers", True), 4),
        (_act("config", "DescribeConfigRules", True), 3),
        (_act("securityhub", "GetFindings", True), 6),
        (_act("guardduty", "ListFindings", True, "detector"), 4),
        (_act("cloudtrail", "DescribeTrails", True), 2),
    ),
    "human_console": (
        (_act("ec2", "DescribeInstances", True, "instances"), 6),
        (_act("iam", "ListUsers", True), 3),
        (_act("iam", "ListAccessKeys", True, "user"), 3),
        (_act("iam", "GetUser", True, "user"), 2),
        (_act("s3", "ListBuckets", True), 4),
        (_act("cloudtrail", "LookupEvents", True), 3),
        (_act("monitoring", "DescribeAlarms", True), 2),
    ),
    "misuse": (
        (GET_CALLER_IDENTITY, 6),
        (_act("s3", "ListBuckets", True), 4),
        (_act("iam", "ListUsers", True), 3),
        (_act("iam", "ListAttachedUserPolicies", True, "user"), 2),
        (_act("ec2", "DescribeInstances", True, "instances"), 3),
        (_act("secretsmanager", "ListSecrets", True), 3),
    ),
}

# Calls a workload makes with a policy it was given for a migration, by policy name.
MIGRATION: dict[str, tuple[Action, ...]] = {
    "migration-ec2-full": (
        _act("ec2", "DescribeInstances", True, "instances"),
        _act("ec2", "DescribeVolumes", True),
        _act("ec2", "CreateSnapshot", False, "volume"),
        _act("ec2", "DescribeSnapshots", True),
    ),
    "migration-s3-full": (
        _act("s3", "ListBuckets", True),
        _act("s3", "GetBucketLocation", True, "bucket"),
        _act("s3", "GetBucketVersioning", True, "bucket"),
    ),
}

# Calls of a dev workload against the prod account: a role to assume, a bucket to read.
CROSS_ACCOUNT = (
    _act("sts", "AssumeRole", True, "cross_role"),
    _act("s3", "GetBucketLocation", True, "bucket"),
    _act("s3", "GetBucketAcl", True, "bucket"),
)

# Relative weight of each UTC hour of the day: when a kind of workload calls AWS.
_OFFICE = (1, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 10, 10, 9, 8, 6, 4, 3, 2, 2, 1, 1)
_BATCH = (9, 10, 10, 9, 8, 6, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 4, 6, 8)
_FLAT = (4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 4, 4, 4)

HOURS: dict[str, tuple[int, ...]] = {
    "ci_deploy": _OFFICE,
    "data_pipeline": _BATCH,
    "ai_agent": _FLAT,
    "monitoring": _FLAT,
    "backup": _BATCH,
    "app_runtime": _FLAT,
    "security_scanner": _BATCH,
    "human_console": _OFFICE,
}

# Profiles that mostly rest at weekends.
WEEKDAY_PROFILES = frozenset({"ci_deploy", "human_console"})

# How busy a profile is relative to the others, before per-identity variation.
INTENSITY: dict[str, float] = {
    "ci_deploy": 1.5,
    "data_pipeline": 1.5,
    "ai_agent": 2.0,
    "monitoring": 1.0,
    "backup": 0.4,
    "app_runtime": 2.0,
    "security_scanner": 0.5,
}

USER_AGENTS: dict[str, tuple[str, ...]] = {
    "ci_deploy": (
        "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 "
        "lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
        "md/distrib#ubuntu.22 md/prompt#off",
        "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) "
        "terraform-provider-aws/5.64.0 aws-sdk-go-v2/1.30.4 ua/2.0 os/linux lang/go#1.22.6 "
        "md/GOOS#linux md/GOARCH#amd64",
    ),
    "python": (
        "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 "
        "md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#legacy "
        "Botocore/1.35.10",
        "Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#6.1.102 md/arch#x86_64 "
        "lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#adaptive Botocore/1.34.162",
    ),
    "node": (
        "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.223-211.872.amzn2.x86_64 lang/js "
        "md/nodejs#20.17.0 api/secrets-manager#3.637.0",
    ),
    "java": (
        "aws-sdk-java/2.27.9 Linux/5.10.223-211.872.amzn2.x86_64 "
        "OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. "
        "md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy",
    ),
    "browser": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    "laptop": (
        "aws-cli/2.18.3 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 "
        "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source "
        "md/prompt#off",
    ),
    "misuse": (
        "aws-cli/2.15.0 Python/3.11.6 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off",
        "python-requests/2.31.0",
    ),
}

# Which user-agent family each profile runs with.
AGENT_FAMILY: dict[str, tuple[str, ...]] = {
    "ci_deploy": ("ci_deploy",),
    "data_pipeline": ("python", "java"),
    "ai_agent": ("python", "node"),
    "monitoring": ("python", "node"),
    "backup": ("python",),
    "app_runtime": ("java", "node", "python"),
    "security_scanner": ("python",),
}

BEDROCK_MODELS = (
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
)
