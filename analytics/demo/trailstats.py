"""What the CloudTrail writer wrote, summed up record by record for the manifest.

Only aggregates are kept (a million records do not fit twice in memory): counts, the last
time of each principal, key and successful action, and, for the 90 days before the end,
the workloads and accounts of each long-lived key and the IAM users that acted like people.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

_CLIENT_END = re.compile(r"[/ ]")


def workload(source_ip: str, user_agent: str) -> tuple[str, str]:
    """The (network, client) a call came from.

    The network is the /24 of a public IPv4 address, ``private`` for an RFC 1918 address,
    the /64 of an IPv6 address, or the text itself for an AWS service name; the client is
    the user agent up to its first ``/`` or space.
    """
    client = _CLIENT_END.split(user_agent, maxsplit=1)[0]
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return source_ip, client
    if address.version == 6:
        return str(ipaddress.ip_network(f"{source_ip}/64", strict=False)), client
    if any(
        address in ipaddress.ip_network(n)
        for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ):
        return "private", client
    return str(ipaddress.ip_network(f"{source_ip}/24", strict=False)), client


def principal_arn(record: dict[str, Any]) -> str | None:
    """The acting identity: the user ARN, or the session issuer's role ARN."""
    identity = record["userIdentity"]
    if identity["type"] == "AssumedRole":
        return identity["sessionContext"]["sessionIssuer"]["arn"]
    return identity.get("arn")


def acts_like_a_person(record: dict[str, Any]) -> bool:
    """A console sign-in, a browser's user agent, or a session with MFA."""
    identity = record["userIdentity"]
    mfa = identity.get("sessionContext", {}).get("attributes", {}).get("mfaAuthenticated")
    return (
        record["eventName"] == "ConsoleLogin"
        or record["userAgent"].startswith("Mozilla/")
        or mfa == "true"
    )


@dataclass
class TrailStats:
    """What was written; times are epoch seconds, ``window_start`` is 90 days before the end.

    ``last_seen`` maps principal ARN to its last record, ``action_last`` (principal,
    ``service:action`` lower-cased) to its last record without an error, ``key_last`` an
    access key id to its last record. ``key_workloads`` and ``key_accounts`` hold, for
    ``AKIA`` keys, the workloads and recipient accounts of their records in the window;
    ``person_like`` the IAM users with a record in the window that a person would make;
    ``key_users`` maps an access key id to the IAM user of its latest record.
    """

    window_start: int = 0
    events_by_account: dict[str, int] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None
    last_seen: dict[str, int] = field(default_factory=dict)
    files: int = 0
    errors: int = 0
    console_logins: int = 0
    action_last: dict[tuple[str, str], int] = field(default_factory=dict)
    key_last: dict[str, int] = field(default_factory=dict)
    key_workloads: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    key_accounts: dict[str, set[str]] = field(default_factory=dict)
    person_like: set[str] = field(default_factory=set)
    key_users: dict[str, str] = field(default_factory=dict)

    def observe(self, moment: int, record: dict[str, Any]) -> None:
        """Count one written record, made at ``moment``."""
        arn = principal_arn(record)
        failed = "errorCode" in record
        if arn is not None:
            self.last_seen[arn] = max(self.last_seen.get(arn, moment), moment)
            if not failed:
                action = f"{record['eventSource'].split('.')[0]}:{record['eventName']}".lower()
                self.action_last[(arn, action)] = max(
                    self.action_last.get((arn, action), moment), moment
                )
        self.errors += failed
        self.console_logins += record["eventName"] == "ConsoleLogin"
        identity = record["userIdentity"]
        key = identity.get("accessKeyId")
        if key:
            if identity["type"] == "IAMUser" and moment >= self.key_last.get(key, moment):
                self.key_users[key] = identity["arn"]
            self.key_last[key] = max(self.key_last.get(key, moment), moment)
        if moment < self.window_start:
            return
        if key and key.startswith("AKIA"):
            place = workload(record["sourceIPAddress"], record["userAgent"])
            self.key_workloads.setdefault(key, set()).add(place)
            self.key_accounts.setdefault(key, set()).add(record["recipientAccountId"])
        if identity["type"] == "IAMUser" and acts_like_a_person(record):
            self.person_like.add(identity["arn"])
