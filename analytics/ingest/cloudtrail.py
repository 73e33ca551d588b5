"""AWS CloudTrail: delivery files, JSON arrays, JSON lines, and SIEM exports of them.

Accepted shapes:

- delivery files ``{"Records": [...]}`` as AWS writes them to S3 (``.json.gz`` or plain);
- a JSON array of events, or one event per line;
- events as SIEMs and pipelines export them. Datadog keeps CloudTrail's fields but moves
  the caller's address to ``network.client.ip`` and the user agent to ``http.useragent``;
  its log API wraps the event in ``content.attributes``. Elastic (Filebeat's aws module, Logstash)
  keeps the original event as a JSON string in ``event.original`` or ``message``, or maps
  it to ECS fields (``@timestamp``, ``event.action``, ``event.provider``, ``source.ip``,
  ``user_agent.original``, ``aws.cloudtrail.*``). EventBridge wraps the event in
  ``detail``; Panther in ``log``, adds ``p_event_time``, and its data lake folds column
  names to lower case (``eventname``), which is matched too.

What is kept: who acted (the IAM user or role, resolved from session ARNs), with which
access key, what action on which resource, when, from where, with what outcome. Request
and response payloads are not kept: they can carry secrets (a ``PutParameter`` value) and
their useful part is already in ``resource`` and ``detail``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import dig, parse_time, stable_id, text
from analytics.ingest.readers import RawRecord, iter_json, parse_json

KIND = "cloudtrail"

_ASSUMED_ROLE = re.compile(r"^arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_FIRST_MATCH: dict[str, tuple[str, ...]] = {
    "eventTime": ("eventTime", "@timestamp", "timestamp", "p_event_time", "date"),
    "eventName": ("eventName", "evt.name", "event.action", "aws.cloudtrail.event_name"),
    "eventSource": ("eventSource", "event.provider", "aws.cloudtrail.event_source"),
    "eventID": ("eventID", "event.id", "aws.cloudtrail.event_id"),
    "sourceIPAddress": ("sourceIPAddress", "network.client.ip", "source.ip", "source.address"),
    "userAgent": ("userAgent", "http.useragent", "user_agent.original"),
    "awsRegion": ("awsRegion", "cloud.region"),
    "recipientAccountId": ("recipientAccountId", "cloud.account.id"),
    "errorCode": ("errorCode", "aws.cloudtrail.error_code"),
    "eventType": ("eventType", "aws.cloudtrail.event_type"),
    "requestID": ("requestID", "aws.cloudtrail.request_id", "http.request_id"),
}
# Request parameters that name the resource acted on, in order of preference.
_RESOURCE_PARAMETERS = (
    "bucketName",
    "secretId",
    "roleArn",
    "roleName",
    "userName",
    "groupName",
    "policyArn",
    "functionName",
    "instanceId",
    "keyId",
    "tableName",
    "snapshotId",
    "dBSnapshotIdentifier",
    "trailName",
    "logGroupName",
    "repositoryName",
    "clusterName",
    "stackName",
    "queueUrl",
    "topicArn",
    "accessKeyId",
    "name",
)
_KEY_LIFECYCLE = {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"}


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield the events of a delivery file, array, JSON-lines file or SIEM export."""
    yield from iter_json(text_, container="Records")


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one event to an ``events`` row."""
    event = _unwrap(record.data)
    time_raw = _first(event, "eventTime")
    if time_raw is None:
        raise RecordRejected("eventTime", "is required but missing (no time field found)")
    event_time = parse_time(time_raw, "eventTime")
    if event_time is None:
        raise RecordRejected("eventTime", "is required but empty")
    name = _first_text(event, "eventName")
    if not name:
        raise RecordRejected("eventName", "is required but missing or empty")
    source = _first_text(event, "eventSource")
    service = source.split(".", 1)[0] if source else None
    identity = _user_identity(event)
    principal = _principal(identity)
    error_code = _first_text(event, "errorCode")
    event_id = _first_text(event, "eventID") or "sha:" + stable_id(
        event_time.isoformat(),
        source,
        name,
        _first_text(event, "requestID"),
        text(identity, "arn"),
        _first_text(event, "sourceIPAddress"),
    )
    return Rows().add(
        "events",
        {
            "event_id": event_id,
            "source_kind": KIND,
            "event_time": event_time,
            "service": service,
            "event_name": name,
            "action": f"{service}:{name}" if service else name,
            "event_type": _first_text(event, "eventType"),
            "read_only": _read_only(event),
            "outcome": _outcome(event, error_code),
            "error_code": error_code,
            "identity_id": principal["identity_id"],
            "principal_type": text(identity, "type"),
            "principal_arn": text(identity, "arn"),
            "session_name": principal["session_name"],
            "access_key_id": text(identity, "accessKeyId") or text(identity, "access_key_id"),
            "mfa_authenticated": _mfa(event, identity),
            "account_id": _first_text(event, "recipientAccountId") or text(identity, "accountId"),
            "region": _first_text(event, "awsRegion"),
            "source_ip": _first_text(event, "sourceIPAddress"),
            "user_agent": _first_text(event, "userAgent"),
            "target_host": text(event, "tlsDetails.clientProvidedHostHeader"),
            "resource": _resource(event),
            "detail": _detail(event, name),
        },
    )


def _unwrap(data: Any) -> dict[str, Any]:
    """Return the CloudTrail event inside a SIEM envelope, or the record itself."""
    if not isinstance(data, dict):
        raise RecordRejected("", f"expected a JSON object, found a JSON {type(data).__name__}")
    for path in ("event.original", "message"):
        inner = dig(data, path)
        if isinstance(inner, str) and inner.lstrip().startswith("{"):
            try:
                parsed = parse_json(inner)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict) and "eventName" in parsed:
                return parsed
    # Datadog's log API (content.attributes), EventBridge (detail), Panther alerts (log).
    for path in ("content.attributes", "attributes", "detail", "log"):
        inner = dig(data, path)
        if isinstance(inner, dict) and _looks_like_event(inner):
            return inner
    if "eventName" not in data and "eventname" in data:
        # Data lakes that fold column names (Panther on Snowflake) write eventname, eventtime.
        return _CaseFolded(data)
    return data


def _looks_like_event(candidate: dict[str, Any]) -> bool:
    return any(key in candidate for key in ("eventName", "eventname", "evt"))


class _CaseFolded(dict[str, Any]):
    """A record whose top-level keys are matched without regard to case."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__({key.lower(): value for key, value in data.items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


