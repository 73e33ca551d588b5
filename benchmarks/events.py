"""CloudTrail events as JSON text, one delivery file at a time, deterministic from a seed.

The text is built with string templates rather than ``json.dumps``: every value the
generator writes is plain ASCII with no quote or backslash (names, ids, ARNs, user agents
from fixed lists), so no escaping is needed, and ten million events take minutes instead
of tens of minutes. ``tests/test_bench.py`` parses the output with :mod:`json` to keep
that promise honest.

The shapes follow real delivery files: ``userIdentity`` of an IAM user carries its
``accessKeyId``; an assumed role its session ARN, a temporary ``ASIA`` key and a
``sessionContext`` naming the role and whether MFA was used; an AWS service only
``invokedBy``. About 3 % of calls fail with an ``errorCode`` and ``errorMessage``.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.world import (
    ACTIONS,
    REGION_WEIGHTS,
    REGIONS,
    Account,
    Action,
    Identity,
    World,
    hex_id,
    pick,
    token,
    uuid_text,
)

WINDOW_SECONDS = 300  # CloudTrail delivers a file about every five minutes
ERROR_RATE = 0.03
_REGION_CUM = tuple(sum(REGION_WEIGHTS[: n + 1]) for n in range(len(REGION_WEIGHTS)))
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TLS = (
    ',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",'
    '"clientProvidedHostHeader":"%s"}'
)
_EVENT = (
    '{"eventVersion":"1.10","userIdentity":%s,"eventTime":"%s","eventSource":"%s",'
    '"eventName":"%s","awsRegion":"%s","sourceIPAddress":"%s","userAgent":"%s",%s'
    '"requestParameters":%s,"responseElements":%s,%s"requestID":"%s","eventID":"%s",'
    '"readOnly":%s,%s"eventType":"AwsApiCall","managementEvent":%s,'
    '"recipientAccountId":"%s","eventCategory":"%s"%s}'
)
# Request parameters of one call as JSON text, and its "resources" member (or "").
Builder = Callable[[random.Random, Account, str], tuple[str, str]]
_NOT_FOUND = {
    "iam": "NoSuchEntity",
    "s3": "NoSuchKey",
    "ssm": "ParameterNotFound",
    "ec2": "InvalidInstanceID.NotFound",
}


@dataclass(frozen=True)
class DeliveryFile:
    """One delivery file: its account, region, delivery time, name suffix and events."""

    account: str
    region: str
    delivered: int
    suffix: str
    events: list[str]

    @property
    def relative_path(self) -> str:
        """Where CloudTrail puts it in the bucket, without the ``.json.gz`` extension."""
        day = time.strftime("%Y/%m/%d", time.gmtime(self.delivered))
        stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(self.delivered))
        return (
            f"AWSLogs/{self.account}/CloudTrail/{self.region}/{day}/"
            f"{self.account}_CloudTrail_{self.region}_{stamp}_{self.suffix}"
        )


def delivery_file(world: World, seed: int, index: int, count: int, start: int) -> DeliveryFile:
    """The ``index``-th file of a trail: ``count`` events from ``start`` (epoch seconds) on,
    for one account and region, in time order.

    Each file draws from its own generator seeded by ``(seed, index)``, so files can be made
    in any order, by any number of processes, and still come out the same.
    """
    rng = random.Random(f"file:{seed}:{index}")
    account = world.accounts[rng.randrange(len(world.accounts))]
    region = REGIONS[pick(rng, _REGION_CUM)]
    suffix = "".join(rng.choices(_SUFFIX, k=16))
    times = [
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + s)) for s in range(WINDOW_SECONDS)
    ]
    offsets = sorted(rng.randrange(WINDOW_SECONDS) for _ in range(count))
    builder = _FileEvents(rng, account, region, start)
    events = [builder.event(times[offset]) for offset in offsets]
    return DeliveryFile(account.account_id, region, start + WINDOW_SECONDS, suffix, events)


class _FileEvents:
    """Builds the events of one file, keeping each caller's identity block for the file (a
    role session and the key a user signs with last longer than five minutes)."""

    def __init__(self, rng: random.Random, account: Account, region: str, start: int) -> None:
        self.rng = rng
        self.account = account
        self.region = region
        self.start = start
        self.blocks: dict[str, tuple[str, str]] = {}

    def event(self, when: str) -> str:
        rng = self.rng
        identity = self.account.identities[pick(rng, self.account.cum)]
        action = ACTIONS[identity.actions[pick(rng, identity.cum)]]
        block, caller_arn = self._identity_block(identity)
        params, resources = _PARAMETERS[action.params](rng, self.account, self.region)
        failed = rng.random() < ERROR_RATE
        service = identity.kind == "AWSService"
        host = _host(action, self.region)
        return _EVENT % (
            block,
            when,
            action.source,
            action.name,
            self.region,
            identity.ips[0] if service else rng.choice(identity.ips),
            identity.agents[0] if service else rng.choice(identity.agents),
            _error(rng, action, caller_arn) if failed else "",
            params,
            "null" if failed else _response(rng, action, self.account),
            _additional(rng) if action.prefix == "s3" else "",
            f"{rng.getrandbits(64):016X}" if action.prefix == "s3" else uuid_text(rng),
            uuid_text(rng),
            "true" if action.read_only else "false",
            resources,
            "false" if action.data_event else "true",
            self.account.account_id,
            "Data" if action.data_event else "Management",
            "" if service else _TLS % host,
        )

    def _identity_block(self, identity: Identity) -> tuple[str, str]:
        cached = self.blocks.get(identity.name)
        if cached is None:
            cached = self.blocks[identity.name] = _identity_block(self.rng, identity, self.start)
        return cached


def _identity_block(rng: random.Random, identity: Identity, start: int) -> tuple[str, str]:
    """The ``userIdentity`` JSON of ``identity`` for one file, and the ARN an error names."""
    account = identity.account
    if identity.kind == "IAMUser":
        arn = identity.arn
        block = (
            f'{{"type":"IAMUser","principalId":"{identity.principal_id}","arn":"{arn}",'
            f'"accountId":"{account}","accessKeyId":"{rng.choice(identity.keys)}",'
            f'"userName":"{identity.name}"}}'
        )
        return block, arn
    if identity.kind == "AssumedRole":
        session = rng.choice(identity.sessions)
        arn = f"arn:aws:sts::{account}:assumed-role/{identity.name}/{session}"
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start - rng.randrange(3600)))
        block = (
            f'{{"type":"AssumedRole","principalId":"{identity.principal_id}:{session}",'
            f'"arn":"{arn}","accountId":"{account}","accessKeyId":"ASIA{token(rng, 16)}",'
            f'"sessionContext":{{"sessionIssuer":{{"type":"Role",'
            f'"principalId":"{identity.principal_id}","arn":"{identity.arn}",'
            f'"accountId":"{account}","userName":"{identity.name}"}},"webIdFederationData":{{}},'
            f'"attributes":{{"creationDate":"{created}",'
            f'"mfaAuthenticated":"{"true" if identity.mfa else "false"}"}}}}}}'
        )
        return block, arn
    return f'{{"type":"AWSService","invokedBy":"{identity.name}"}}', identity.name


def _host(action: Action, region: str) -> str:
    if action.prefix in ("iam", "organizations"):
        return f"{action.prefix}.amazonaws.com"
    return f"{action.prefix}.{region}.amazonaws.com"


def _error(rng: random.Random, action: Action, arn: str) -> str:
    """``errorCode`` and ``errorMessage`` of a failed call: mostly denials, some not-found."""
    if rng.random() < 0.2:
        code = _NOT_FOUND.get(action.prefix, "ResourceNotFoundException")
        message = "The specified resource does not exist."
    else:
        if action.prefix == "ec2":
            code = "Client.UnauthorizedOperation"
        elif action.prefix in ("iam", "sts", "s3", "cloudformation", "rds"):
            code = "AccessDenied"
        else:
            code = "AccessDeniedException"
        operation = f"{action.prefix}:{action.name}"
        message = (
            f"User: {arn} is not authorized to perform: {operation} because no "
            f"identity-based policy allows the {operation} action"
        )
    return f'"errorCode":"{code}","errorMessage":"{message}",'


def _response(rng: random.Random, action: Action, account: Account) -> str:
    """``responseElements``: null for most calls, the new credentials for an assumed role."""
    if action.name == "AssumeRole":
        role = rng.choice(account.roles)
        session = f"session-{hex_id(rng, 8)}"
        role_id = "AROA" + token(rng, 17)
        return (
            f'{{"credentials":{{"accessKeyId":"ASIA{token(rng, 16)}",'
            f'"expiration":"Nov 3, 2026, 1:34:56 PM"}},"assumedRoleUser":{{'
            f'"assumedRoleId":"{role_id}:{session}",'
            f'"arn":"arn:aws:sts::{account.account_id}:assumed-role/{role}/{session}"}}}}'
        )
    if action.name == "CreateAccessKey":
        return (
            f'{{"accessKey":{{"userName":"{rng.choice(account.users)}",'
            f'"accessKeyId":"AKIA{token(rng, 16)}","status":"Active",'
            f'"createDate":"Nov 3, 2026, 12:34:56 PM"}}}}'
        )
    return "null"


def _additional(rng: random.Random) -> str:
    """S3's ``additionalEventData``: signature, TLS, bytes and the request's host id."""
    return (
        '"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":'
        '"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader",'
        f'"x-amz-id-2":"{_host_id(rng)}","bytesTransferredOut":'
        f"{rng.randrange(200, 5_000_000)}}},"
    )


def _host_id(rng: random.Random) -> str:
    """S3's ``x-amz-id-2``: 76 characters of base64 (57 random bytes)."""
    return base64.b64encode(rng.getrandbits(456).to_bytes(57, "big")).decode("ascii")


