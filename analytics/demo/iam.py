"""IAM exports of the prod account: the credential report and the authorization details.

The credential report is a snapshot at the end of the window; the authorization details
are exported three times (see :mod:`analytics.demo.drift`), each listing the users and
roles that existed then with the policies they had then. The credential report lists
users, not key ids (exactly as AWS prints it), so a key can only be tied to its row
through the user and the creation time; the inventory and CloudTrail carry the key ids.
"""

from __future__ import annotations

import csv
import json
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.demo import fake
from analytics.demo.activity import ASSUME, Plan
from analytics.demo.drift import policies_at
from analytics.demo.model import PROD_ACCOUNT, REGIONS, Credential, Identity, World
from analytics.demo.policies import GROUPS, Policy, Statement, document, trust_document

logger = logging.getLogger(__name__)

REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
NA = "N/A"


def _prod_users(world: World) -> list[Identity]:
    users = [i for i in world.principals if i.account == PROD_ACCOUNT and i.aws_type == "user"]
    return sorted(users, key=lambda i: i.name)


def _key_columns(key: Credential | None) -> list[str]:
    if key is None:
        return ["false", NA, NA, NA, NA]
    if key.last_used_at is None:
        used = [NA, NA, NA]
    else:
        used = [fake.iso_offset(key.last_used_at), key.last_used_region, key.last_used_service]
    active = "true" if key.status == "active" else "false"
    return [active, fake.iso_offset(key.created_at), *used]


