"""AWS ``get-account-authorization-details``: IAM users and roles with what they may do.

Each user and role is a record. It becomes an ``identities`` row and one ``grants`` row per
(action, resource) of every Allow or Deny statement that reaches it: inline policies,
attached managed policies (their default version, taken from the file's ``Policies``),
and, for users, the inline and attached policies of their groups. ``via`` says where a
grant comes from (``inline:<name>``, ``managed:<arn>``, ``group:<group>/<policy>``).

Wildcards are kept as written (``s3:*``, ``*``); expanding them against the actions
actually used is the privilege metrics' job. Not modelled here: permissions boundaries,
service control policies, resource policies and role trust policies, so a grant row is
an upper bound of what an identity may do, not proof that it can. The file states no
time, so its snapshot time is ``--as-of`` or the file's modification time.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import require, stable_id, time_field
from analytics.ingest.readers import RawRecord, parse_json, without_surrogates

KIND = "aws-authorization-details"
_PRINCIPALS = (("UserDetailList", "iam_user"), ("RoleDetailList", "iam_role"))


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield one record per user and role, with the policies they reach resolved."""
    try:
        document = parse_json(text_)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}): the whole "
            f"document is needed to resolve policies, so nothing is loaded; export it again"
        ) from exc
    document = without_surrogates(document)
    if not isinstance(document, dict) or not any(k in document for k, _ in _PRINCIPALS):
        raise InputError("expected an object with UserDetailList and RoleDetailList")
    policies = _by_name(document, "Policies", "Arn")
    groups = _by_name(document, "GroupDetailList", "GroupName")
    index = 0
    for key, kind in _PRINCIPALS:
        for position, item in enumerate(_items(document, key)):
            data = {"kind": kind, "item": item, "policies": policies, "groups": groups}
            yield RawRecord(f"{key}[{position}]", index, data)
            index += 1


def _by_name(document: dict[str, Any], key: str, name: str) -> dict[str, dict[str, Any]]:
    """The objects of list ``key`` by their ``name`` field; one without a text name is skipped.

    Users and roles name the policies and groups they reach by text: an entry whose name is
    missing or not text cannot be reached, and a policy or group that a principal names but
    that is not found is reported on that principal.
    """
    found = {}
    for item in _items(document, key):
        if isinstance(item, dict) and isinstance(item.get(name), str):
            found[item[name]] = item
    return found


def _items(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key) or []
    if not isinstance(value, list):
        raise InputError(f"field {key}: expected an array, found {type(value).__name__}")
    return value


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map a user or role to its identity row and its grant rows."""
    kind = record.data["kind"]
    item = record.data["item"]
    name_field = "UserName" if kind == "iam_user" else "RoleName"
    arn = require(item, "Arn")
    name = require(item, name_field)
    rows = Rows().add(
        "identities",
        {
            "identity_id": arn,
            "name": name,
            "kind": kind,
            "provider": "aws",
            "account": arn.split(":")[4] if arn.count(":") >= 5 else None,
            "status": "active",
            "created_at": time_field(item, "CreateDate"),
            "source_kind": KIND,
        },
    )
    prefix = "User" if kind == "iam_user" else "Role"
    sources = list(_policy_sources(item, prefix, "", record.data["policies"], ctx))
    if kind == "iam_user":
        for group_name in item.get("GroupList") or []:
            if not isinstance(group_name, str):
                raise RecordRejected(
                    "GroupList", f"expected group names, found a JSON {type(group_name).__name__}"
                )
            group = record.data["groups"].get(group_name)
            if group is None:
                ctx.warnings.append(
                    f"{ctx.path}: {name} is in group {group_name}, which the "
                    f"file does not describe: its permissions are not counted"
                )
                continue
            sources.extend(
                _policy_sources(
                    group, "Group", f"group:{group_name}/", record.data["policies"], ctx
                )
            )
    for via, document in sources:
        for grant in _grants(arn, via, document):
            rows.add("grants", grant)
    return rows


def _policy_sources(
    item: dict[str, Any], prefix: str, via_prefix: str, policies: dict[str, Any], ctx: Context
) -> Iterator[tuple[str, Any]]:
    for inline in item.get(f"{prefix}PolicyList") or []:
        yield f"{via_prefix}inline:{inline.get('PolicyName')}", inline.get("PolicyDocument")
    for attached in item.get("AttachedManagedPolicies") or []:
        policy_arn = attached.get("PolicyArn")
        policy = policies.get(policy_arn)
        if policy is None:
            ctx.warnings.append(
                f"{ctx.path}: managed policy {policy_arn} is attached but not "
                f"in the file's Policies: its permissions are not counted"
            )
            continue
        default = policy.get("DefaultVersionId")
        for version in policy.get("PolicyVersionList") or []:
            if version.get("IsDefaultVersion") or version.get("VersionId") == default:
                yield f"{via_prefix}managed:{policy_arn}", version.get("Document")
                break


def _grants(arn: str, via: str, document: Any) -> Iterator[dict[str, object]]:
    if isinstance(document, str):
        try:
            document = parse_json(urllib.parse.unquote(document))
        except json.JSONDecodeError as exc:
            raise RecordRejected(via, "the policy document is not valid JSON") from exc
    if not isinstance(document, dict):
        raise RecordRejected(via, "expected a policy document object")
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    for number, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise RecordRejected(f"{via}.Statement[{number}]", "expected an object")
        effect = statement.get("Effect") or "Allow"
        negated = "NotAction" in statement
        actions = _as_list(statement.get("NotAction" if negated else "Action"))
        resources = (
            _as_list(statement.get("Resource"))
            or [f"NotResource:{r}" for r in _as_list(statement.get("NotResource"))]
            or ["*"]
        )
        for action in actions:
            for resource in resources:
                yield {
                    "grant_id": stable_id(arn, via, number, effect, negated, action, resource),
                    "identity_id": arn,
                    "permission": action,
                    "resource": resource,
                    "effect": effect,
                    "negated": negated,
                    "conditional": bool(statement.get("Condition")),
                    "grant_type": "standing",
                    "via": via,
                    "source_kind": KIND,
                }


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise RecordRejected("Statement", f"expected text or a list, found {type(value).__name__}")