def _arn(service: str, region: str, account: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{rest}"


def _resources(*pairs: tuple[str, str]) -> str:
    items = ",".join(f'{{"type":"{kind}","ARN":"{arn}"}}' for kind, arn in pairs)
    return f'"resources":[{items}],'


def _object(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    bucket = rng.choice(account.buckets)
    key = f"exports/part-{rng.randrange(100000):05d}.parquet"
    params = (
        f'{{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","key":"{key}"}}'
    )
    return params, _resources(
        ("AWS::S3::Object", f"arn:aws:s3:::{bucket}/{key}"),
        ("AWS::S3::Bucket", f"arn:aws:s3:::{bucket}"),
    )


def _bucket(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    bucket = rng.choice(account.buckets)
    params = f'{{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com"}}'
    return params, _resources(("AWS::S3::Bucket", f"arn:aws:s3:::{bucket}"))


def _key(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    arn = _arn("kms", region, account.account_id, f"key/{rng.choice(account.keys)}")
    params = (
        f'{{"keyId":"{arn}","encryptionAlgorithm":"SYMMETRIC_DEFAULT",'
        f'"encryptionContext":{{"aws:lambda:FunctionArn":"'
        f'{_arn("lambda", region, account.account_id, "function:" + account.functions[0])}"}}}}'
    )
    return params, _resources(("AWS::KMS::Key", arn))


def _assume(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    role = rng.choice(account.roles)
    arn = f"arn:aws:iam::{account.account_id}:role/{role}"
    params = (
        f'{{"roleArn":"{arn}","roleSessionName":"session-{hex_id(rng, 8)}",'
        f'"durationSeconds":3600}}'
    )
    return params, _resources(("AWS::IAM::Role", arn))


def _simple(field: str, values: str, template: str = '"{}"', extra: str = "") -> Builder:
    """Parameters naming one resource drawn from the account's list ``values`` (a field of
    :class:`Account`), shaped by ``template``, followed by the fixed JSON members ``extra``."""

    def build(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
        value = template.format(rng.choice(getattr(account, values)))
        return f'{{"{field}":{value}{extra}}}', ""

    return build


def _fixed(text_: str) -> Builder:
    """The same parameters on every call (a listing with no arguments, say)."""

    def build(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
        return text_, ""

    return build


def _access_key(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    return f'{{"accessKeyId":"AKIA{token(rng, 16)}"}}', ""


def _secret(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    arn = _arn(
        "secretsmanager", region, account.account_id, f"secret:{rng.choice(account.secrets)}"
    )
    return f'{{"secretId":"{arn}"}}', ""


def _queue(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    url = f"https://sqs.{region}.amazonaws.com/{account.account_id}/{rng.choice(account.queues)}"
    return f'{{"queueUrl":"{url}","attributeNames":["All"]}}', ""


def _topic(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    arn = _arn("sns", region, account.account_id, rng.choice(account.topics))
    return f'{{"topicArn":"{arn}"}}', ""


def _policy(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    name = rng.choice(("ReadOnlyAccess", "AmazonS3FullAccess", "AdministratorAccess"))
    return f'{{"policyArn":"arn:aws:iam::aws:policy/{name}"}}', ""


def _role_attach(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    name = rng.choice(("ReadOnlyAccess", "AmazonS3FullAccess", "AdministratorAccess"))
    role = rng.choice(account.roles)
    return f'{{"roleName":"{role}","policyArn":"arn:aws:iam::aws:policy/{name}"}}', ""


def _user_key(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    user = rng.choice(account.users)
    return f'{{"userName":"{user}","accessKeyId":"AKIA{token(rng, 16)}","status":"Inactive"}}', ""


def _instance(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    instance = rng.choice(account.instances)
    return f'{{"instancesSet":{{"items":[{{"instanceId":"{instance}"}}]}}}}', ""


def _log_stream(rng: random.Random, account: Account, region: str) -> tuple[str, str]:
    function = rng.choice(account.functions)
    stream = f"2026/11/03/[$LATEST]{hex_id(rng, 32)}"
    return f'{{"logGroupName":"/aws/lambda/{function}","logStreamName":"{stream}"}}', ""


_PARAMETERS: dict[str, Builder] = {
    "object": _object,
    "bucket": _bucket,
    "host": _fixed('{"Host":"s3.amazonaws.com"}'),
    "none": _fixed("null"),
    "user": _simple("userName", "users"),
    "role": _simple("roleName", "roles"),
    "usergroup": _simple("userName", "users", '"{}"', ',"groupName":"deployers"'),
    "rolepolicy": _simple("roleName", "roles", '"{}"', ',"policyName":"inline-access"'),
    "roleattach": _role_attach,
    "userkey": _user_key,
    "accesskey": _access_key,
    "policy": _policy,
    "policyversion": _policy,
    "assume": _assume,
    "duration": _fixed('{"durationSeconds":43200}'),
    "filter": _fixed('{"maxResults":1000,"filterSet":{}}'),
    "instance": _instance,
    "group": _fixed('{"groupId":"sg-0a1b2c3d4e5f60718","ipPermissions":{}}'),
    "volume": _fixed('{"volumeId":"vol-0f1e2d3c4b5a69788"}'),
    "snapshot": _fixed('{"snapshotId":"snap-0a9b8c7d6e5f40312"}'),
    "function": _simple("functionName", "functions"),
    "key": _key,
    "secret": _secret,
    "parameter": _simple("name", "functions", '"/prod/{}/config"', ',"withDecryption":true'),
    "parameters": _simple("names", "functions", '["/prod/{}/db-url"]', ',"withDecryption":true'),
    "path": _simple("path", "functions", '"/prod/{}/"', ',"recursive":true'),
    "table": _simple("tableName", "tables"),
    "loggroup": _simple("logGroupName", "functions", '"/aws/lambda/{}"'),
    "logstream": _log_stream,
    "queue": _queue,
    "topic": _topic,
    "dbsnapshot": _simple("dBSnapshotIdentifier", "tables", '"{}-nightly"'),
    "repository": _simple("repositoryName", "functions"),
    "cluster": _fixed('{"name":"prod"}'),
    "stack": _simple("stackName", "functions", '"{}-stack"'),
    "trail": _fixed('{"name":"organization-trail"}'),
    "alarm": _simple("alarmName", "functions", '"{}-errors"'),
}
