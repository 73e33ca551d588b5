"""IAM exports of the prod account: the credential report and the authorization details.

Both are snapshots taken at the end of the window. The credential report lists users,
not key ids (exactly as AWS prints it), so a key can only be tied to its row through the
user and the creation time; the inventory and CloudTrail carry the key ids.
"""

from __future__ import annotations

import csv
import json
import logging
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from analytics.demo import fake
from analytics.demo.activity import Plan
from analytics.demo.model import PROD_ACCOUNT, Credential, Identity, World
from analytics.demo.policies import GROUPS, Policy, document, trust_document

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
            (k for k in user.credentials if k.status != "deleted"), key=lambda k: k.created_at
        )
        human = user.kind == "human"
        login = plan.last_login.get(index[user.identity_id])
        password = [
            "true" if human else "false",
            fake.iso_offset(fake.from_epoch(login)) if human and login else NA,
            fake.iso_offset(user.created_at + timedelta(days=rng.uniform(1, 90))) if human else NA,
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


def _inline(ident: Identity) -> list[dict[str, Any]]:
    return [
        {"PolicyName": name, "PolicyDocument": document(statements, PROD_ACCOUNT)}
        for name, statements in ident.inline
    ]


def _tags(world: World, ident: Identity) -> list[dict[str, str]]:
    tags = [{"Key": "team", "Value": ident.team}]
    owner = world.person.get(ident.owner_id)
    if owner is not None:
        tags.append({"Key": "owner", "Value": owner.email})
    return tags


def authorization_details(world: World) -> dict[str, Any]:
    """The ``get-account-authorization-details`` document of the prod account."""
    rng = random.Random(f"{world.seed}:authorization-details")
    policies = world.policies
    prod = [i for i in world.principals if i.account == PROD_ACCOUNT]
    users, roles = [], []
    counts: dict[str, int] = {}
    for ident in sorted(prod, key=lambda i: (i.aws_type, i.name)):
        for name in ident.policies:
            counts[name] = counts.get(name, 0) + 1
        entry: dict[str, Any] = {
            "Path": "/",
            ("UserName" if ident.aws_type == "user" else "RoleName"): ident.name,
            ("UserId" if ident.aws_type == "user" else "RoleId"): ident.unique_id,
            "Arn": ident.identity_id,
            "CreateDate": fake.iso_offset(ident.created_at),
        }
        if ident.aws_type == "user":
            if ident.inline:
                entry["UserPolicyList"] = _inline(ident)
            entry["GroupList"] = list(ident.groups)
            entry["AttachedManagedPolicies"] = _attached(ident.policies, policies)
            entry["Tags"] = _tags(world, ident)
            users.append(entry)
            continue
        entry["AssumeRolePolicyDocument"] = trust_document(ident.service, PROD_ACCOUNT, ident.repo)
        entry["InstanceProfileList"] = []
        entry["RolePolicyList"] = _inline(ident)
        entry["AttachedManagedPolicies"] = _attached(ident.policies, policies)
        entry["Tags"] = _tags(world, ident)
        last = {}
        if ident.last_used_at is not None:
            last = {
                "LastUsedDate": fake.iso_offset(ident.last_used_at),
                "Region": ident.last_used_region,
            }
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
                "GroupId": world.unique.draw(lambda: fake.aws_unique_id(rng, "AGPA")),
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
        "Policies": [_policy(rng, world, p, counts.get(p.name, 0)) for p in listed],
    }


def _policy(rng: random.Random, world: World, policy: Policy, attachments: int) -> dict[str, Any]:
    return {
        "PolicyName": policy.name,
        "PolicyId": world.unique.draw(lambda: fake.aws_unique_id(rng, "ANPA")),
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


def write_authorization_details(path: Path, world: World) -> dict[str, Any]:
    """Write ``authorization_details.json`` as the AWS CLI prints it; return the document."""
    details = authorization_details(world)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(details, indent=4) + "\n", encoding="utf-8")
    logger.info(
        "wrote authorization details (%d users, %d roles, %d policies) to %s",
        len(details["UserDetailList"]),
        len(details["RoleDetailList"]),
        len(details["Policies"]),
        path,
    )
    return details
