"""``requestParameters`` and ``resources`` of the demo CloudTrail records.

Each :class:`~analytics.demo.catalog.Action` names a parameter shape; :func:`request`
fills it with resources named after the calling workload's team and service word, so the
same workload keeps touching the same bucket, secret or stack across the window.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from typing import Any

from analytics.demo import catalog, fake
from analytics.demo.model import Identity
from analytics.demo.policies import trust_document

Resource = dict[str, str]


def stable_uuid(*parts: str) -> str:
    """A UUID that depends only on ``parts``: the id of a KMS key, a GuardDuty detector."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def request(
    rng: random.Random,
    shape: str,
    ident: Identity,
    account: str,
    region: str,
    day: str,
) -> tuple[dict[str, Any] | None, list[Resource] | None, str]:
    """Parameters, ``resources`` entries and the resource named in an access error.

    ``day`` is the event's date (``2026-11-29``) for names that carry one.
    """
    team, word = ident.team, ident.word
    stem = f"{team}-{word}"
    if shape == "none":
        return None, None, "*"
    if shape == "instances":
        return {"instancesSet": {}, "filterSet": {}}, None, "*"
    if shape == "repository":
        arn = f"arn:aws:ecr:{region}:{account}:repository/{team}/{word}"
        params: dict[str, Any] = {"repositoryName": f"{team}/{word}", "registryId": account}
        return params, [{"accountId": account, "ARN": arn}], arn
    if shape == "stack":
        arn = f"arn:aws:cloudformation:{region}:{account}:stack/{stem}/*"
        return {"stackName": stem}, None, arn
    if shape == "task":
        params = {
            "family": stem,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "512",
            "memory": "1024",
        }
        return params, None, "*"
    if shape == "service":
        arn = f"arn:aws:ecs:{region}:{account}:service/{team}-{ident.environment}/{stem}"
        params = {
            "cluster": f"{team}-{ident.environment}",
            "service": stem,
            "forceNewDeployment": True,
        }
        return params, None, arn
    if shape == "function":
        arn = f"arn:aws:lambda:{region}:{account}:function:{stem}"
        return {"functionName": stem, "publish": True, "dryRun": False}, None, arn
    if shape == "job":
        return {"jobName": f"{stem}-etl"}, None, f"arn:aws:glue:{region}:{account}:job/{stem}-etl"
    if shape == "table":
        arn = f"arn:aws:glue:{region}:{account}:table/{team}_lake/{word}_events"
        return {"databaseName": f"{team}_lake", "name": f"{word}_events"}, None, arn
    if shape == "query":
        # Text of a logged Athena query, never executed.
        query = f"SELECT count(*) FROM {team}_lake.{word}_events WHERE dt = '{day}'"  # noqa: S608
        params = {
            "queryString": query,
            "workGroup": "primary",
            "queryExecutionContext": {"database": f"{team}_lake"},
        }
        return params, None, f"arn:aws:athena:{region}:{account}:workgroup/primary"
    if shape == "query_id":
        arn = f"arn:aws:athena:{region}:{account}:workgroup/primary"
        return {"queryExecutionId": fake.fake_uuid(rng)}, None, arn
    if shape == "bucket":
        bucket = f"larchmont-{stem}-{account}"
        params = {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.{region}.amazonaws.com",
            "location": "",
        }
        arn = f"arn:aws:s3:::{bucket}"
        return params, [{"accountId": account, "type": "AWS::S3::Bucket", "ARN": arn}], arn
    if shape == "kms":
        arn = f"arn:aws:kms:{region}:{account}:key/{stable_uuid(account, region, stem)}"
        params = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if rng.random() < 0.5:
            params = {"keyId": f"alias/{stem}", "keySpec": "AES_256"}
        return params, [{"accountId": account, "type": "AWS::KMS::Key", "ARN": arn}], arn
    if shape == "secret":
        arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{team}/{word}/api-credentials"
        return {"secretId": f"{team}/{word}/api-credentials"}, None, arn
    if shape == "parameter":
        arn = f"arn:aws:ssm:{region}:{account}:parameter/{team}/{word}/config"
        return {"name": f"/{team}/{word}/config", "withDecryption": True}, None, arn
    if shape == "parameter_path":
        arn = f"arn:aws:ssm:{region}:{account}:parameter/{team}/{word}"
        params = {"path": f"/{team}/{word}/", "recursive": True, "withDecryption": True}
        return params, None, arn
    if shape == "log_stream":
        group = f"/ecs/{stem}"
        arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
        params = {"logGroupName": group, "logStreamName": f"ecs/{word}/{fake.hexstr(rng, 32)}"}
        return params, None, arn
    if shape == "log_group":
        group = f"/aws/lambda/{stem}"
        arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
        return {"logGroupName": group, "limit": 100}, None, arn
    if shape == "queue":
        url = f"https://sqs.{region}.amazonaws.com/{account}/{stem}"
        params = {"queueUrl": url, "attributeNames": ["ApproximateNumberOfMessages"]}
        return params, None, f"arn:aws:sqs:{region}:{account}:{stem}"
    if shape == "model":
        model = rng.choice(catalog.BEDROCK_MODELS)
        arn = f"arn:aws:bedrock:{region}::foundation-model/{model}"
        return {"modelId": model}, [{"accountId": account, "ARN": arn}], arn
    if shape == "ddb_table":
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{stem}-state"
        return {"tableName": f"{stem}-state"}, None, arn
    if shape == "volume":
        volume = "vol-0" + fake.hexstr(rng, 16)
        arn = f"arn:aws:ec2:{region}:{account}:volume/{volume}"
        return {"volumeId": volume, "description": f"nightly {stem}"}, None, arn
    if shape == "snapshot":
        snapshot = "snap-0" + fake.hexstr(rng, 16)
        return {"snapshotId": snapshot}, None, f"arn:aws:ec2:{region}::snapshot/{snapshot}"
    if shape == "db":
        params = {"dBSnapshotIdentifier": f"{stem}-{day}", "dBInstanceIdentifier": f"{stem}-db"}
        return params, None, f"arn:aws:rds:{region}:{account}:db:{stem}-db"
    if shape == "vault":
        volume = "vol-0" + fake.hexstr(rng, 16)
        params = {
            "backupVaultName": f"{team}-vault",
            "resourceArn": f"arn:aws:ec2:{region}:{account}:volume/{volume}",
            "iamRoleArn": ident.identity_id,
        }
        return params, None, f"arn:aws:backup:{region}:{account}:backup-vault:{team}-vault"
    if shape == "cross_role":
        arn = f"arn:aws:iam::{account}:role/{stem}-cross-account"
        params = {"roleArn": arn, "roleSessionName": ident.name, "durationSeconds": 3600}
        return params, [{"accountId": account, "type": "AWS::IAM::Role", "ARN": arn}], arn
    if shape == "detector":
        return {"detectorId": stable_uuid(account, region).replace("-", "")}, None, "*"
    raise ValueError(f"unknown request shape {shape!r} in analytics.demo.catalog")


def user_target(name: str, account: str) -> tuple[dict[str, Any], str]:
    """Parameters of an IAM call about user ``name``, and its ARN."""
    return {"userName": name}, f"arn:aws:iam::{account}:user/{name}"


def create_role(ident: Identity, account: str) -> dict[str, Any]:
    """Parameters of ``CreateRole``: IAM logs the trust policy as a JSON string."""
    trust = trust_document(ident.service, account, ident.repo)
    return {"roleName": ident.name, "assumeRolePolicyDocument": json.dumps(trust)}


def assumed_role(rng: random.Random, request: dict[str, Any], moment: int) -> dict[str, Any]:
    """``responseElements`` of a cross-account ``AssumeRole``: the session key and role."""
    role = request["roleArn"]
    account, name = role.split(":")[4], role.rsplit("/", 1)[1]
    session = request["roleSessionName"]
    return {
        "credentials": {
            "accessKeyId": fake.aws_key_id(rng, "ASIA"),
            "expiration": fake.aws_console_time(moment + request["durationSeconds"]),
        },
        "assumedRoleUser": {
            "assumedRoleId": f"{fake.aws_unique_id(rng, 'AROA')}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{session}",
        },
    }
