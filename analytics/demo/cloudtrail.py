"""CloudTrail delivery files of the demo: records built from the plan, gzipped in batches.

Files follow the S3 layout CloudTrail writes, ``AWSLogs/<account>/CloudTrail/<region>/
YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 characters>.json.gz``, with
one ``{"Records": [...]}`` object per file, at most 1,000 records, sorted by time. A file
holds one account and region and closes at the first hour boundary after it has 25
records, at a day boundary, or at 1,000 records: hourly when traffic is heavy, fewer and
fuller files when it is light (each file costs a write, and ingest opens every one). Gzip
headers carry no time and no name, so the bytes depend on the seed alone.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from analytics.demo import catalog, fake, params
from analytics.demo.activity import (
    ACCOUNT_IDS,
    API,
    ASSUME,
    CREATE_KEY,
    CREATE_ROLE,
    CREATE_USER,
    LIFECYCLE,
    LOGIN,
    MISUSE,
    PLANTED,
    UPDATE_KEY,
    Event,
    Plan,
)
from analytics.demo.model import PROD_ACCOUNT, REGIONS, Identity, World
from analytics.demo.trailstats import TrailStats

logger = logging.getLogger(__name__)

MAX_RECORDS = 1000
MIN_RECORDS = 25
_QUERY_PROTOCOL = frozenset({"iam", "sts", "s3", "cloudformation", "rds", "monitoring", "sqs"})
_TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}


def _error_code(prefix: str) -> str:
    if prefix == "ec2":
        return "Client.UnauthorizedOperation"
    return "AccessDenied" if prefix in _QUERY_PROTOCOL else "AccessDeniedException"


class _Records:
    """Turns plan tuples into CloudTrail records, reusing identity blocks per session."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.identities: dict[tuple[int, int, int, int], dict[str, Any]] = {}
        self.prod_users = [
            p.name for p in plan.principals if p.account == PROD_ACCOUNT and p.aws_type == "user"
        ]

    def user_identity(self, login: bool, n: int, ref: int, session: int) -> dict[str, Any]:
        """The ``userIdentity`` block: of a sign-in, or signed with key ``ref`` or ``session``.

        A console session carries ``mfaAuthenticated``: true for the admins, false for a
        service user whose password someone signs in with.
        """
        cache_key = (login, n, ref, session)
        block = self.identities.get(cache_key)
        if block is not None:
            return block
        ident = self.plan.principals[n]
        account = ident.account
        if ident.aws_type == "role":
            sess = self.plan.sessions[session]
            issuer = {
                "type": "Role",
                "principalId": ident.unique_id,
                "arn": ident.identity_id,
                "accountId": account,
                "userName": ident.name,
            }
            block = {
                "type": "AssumedRole",
                "principalId": f"{ident.unique_id}:{sess.name}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{ident.name}/{sess.name}",
                "accountId": account,
                "accessKeyId": sess.key_id,
                "sessionContext": {
                    "sessionIssuer": issuer,
                    "webIdFederationData": {},
                    "attributes": {
                        "creationDate": fake.epoch_z(sess.created),
                        "mfaAuthenticated": "false",
                    },
                },
            }
        else:
            block = {
                "type": "IAMUser",
                "principalId": ident.unique_id,
                "arn": ident.identity_id,
                "accountId": account,
            }
            if ref >= 0:
                block["accessKeyId"] = self.plan.keys[ref].credential_id
            elif not login:
                block["accessKeyId"] = self.plan.sessions[session].key_id
            block["userName"] = ident.name
            if ref < 0 and not login:
                block["sessionContext"] = {
                    "sessionIssuer": {},
                    "webIdFederationData": {},
                    "attributes": {
                        "creationDate": fake.epoch_z(self.plan.sessions[session].created),
                        "mfaAuthenticated": "true" if ident.kind == "human" else "false",
                    },
                }
        self.identities[cache_key] = block
        return block

    def action(self, kind: int, ident: Identity, action: int) -> catalog.Action:
        """The catalogue entry an event tuple points at."""
        if kind == API:
            return catalog.PROFILES[ident.profile][action][0]
        if kind == MISUSE:
            return catalog.PROFILES["misuse"][action][0]
        if kind == LOGIN:
            return catalog.CONSOLE_LOGIN
        if kind == ASSUME:
            return catalog.ASSUME_ROLE
        if kind == PLANTED:
            return self.plan.calls[action].action
        return catalog.LIFECYCLE[action]

    def record(self, event: Event) -> dict[str, Any]:
        """The full CloudTrail record of one planned event, fields in CloudTrail's order."""
        moment, a, r, kind, n, action_index, ref, session, error = event
        rng = self.rng
        account, region = ACCOUNT_IDS[a], REGIONS[r]
        ident = self.plan.principals[n]
        act = self.action(kind, ident, action_index)
        if kind == ASSUME:
            return self._assume(moment, account, region, ident, session)
        planted = self.plan.calls[action_index] if kind == PLANTED else None
        login = kind == LOGIN or (planted is not None and planted.login)
        # An admin's calls come from the console, unless signed with an access key.
        console = planted.key is None if planted is not None else ident.kind == "human"
        signing_key = ref if kind in (API, MISUSE, PLANTED) else -1
        identity = self.user_identity(login, n, signing_key, session)
        response: dict[str, Any] | None = None
        resources = None
        if kind == LIFECYCLE:
            request, response, target = self._lifecycle(moment, action_index, ref, account)
        elif act.params == "user":
            name = ident.name if kind == MISUSE else rng.choice(self.prod_users)
            request, target = params.user_target(name, account)
        else:
            day = fake.epoch_z(moment)[:10]
            request, resources, target = params.request(
                rng, act.params, ident, account, region, day
            )
        if planted is not None:
            source_ip, agent = planted.source_ip, planted.user_agent
        elif kind == LOGIN:
            source_ip, agent = ident.ips[0], ident.user_agent
        elif kind == MISUSE:
            source_ip = f"198.51.100.{3 + ref * 37 % 250}"
            agent = catalog.USER_AGENTS["misuse"][ref % 2]
        elif ident.kind == "human":
            source_ip, agent = ident.ips[0], "AWS Internal"
        else:
            source_ip, agent = rng.choice(ident.ips), ident.user_agent
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": fake.epoch_z(moment),
            "eventSource": act.source,
            "eventName": act.name,
            "awsRegion": region,
            "sourceIPAddress": source_ip,
            "userAgent": agent,
        }
        if error:
            arn = identity["arn"]
            record["errorCode"] = _error_code(act.prefix)
            record["errorMessage"] = (
                f"User: {arn} is not authorized to perform: {act.prefix}:{act.name} on "
                f"resource: {target} because no identity-based policy allows the "
                f"{act.prefix}:{act.name} action"
            )
            response = None
        elif act.params == "cross_role":
            response = params.assumed_role(rng, request, moment)
        if login:
            record["requestParameters"] = None
            record["responseElements"] = {"ConsoleLogin": "Success"}
            record["additionalEventData"] = {
                "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23",
                "MobileVersion": "No",
                "MFAUsed": "Yes" if ident.kind == "human" else "No",
            }
        else:
            record["requestParameters"] = request
            record["responseElements"] = response
            prefix = act.source.split(".")[0]
            upper = prefix == "s3"
            record["requestID"] = fake.hexstr(rng, 16).upper() if upper else fake.fake_uuid(rng)
        record["eventID"] = fake.fake_uuid(rng)
        record["readOnly"] = act.read_only
        if resources:
            record["resources"] = resources
        record["eventType"] = "AwsConsoleSignIn" if login else "AwsApiCall"
        record["managementEvent"] = True
        record["recipientAccountId"] = account
        record["eventCategory"] = "Management"
        host = _host(act.source, region)
        record["tlsDetails"] = {**_TLS, "clientProvidedHostHeader": host}
        if console and not login:
            record["sessionCredentialFromConsole"] = "true"
        return record

    def _assume(
        self, moment: int, account: str, region: str, ident: Identity, session: int
    ) -> dict[str, Any]:
        sess = self.plan.sessions[session]
        service = sess.service or "sts.amazonaws.com"
        assumed = f"arn:aws:sts::{account}:assumed-role/{ident.name}/{sess.name}"
        return {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AWSService", "invokedBy": service},
            "eventTime": fake.epoch_z(moment),
            "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole",
            "awsRegion": region,
            "sourceIPAddress": service,
            "userAgent": service,
            "requestParameters": {
                "roleArn": ident.identity_id,
                "roleSessionName": sess.name,
                "durationSeconds": 43200,
            },
            "responseElements": {
                "credentials": {
                    "accessKeyId": sess.key_id,
                    "expiration": fake.aws_console_time(sess.created + 43200),
                },
                "assumedRoleUser": {
                    "assumedRoleId": f"{ident.unique_id}:{sess.name}",
                    "arn": assumed,
                },
            },
            "requestID": fake.fake_uuid(self.rng),
            "eventID": fake.fake_uuid(self.rng),
            "readOnly": True,
            "resources": [
                {"accountId": account, "type": "AWS::IAM::Role", "ARN": ident.identity_id}
            ],
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "sharedEventID": fake.fake_uuid(self.rng),
            "eventCategory": "Management",
        }

    def _lifecycle(
        self, moment: int, op: int, ref: int, account: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
        if op in (CREATE_USER, CREATE_ROLE):
            target = self.plan.principals[ref]
            if op == CREATE_USER:
                request, arn = params.user_target(target.name, account)
                response = {
                    "user": {
                        "path": "/",
                        "userName": target.name,
                        "userId": target.unique_id,
                        "arn": arn,
                        "createDate": fake.aws_console_time(moment),
                    }
                }
                return request, response, arn
            return params.create_role(target, account), None, target.identity_id
        key = self.plan.keys[ref]
        user = key.identity_id.rsplit("/", 1)[1]
        request, arn = params.user_target(user, account)
        if op == CREATE_KEY:
            response = {
                "accessKey": {
                    "userName": user,
                    "accessKeyId": key.credential_id,
                    "status": "Active",
                    "createDate": fake.aws_console_time(moment),
                }
            }
            return request, response, arn
        request["accessKeyId"] = key.credential_id
        if op == UPDATE_KEY:
            request["status"] = "Inactive"
        return request, None, arn


def _host(source: str, region: str) -> str:
    service = source.split(".")[0]
    if service in ("iam", "signin"):
        return "signin.aws.amazon.com" if service == "signin" else source
    return f"{service}.{region}.amazonaws.com"


def write_cloudtrail(root: Path, world: World, plan: Plan) -> TrailStats:
    """Write the plan as delivery files under ``root`` and return what was written."""
    rng = random.Random(f"{world.seed}:cloudtrail")
    builder = _Records(plan, rng)
    stats = TrailStats(window_start=int((world.end - timedelta(days=90)).timestamp()))
    groups: dict[tuple[int, int], list[Event]] = {}
    for event in plan.events:
        groups.setdefault((event[1], event[2]), []).append(event)
    names = fake.Unique()
    for account_index, region_index in sorted(groups):
        chunk: list[Event] = []
        for event in groups[(account_index, region_index)]:
            if chunk and _closes(chunk, event[0]):
                _flush(root, builder, chunk, stats, names)
                chunk = []
            chunk.append(event)
        if chunk:
            _flush(root, builder, chunk, stats, names)
    logger.info(
        "wrote %d CloudTrail events in %d files under %s",
        sum(stats.events_by_account.values()),
        stats.files,
        root,
    )
    return stats


def _closes(chunk: list[Event], moment: int) -> bool:
    """Whether the file being filled is delivered before the event at ``moment``."""
    last = chunk[-1][0]
    if len(chunk) >= MAX_RECORDS or moment // 86_400 != last // 86_400:
        return True
    return len(chunk) >= MIN_RECORDS and moment // 3600 != last // 3600


def _flush(
    root: Path, builder: _Records, chunk: list[Event], stats: TrailStats, names: fake.Unique
) -> None:
    account, region = ACCOUNT_IDS[chunk[0][1]], REGIONS[chunk[0][2]]
    records = [builder.record(event) for event in chunk]
    stamp = time.gmtime((chunk[-1][0] // 300 + 1) * 300)
    suffix = names.draw(lambda: fake.chars(builder.rng, 16))
    name = f"{account}_CloudTrail_{region}_{time.strftime('%Y%m%dT%H%MZ', stamp)}_{suffix}.json.gz"
    folder = root / "AWSLogs" / account / "CloudTrail" / region / time.strftime("%Y/%m/%d", stamp)
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"Records": records}, separators=(",", ":")).encode()
    (folder / name).write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
    stats.files += 1
    stats.events_by_account[account] = stats.events_by_account.get(account, 0) + len(records)
    stats.first = chunk[0][0] if stats.first is None else min(stats.first, chunk[0][0])
    stats.last = chunk[-1][0] if stats.last is None else max(stats.last, chunk[-1][0])
    for event, record in zip(chunk, records, strict=True):
        stats.observe(event[0], record)
