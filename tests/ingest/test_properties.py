"""Property tests: valid records of each kind, some of them broken, never lose or blame a record.

For CloudTrail, the agent gateway, the inventory's credentials file, gitleaks and TruffleHog,
hypothesis draws a file of valid records, breaks a random subset (a required field dropped, a
field of the wrong type, ``null`` for the whole record, a line that is not a record), and
loads it into a fresh warehouse. Whatever is drawn: nothing raises, every valid record loads,
every broken one is rejected at its own position with the field at fault (none when the
whole record is, as ``docs/warehouse.md`` says) and a reason.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.ingest import ingest_paths

# Text the way a log writes it: any printable character, quotes, commas and newlines
# included (surrogates cannot be written as UTF-8, so the strategy never draws them).
FREE_TEXT = st.text(min_size=1, max_size=24).filter(str.strip)
TIMES = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GARBAGE = "garbage"
CSV_COLUMNS = [
    "credential_id",
    "identity_id",
    "credential_type",
    "status",
    "created_at",
    "last_used_at",
]
NULL = "null"


@dataclass(frozen=True)
class Break:
    """How one record is broken, and the field its rejection must name (None: the record)."""

    how: str
    field: str | None
    apply: Callable[[dict[str, Any]], Any]


def _drop(name: str) -> Break:
    return Break(f"drop {name}", name, lambda record: _without(record, name))


def _set(name: str, value: Any, field: str | None = None) -> Break:
    return Break(f"{name}={value!r}", field or name, lambda record: {**record, name: value})


def _without(record: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != name}


WHOLE = [
    Break(NULL, None, lambda record: None),
    Break(GARBAGE, None, lambda record: GARBAGE),
]


@dataclass(frozen=True)
class Kind:
    """A source kind under test: how to draw one valid record and how to break it."""

    name: str
    suffix: str
    record: Callable[[int], st.SearchStrategy[dict[str, Any]]]
    breaks: list[Break]


def _event(n: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "eventTime": TIMES.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
            "eventSource": st.sampled_from(["s3.amazonaws.com", "iam.amazonaws.com"]),
            "eventName": st.from_regex(r"[A-Z][A-Za-z]{2,20}", fullmatch=True),
            "eventID": st.just(f"evt-{n}"),
            "sourceIPAddress": FREE_TEXT,
            "userAgent": FREE_TEXT,
            "userIdentity": st.fixed_dictionaries(
                {
                    "type": st.just("IAMUser"),
                    "arn": FREE_TEXT.map(lambda name: f"arn:aws:iam::111122223333:user/{name}"),
                }
            ),
        }
    )


def _call(n: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "time": TIMES.map(datetime.isoformat),
            "call_id": st.just(f"call-{n}"),
            "agent_id": FREE_TEXT.map(lambda name: f"agent:{name}"),
            "agent_name": FREE_TEXT,
            "tool": FREE_TEXT.map(lambda name: f"tool.{name}"),
            "decision": st.sampled_from(["allowed", "denied", "ALLOW", "deny"]),
            "arguments": st.dictionaries(FREE_TEXT, FREE_TEXT, max_size=3),
        }
    )


def _credential(n: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "credential_id": FREE_TEXT.map(lambda name: f"cred-{n}-{name}"),
            "identity_id": FREE_TEXT.map(lambda name: f"svc-{name}"),
            "credential_type": st.sampled_from(["access_key", "api_key", "token", "ssh_key"]),
            "status": st.sampled_from(["active", "revoked", ""]),
            "created_at": TIMES.map(lambda t: t.date().isoformat()),
            "last_used_at": st.one_of(st.just(""), TIMES.map(datetime.isoformat)),
        }
    )


def _leak(n: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "RuleID": st.sampled_from(["generic-api-key", "aws-access-token", "slack-bot-token"]),
            "Description": FREE_TEXT,
            "File": FREE_TEXT.map(lambda name: f"src/{name}"),
            "StartLine": st.integers(min_value=1, max_value=10**6),
            "Commit": st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
            "Secret": FREE_TEXT.map(lambda value: f"secret-{n}-{value}"),
            "Date": TIMES.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
            "Fingerprint": st.just(f"finding-{n}"),
        }
    )


def _finding(n: int) -> st.SearchStrategy[dict[str, Any]]:
    place = st.fixed_dictionaries(
        {
            "file": st.just(f"config/{n}.env"),
            "line": st.integers(min_value=1, max_value=10**6),
            "commit": st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
            "email": FREE_TEXT,
        }
    )
    return st.fixed_dictionaries(
        {
            "SourceMetadata": place.map(lambda where: {"Data": {"Git": where}}),
            "DetectorName": st.sampled_from(["Slack", "AWS", "Github"]),
            "Verified": st.booleans(),
            "Raw": FREE_TEXT.map(lambda value: f"raw-{n}-{value}"),
        }
    )


KINDS = [
    Kind(
        "cloudtrail",
        ".jsonl",
        _event,
        [
            _drop("eventTime"),
            _set("eventName", {"name": "GetObject"}),
            _set("userIdentity", ["IAMUser"]),
            *WHOLE,
        ],
    ),
    Kind(
        "agent-gateway",
        ".jsonl",
        _call,
        [
            _drop("agent_id"),
            _drop("decision"),
            _set("tool", ["http.fetch"]),
            _set("decision", "maybe"),
            _set("time", {"at": "noon"}),
            *WHOLE,
        ],
    ),
    Kind(
        "inventory-csv",
        ".csv",
        _credential,
        [
            _set("credential_id", ""),
            _set("identity_id", " "),
            _set("credential_type", "banana"),
            _set("created_at", "last tuesday"),
            Break(GARBAGE, None, lambda record: GARBAGE),
        ],
    ),
    Kind(
        "gitleaks",
        ".jsonl",
        _leak,
        [
            _drop("RuleID"),
            _set("StartLine", "line five"),
            _set("Secret", {"value": "x"}),
            _set("Date", [2026]),
            *WHOLE,
        ],
    ),
    Kind(
        "trufflehog",
        ".jsonl",
        _finding,
        [
            _drop("DetectorName"),
            _set("SourceMetadata", {"Data": "Git"}, "SourceMetadata.Data"),
            _set("Raw", 12345),
            *WHOLE,
        ],
    ),
]


@st.composite
def broken_files(draw: st.DrawFn, kind: Kind) -> tuple[list[Any], dict[int, Break]]:
    """Draw records of ``kind`` and break some: (records as written, index -> break)."""
    count = draw(st.integers(min_value=1, max_value=8))
    records: list[Any] = [draw(kind.record(n)) for n in range(count)]
    broken = draw(st.sets(st.integers(min_value=0, max_value=count - 1)))
    breaks = {index: draw(st.sampled_from(kind.breaks)) for index in sorted(broken)}
    for index, how in breaks.items():
        records[index] = how.apply(records[index])
    return records, breaks


def _write(kind: Kind, records: list[Any], path: Path) -> list[str]:
    """Write the file; return each record's position as the loader names it."""
    if kind.suffix == ".csv":
        out = io.StringIO()
        # The default line end, CRLF, quotes every cell that holds a CR or an LF.
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for record in records:
            # A garbage row has one cell where the header has several: unreadable, not padded.
            writer.writerow([record] if record == GARBAGE else [record[c] for c in CSV_COLUMNS])
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
        return [f"line {line}" for line in _csv_row_lines(out.getvalue())]
    path.write_text(
        "\n".join(GARBAGE if r == GARBAGE else json.dumps(r) for r in records) + "\n",
        encoding="utf-8",
    )
    if len(records) == 1 and records[0] != GARBAGE:
        return ["document"]  # one JSON value is a document, not a JSON-lines file
    return [f"line {n + 1}" for n in range(len(records))]