def _first(event: dict[str, Any], field: str) -> Any:
    for path in _FIRST_MATCH[field]:
        value = event.get(path) if path in event else dig(event, path)
        if value not in (None, ""):
            return value
    return None


def _first_text(event: dict[str, Any], field: str) -> str | None:
    value = _first(event, field)
    if isinstance(value, (dict, list)):
        raise RecordRejected(field, f"expected text, found a JSON {type(value).__name__}")
    return None if value is None else str(value).strip() or None


def _user_identity(event: dict[str, Any]) -> dict[str, Any]:
    identity = event.get("userIdentity")
    if identity is None:
        identity = dig(event, "aws.cloudtrail.user_identity")
    if identity is None:
        return {}
    if not isinstance(identity, dict):
        raise RecordRejected(
            "userIdentity", f"expected an object, found a JSON {type(identity).__name__}"
        )
    return identity


def _principal(identity: dict[str, Any]) -> dict[str, str | None]:
    """Resolve the acting identity: role sessions count against their role."""
    arn = text(identity, "arn")
    kind = text(identity, "type")
    issuer = text(identity, "sessionContext.sessionIssuer.arn") or text(
        identity, "session_context.session_issuer.arn"
    )
    session_name = None
    if arn and (match := _ASSUMED_ROLE.match(arn)):
        partition, account, role, session_name = match.groups()
        return {
            "identity_id": issuer or f"arn:{partition}:iam::{account}:role/{role}",
            "session_name": session_name,
        }
    if kind == "FederatedUser" and issuer:
        return {"identity_id": issuer, "session_name": text(identity, "userName")}
    if arn:
        return {"identity_id": arn, "session_name": None}
    if kind == "AWSService":
        invoked_by = text(identity, "invokedBy")
        return {
            "identity_id": f"aws-service:{invoked_by}" if invoked_by else None,
            "session_name": None,
        }
    account = text(identity, "accountId")
    if kind == "AWSAccount":
        principal = text(identity, "principalId")
        owner = account or principal
        return {
            "identity_id": f"aws-account:{owner}" if owner else "anonymous",
            "session_name": None,
        }
    name = text(identity, "userName") or text(identity, "principalId")
    return {
        "identity_id": f"{(kind or 'unknown').lower()}:{name}" if name else None,
        "session_name": None,
    }


def _outcome(event: dict[str, Any], error_code: str | None) -> str:
    if error_code:
        return "failure"
    console = dig(event, "responseElements.ConsoleLogin")
    if isinstance(console, str) and console.lower() == "failure":
        return "failure"
    outcome = text(event, "evt.outcome") or text(event, "event.outcome")
    if outcome and outcome.lower() in {"failure", "error"}:
        return "failure"
    return "success"


def _read_only(event: dict[str, Any]) -> bool | None:
    value = event.get("readOnly")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def _mfa(event: dict[str, Any], identity: dict[str, Any]) -> bool | None:
    value = dig(identity, "sessionContext.attributes.mfaAuthenticated")
    if value is None:
        value = dig(event, "additionalEventData.MFAUsed")
    if value is None:
        return None
    return str(value).lower() in {"true", "yes"}


def _resource(event: dict[str, Any]) -> str | None:
    resources = event.get("resources")
    if isinstance(resources, list):
        for item in resources:
            arn = dig(item, "ARN") or dig(item, "arn")
            if isinstance(arn, str) and arn:
                return arn[:512]
    params = event.get("requestParameters")
    if not isinstance(params, dict):
        return None
    for key in _RESOURCE_PARAMETERS:
        value = params.get(key)
        if isinstance(value, str) and value:
            return value[:512]
    instances = dig(params, "instancesSet.items")
    if isinstance(instances, list) and instances:
        first = dig(instances[0], "instanceId")
        if isinstance(first, str):
            return first
    return None


def _detail(event: dict[str, Any], name: str) -> str | None:
    """Keep the non-secret facts of access-key lifecycle calls that later metrics need."""
    if name not in _KEY_LIFECYCLE:
        return None
    parts = []
    key_id = dig(event, "requestParameters.accessKeyId") or dig(
        event, "responseElements.accessKey.accessKeyId"
    )
    if isinstance(key_id, str):
        parts.append(f"access_key_id={key_id}")
    status = dig(event, "requestParameters.status")
    if isinstance(status, str):
        parts.append(f"status={status}")
    user = dig(event, "requestParameters.userName")
    if isinstance(user, str):
        parts.append(f"user_name={user}")
    return ";".join(parts) or None