def write_credential_report(path: Path, world: World, plan: Plan) -> int:
    """Write ``credential_report.csv``; return the number of user rows (root excluded)."""
    rng = random.Random(f"{world.seed}:credential-report")
    root_created = world.end - timedelta(days=2600, seconds=rng.randrange(86_400))
    root_used = world.end - timedelta(days=rng.uniform(200, 400))
    rows = [
        [
            "<root_account>",
            f"arn:aws:iam::{PROD_ACCOUNT}:root",
            fake.iso_offset(root_created),
            "not_supported",
            fake.iso_offset(root_used),
            "not_supported",
            "not_supported",
            "true",
            *_key_columns(None),
            *_key_columns(None),
            "false",
            NA,
            "false",
            NA,
        ]
    ]
    index = {p.identity_id: n for n, p in enumerate(plan.principals)}
    for user in _prod_users(world):
        keys = sorted(
            (
                k
                for k in user.credentials
                if k.status != "deleted" and k.credential_type == "access_key"
            ),
            key=lambda k: k.created_at,
        )
        human = user.kind == "human"
        # A service user can have a console password too: someone signs in with it.
        given = [c.created_at for c in user.credentials if c.credential_type == "password"]
        signs_in = human or bool(given)
        login = plan.last_login.get(index[user.identity_id])
        changed = given[0] if given else None
        if human:
            changed = user.created_at + timedelta(days=rng.uniform(1, 90))
        password = [
            "true" if signs_in else "false",
            fake.iso_offset(fake.from_epoch(login)) if signs_in and login else NA,
            fake.iso_offset(changed) if changed is not None else NA,
            NA,
            "true" if human else "false",
        ]
        rows.append(
            [
                user.name,
                user.identity_id,
                fake.iso_offset(user.created_at),
                *password,
                *_key_columns(keys[0] if keys else None),
                *_key_columns(keys[1] if len(keys) > 1 else None),
                "false",
                NA,
                "false",
                NA,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(rows)
    logger.info("wrote credential report with %d users to %s", len(rows) - 1, path)
    return len(rows) - 1


def _attached(names: list[str], policies: dict[str, Policy]) -> list[dict[str, str]]:
    return [{"PolicyName": name, "PolicyArn": policies[name].arn(PROD_ACCOUNT)} for name in names]


def _inline(inline: list[tuple[str, tuple[Statement, ...]]]) -> list[dict[str, Any]]:
    return [
        {"PolicyName": name, "PolicyDocument": document(statements, PROD_ACCOUNT)}
        for name, statements in inline
    ]


def _tags(world: World, ident: Identity) -> list[dict[str, str]]:
    tags = [{"Key": "team", "Value": ident.team}]
    owner = world.person.get(ident.owner_id)
    if owner is not None:
        tags.append({"Key": "owner", "Value": owner.email})
    return tags


def iam_ids(world: World) -> dict[str, str]:
    """Ids of the groups and managed policies, drawn once so that every snapshot agrees."""
    rng = random.Random(f"{world.seed}:authorization-details")
    ids = {
        f"group:{name}": world.unique.draw(lambda: fake.aws_unique_id(rng, "AGPA"))
        for name in GROUPS
    }
    for name in world.policies:
        ids[f"policy:{name}"] = world.unique.draw(lambda: fake.aws_unique_id(rng, "ANPA"))
    return ids


def _roles_last_used(plan: Plan, at: datetime) -> dict[str, tuple[int, int]]:
    """(time, region index) of each role's last use before ``at``, from the schedule."""
    last: dict[str, tuple[int, int]] = {}
    moment = int(at.timestamp())
    for when, _, region, kind, n, *_ in plan.events:
        if when >= moment:
            break
        ident = plan.principals[n]
        if kind != ASSUME and ident.aws_type == "role":
            last[ident.identity_id] = (when, region)
    return last


def authorization_details(
    world: World, plan: Plan, at: datetime, ids: dict[str, str]
) -> dict[str, Any]:
    """The ``get-account-authorization-details`` document of the prod account at ``at``.

    It lists the users and roles created by ``at`` with the policies they had then;
    ``RoleLastUsed`` is the last use before ``at`` (at the end, what IAM reports now).
    """
    policies = world.policies
    prod = [i for i in world.principals if i.account == PROD_ACCOUNT and i.created_at <= at]
    recent = _roles_last_used(plan, at) if at < world.end else {}
    users, roles = [], []
    counts: dict[str, int] = {}
    for ident in sorted(prod, key=lambda i: (i.aws_type, i.name)):
        managed, inline = policies_at(ident, at)
        for name in managed:
            counts[name] = counts.get(name, 0) + 1
        entry: dict[str, Any] = {
            "Path": "/",
            ("UserName" if ident.aws_type == "user" else "RoleName"): ident.name,
            ("UserId" if ident.aws_type == "user" else "RoleId"): ident.unique_id,
            "Arn": ident.identity_id,
            "CreateDate": fake.iso_offset(ident.created_at),
        }
        if ident.aws_type == "user":
            if inline:
                entry["UserPolicyList"] = _inline(inline)
            entry["GroupList"] = list(ident.groups)
            entry["AttachedManagedPolicies"] = _attached(managed, policies)
            entry["Tags"] = _tags(world, ident)
            users.append(entry)
            continue
        entry["AssumeRolePolicyDocument"] = trust_document(ident.service, PROD_ACCOUNT, ident.repo)
        entry["InstanceProfileList"] = []
        entry["RolePolicyList"] = _inline(inline)
        entry["AttachedManagedPolicies"] = _attached(managed, policies)
        entry["Tags"] = _tags(world, ident)
        last = {}
        used_at, region = ident.last_used_at, ident.last_used_region
        if at < world.end and ident.identity_id in recent:
            when, index = recent[ident.identity_id]
            used_at, region = fake.from_epoch(when), REGIONS[index]
        elif at < world.end and used_at is not None and used_at >= world.start:
            # Its uses all came later; none before the window is on record.
            used_at = None
        if used_at is not None:
            last = {"LastUsedDate": fake.iso_offset(used_at), "Region": region}
        entry["RoleLastUsed"] = last
        roles.append(entry)
    groups = []
    for name, attached in GROUPS.items():
        for policy in attached:
            counts[policy] = counts.get(policy, 0) + 1
        groups.append(
            {
                "Path": "/",
                "GroupName": name,
                "GroupId": ids[f"group:{name}"],
                "Arn": f"arn:aws:iam::{PROD_ACCOUNT}:group/{name}",
                "CreateDate": fake.iso_offset(world.end - timedelta(days=1400)),
                "GroupPolicyList": [],
                "AttachedManagedPolicies": _attached(list(attached), policies),
            }
        )
    listed = [p for p in policies.values() if p.name in counts or not p.aws_managed]
    return {
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": [_policy(p, ids[f"policy:{p.name}"], counts.get(p.name, 0)) for p in listed],
    }


def _policy(policy: Policy, policy_id: str, attachments: int) -> dict[str, Any]:
    return {
        "PolicyName": policy.name,
        "PolicyId": policy_id,
        "Arn": policy.arn(PROD_ACCOUNT),
        "Path": policy.path,
        "DefaultVersionId": policy.version,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": policy.created,
        "UpdateDate": policy.created,
        "PolicyVersionList": [
            {
                "Document": policy.document(PROD_ACCOUNT),
                "VersionId": policy.version,
                "IsDefaultVersion": True,
                "CreateDate": policy.created,
            }
        ],
    }


def write_authorization_details(
    folder: Path, world: World, plan: Plan, times: list[datetime]
) -> list[tuple[Path, datetime, dict[str, Any]]]:
    """Write one ``authorization_details-YYYYMMDD.json`` per snapshot time.

    Each is written as the AWS CLI prints it; returned are the files with their snapshot
    times and documents, oldest first.
    """
    ids = iam_ids(world)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for at in times:
        details = authorization_details(world, plan, at, ids)
        path = folder / f"authorization_details-{at:%Y%m%d}.json"
        path.write_text(json.dumps(details, indent=4) + "\n", encoding="utf-8")
        logger.info(
            "wrote authorization details at %s (%d users, %d roles, %d policies) to %s",
            fake.iso_z(at),
            len(details["UserDetailList"]),
            len(details["RoleDetailList"]),
            len(details["Policies"]),
            path,
        )
        written.append((path, at, details))
    return written