def _csv_row_lines(text: str) -> list[int]:
    """The line on which each data row ends, as :class:`csv.reader` counts (quoted newlines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    ends = []
    for _ in reader:
        ends.append(reader.line_num)
    return ends


def _load(kind: Kind, records: list[Any]) -> tuple[Any, list[tuple[Any, ...]], list[str]]:
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "property-key-0123456789abcdef")
        path = Path(folder) / f"drawn{kind.suffix}"
        positions = _write(kind, records, path)
        db = Path(folder) / "warehouse.duckdb"
        [result] = ingest_paths([str(path)], db=db, kind=kind.name)
        con = duckdb.connect(str(db), read_only=True)
        try:
            rejected = con.execute(
                "select position, field, reason from rejected_records order by record_index"
            ).fetchall()
        finally:
            con.close()
    return result, rejected, positions


def _check(kind: Kind, drawn: tuple[list[Any], dict[int, Break]]) -> None:
    records, breaks = drawn

    result, rejected, positions = _load(kind, records)

    assert (result.status, result.error) == ("loaded", None)
    assert result.read == len(records)
    assert (result.loaded, result.rejected, result.duplicate) == (
        len(records) - len(breaks),
        len(breaks),
        0,
    )
    expected = [(positions[index], how.field) for index, how in breaks.items()]
    assert [(position, field) for position, field, _ in rejected] == expected, [
        how.how for how in breaks.values()
    ]
    assert all(reason.strip() for _, _, reason in rejected)


@SETTINGS
@given(drawn=broken_files(KINDS[0]))
def test_cloudtrail_events_broken_at_random_are_each_rejected_and_no_valid_one_is(drawn):
    _check(KINDS[0], drawn)


@SETTINGS
@given(drawn=broken_files(KINDS[1]))
def test_gateway_calls_broken_at_random_are_each_rejected_and_no_valid_one_is(drawn):
    _check(KINDS[1], drawn)


@SETTINGS
@given(drawn=broken_files(KINDS[2]))
def test_inventory_credentials_broken_at_random_are_each_rejected_and_no_valid_one_is(drawn):
    _check(KINDS[2], drawn)


@SETTINGS
@given(drawn=broken_files(KINDS[3]))
def test_gitleaks_findings_broken_at_random_are_each_rejected_and_no_valid_one_is(drawn):
    _check(KINDS[3], drawn)


@SETTINGS
@given(drawn=broken_files(KINDS[4]))
def test_trufflehog_findings_broken_at_random_are_each_rejected_and_no_valid_one_is(drawn):
    _check(KINDS[4], drawn)
