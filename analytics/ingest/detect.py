"""Tell a file's kind from its content, for ``nhi-risk ingest`` without ``--kind``.

Detection reads the first 64 KiB of the (decompressed) text and looks for the fields that
only one format has. It never guesses from the file name alone: a misnamed file is still
read right, and a file that matches no format is an error that lists the kinds.
"""

from __future__ import annotations

import re

SNIFF_CHARS = 64 * 1024

_CSV_HEADERS: list[tuple[str, re.Pattern[str]]] = [
    ("aws-credential-report", re.compile(r"^\ufeff?user,arn,user_creation_time,")),
    ("nhi-breach-catalogue", re.compile(r"^\ufeff?breach_id,disclosed_on,")),
    (
        "inventory-csv",
        re.compile(r"^\ufeff?[^\n]*\b(identity_id|credential_id|grant_id|person_id)\b[^\n]*\n?"),
    ),
]

# Order matters: the first kind whose pattern is found wins.
_JSON_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    # The top-level key of an OTLP trace request (the Collector's file exporter): no other
    # format has it.
    ("otel-genai", re.compile(r'"resourceSpans"\s*:')),
    ("aws-authorization-details", re.compile(r'"(UserDetailList|RoleDetailList)"\s*:')),
    ("aws-credential-report", re.compile(r'"ReportFormat"\s*:\s*"text/csv"')),
    # Version 3 (keys in any order, as ``jq -S`` re-sorts them), then version 2's list.
    (
        "trufflehog",
        re.compile(
            r'"SourceMetadata"\s*:.*"DetectorName"\s*:|"DetectorName"\s*:.*"SourceMetadata"\s*:'
            r'|"stringsFound"\s*:\s*\[',
            re.DOTALL,
        ),
    ),
    ("gitleaks", re.compile(r'"RuleID"\s*:|"offender"\s*:\s*"')),
    ("github-secret-scanning", re.compile(r'"secret_type"\s*:')),
    # A tool call: an agent, a tool and the gateway's decision, in any order.
    (
        "agent-gateway",
        re.compile(
            r'^[\[\s]*\{(?=[^\n]*"agent_id"\s*:)(?=[^\n]*"tool"\s*:)(?=[^\n]*"decision"\s*:)'
        ),
    ),
    # A curated incident list: a table row or a dated note, each with its links.
    (
        "incident-list",
        re.compile(
            r'^\{[^\n]*"(source_file|headline)"\s*:[^\n]*"urls"\s*:'
            r'|^\{[^\n]*"urls"\s*:[^\n]*"(source_file|headline)"\s*:'
        ),
    ),
    # A VERIS incident: its id beside the schema version or the timeline.
    (
        "veris",
        re.compile(
            r'"incident_id"\s*:.*"(schema_version|timeline)"\s*:'
            r'|"(schema_version|timeline)"\s*:.*"incident_id"\s*:',
            re.DOTALL,
        ),
    ),
    ("cloudtrail", re.compile(r'"eventSource"\s*:|"eventName"\s*:|"event_source"\s*:')),
    # A delivery file of a quiet period holds no event to recognise.
    ("cloudtrail", re.compile(r'^\{\s*"Records"\s*:\s*\[\s*\]\s*\}\s*$')),
]
# YAML documents, told by a top-level key of their own.
_YAML_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("sandbox-policy", re.compile(r"^sandbox_id\s*:", re.MULTILINE)),
]
# Files that sit beside the logs but hold no records, passed over with the reason.
_NOT_RECORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        "a CloudTrail digest file (hashes that prove the log files unaltered, no events)",
        re.compile(r'"digestStartTime"\s*:.*"digestEndTime"\s*:', re.DOTALL),
    ),
]


def holds_no_records(head: str) -> str | None:
    """Return why a file is known to hold no records (a CloudTrail digest), else ``None``."""
    sample = head[:SNIFF_CHARS]
    for reason, pattern in _NOT_RECORDS:
        if pattern.search(sample):
            return reason
    return None


def detect_kind(head: str) -> str | None:
    """Return the kind of a file from the start of its text, or ``None`` when unknown."""
    sample = head[:SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    if not sample:
        return None
    if sample[0] in "[{":
        for kind, pattern in _JSON_MARKERS:
            if pattern.search(sample):
                return kind
        return None
    first_line = sample.split("\n", 1)[0]
    for kind, pattern in _CSV_HEADERS:
        if pattern.search(first_line):
            return kind
    for kind, pattern in _YAML_MARKERS:
        if pattern.search(sample):
            return kind
    return None


def detect_kind_cloudtrail(head: str) -> bool:
    """True when CloudTrail's own patterns match ``head`` as :func:`detect_kind` reads it.

    For a caller that already knows no pattern tried before CloudTrail's can match (see
    ``analytics.ingest.cloudtrail_bulk``): then this is ``detect_kind(head) == "cloudtrail"``.
    """
    sample = head[:SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    if not sample or sample[0] not in "[{":
        return False
    return any(kind == "cloudtrail" and pattern.search(sample) for kind, pattern in _JSON_MARKERS)
