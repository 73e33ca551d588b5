"""Sandbox policies: what an agent's sandbox may read and where it may connect.

A documented YAML format (``docs/sandbox-policy.md``), one document per sandbox, several
documents a file (``---``): ``sandbox_id`` and ``egress.allow`` (host patterns; ``*`` is open
egress, an empty list no egress) are required; ``agents``, ``owner_id``, ``environment``,
``reviewed_at``, ``secrets`` (names or patterns of secrets it can read) and ``credentials``
(ids of credentials handed to it) are optional. Each document is one ``sandboxes`` row.

Read access and egress are kept apart on purpose: a sandbox that can read production
secrets and can also reach any host is the combination the agent checks look for, and
each half is a separate decision of whoever wrote the policy.

YAML is parsed with the safe loader: a value is data, never an object to build. A document
that does not parse is rejected with the parser's line and column, and the documents after
it cannot be told apart, so they are not read; earlier ones load.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import yaml

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import parse_time, require, text
from analytics.ingest.readers import RawRecord, without_surrogates

KIND = "sandbox-policy"


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield one record per YAML document; a document that does not parse ends the file."""
    documents = yaml.safe_load_all(text_)
    index = 0
    while True:
        try:
            document = next(documents)
        except StopIteration:
            return
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            yield RawRecord(
                f"document {index + 1}",
                index,
                None,
                error=f"YAML does not parse{where}: {reason}; later documents are not read",
            )
            return
        except ValueError as exc:
            # PyYAML converts numbers itself, and Python refuses an int of over 4,300 digits.
            yield RawRecord(
                f"document {index + 1}",
                index,
                None,
                error=f"YAML holds a value that cannot be read ({str(exc)[:80]}); "
                f"later documents are not read",
            )
            return
        if document is not None:
            yield RawRecord(f"document {index + 1}", index, without_surrogates(document))
            index += 1


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one sandbox document to a ``sandboxes`` row."""
    policy = record.data
    if not isinstance(policy, dict):
        raise RecordRejected("", f"expected a mapping, found {type(policy).__name__}")
    sandbox = require(policy, "sandbox_id")
    egress = policy.get("egress")
    if not isinstance(egress, dict) or "allow" not in egress:
        raise RecordRejected(
            "egress.allow",
            "is required: list the hosts the sandbox may reach ([] for none, ['*'] for any)",
        )
    return Rows().add(
        "sandboxes",
        {
            "sandbox_id": sandbox,
            "agents": _strings(policy, "agents"),
            "owner_id": text(policy, "owner_id"),
            "environment": text(policy, "environment"),
            "reviewed_at": _time(policy.get("reviewed_at"), "reviewed_at"),
            "egress_allow": [host.lower() for host in _strings(egress, "allow", "egress.")],
            "secrets_read": _strings(policy, "secrets"),
            "credential_ids": _strings(policy, "credentials"),
            "source_kind": KIND,
        },
    )


def _strings(mapping: dict[str, Any], key: str, prefix: str = "") -> list[str]:
    """A list of text values (a single value is a list of one); absent gives ``[]``."""
    value = mapping.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, (dict, list)) or item is None for item in items):
        raise RecordRejected(f"{prefix}{key}", "expected a list of text values")
    return [str(item).strip() for item in items if str(item).strip()]


def _time(value: object, field: str) -> datetime | None:
    """YAML reads ``2026-10-01`` as a date: the start of that day in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return parse_time(value, field)
