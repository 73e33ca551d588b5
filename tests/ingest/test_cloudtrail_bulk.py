"""The set-wise CloudTrail path gives exactly what the record-by-record adapter gives.

Every test loads the same files twice: once as ``nhi-risk ingest`` does (delivery files in
groups through DuckDB, :mod:`analytics.ingest.cloudtrail_bulk`), once with
``set_wise=False`` (every record through :func:`analytics.ingest.cloudtrail.transform`, the
reference). The warehouses must hold the same events, the same file counts and the same
rejections. A spy on ``cloudtrail_bulk.land`` also says which files the set-wise path kept,
so a test cannot pass by sending everything to the reference.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from analytics.ingest import cloudtrail_bulk, ingest_paths
from analytics.ingest.batch import content_hash
from analytics.ingest.detect import detect_kind, holds_no_records

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
EVENT_COLUMNS = (
    "source_kind, event_id, event_time, service, event_name, action, event_type, read_only, "
    "outcome, error_code, identity_id, principal_type, principal_arn, session_name, "
    "access_key_id, mfa_authenticated, account_id, region, source_ip, user_agent, "
    "target_host, resource, detail, task_id, grant_id"
)


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "events": con.execute(
                f"select {EVENT_COLUMNS}, f.path from events join ingest_files f using (file_id) "
                "order by all"
            ).fetchall(),
            "files": con.execute(
                "select path, kind, status, records_read, records_loaded, records_rejected, "
                "records_duplicate, first_record_at, last_record_at from ingest_files order by all"
            ).fetchall(),
            "rejected": con.execute(
                "select path, kind, position, record_index, field, reason from rejected_records "
                "order by all"
            ).fetchall(),
        }
    finally:
        con.close()


@pytest.fixture
def both(tmp_path, monkeypatch):
    """Load paths both ways; return (set-wise tables, reference tables, files kept set-wise)."""
    kept: list[str] = []
    land = cloudtrail_bulk.land

    def spy(con, group):
        landed, left = land(con, group)
        kept.extend(staged.path.name for staged, _ in landed)
        return landed, left

    monkeypatch.setattr(cloudtrail_bulk, "land", spy)
    monkeypatch.setenv("NHI_RISK_FINGERPRINT_KEY", "bulk-test-key-0123456789abcdef")

    def run(*batches: list[Path]):
        fast, slow = tmp_path / "fast.duckdb", tmp_path / "slow.duckdb"
        for db in (fast, slow):
            db.unlink(missing_ok=True)
        for paths in batches:
            ingest_paths([str(p) for p in paths], db=fast)
            ingest_paths([str(p) for p in paths], db=slow, set_wise=False)
        return _tables(fast), _tables(slow), sorted(kept)

    return run


def _event(n: int, **fields: object) -> dict[str, object]:
    """A CloudTrail event as AWS writes it, with ``fields`` replacing or adding keys."""
    event: dict[str, object] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:build-42",
            "arn": "arn:aws:sts::111122223333:assumed-role/ci-deployer/build-42",
            "accountId": "111122223333",
            "accessKeyId": f"ASIAEXAMPLE{n:09d}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": "arn:aws:iam::111122223333:role/ci-deployer",
                    "userName": "ci-deployer",
                },
                "attributes": {
                    "creationDate": "2026-11-20T09:00:00Z",
                    "mfaAuthenticated": "false",
                },
            },
        },
        "eventTime": f"2026-11-20T10:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "releases", "key": "build.zip"},
        "responseElements": None,
        "requestID": f"REQ{n:06d}",
        "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "tlsDetails": {"clientProvidedHostHeader": "releases.s3.eu-west-1.amazonaws.com"},
    }
    event.update(fields)
    return event


def _delivery(path: Path, events: list[dict[str, object]], *, gz: bool = True) -> Path:
    text = json.dumps({"Records": events}, separators=(",", ":"))
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


# Records the set-wise path maps itself: every identity type, every resource rule, outcomes,
# flags and key-lifecycle details, as AWS writes them.
REGULAR = [
    _event(1),
    _event(2, errorCode="AccessDenied", errorMessage="denied", readOnly="TRUE"),
    _event(
        3,
        userIdentity={
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/backup",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLE000000003",
            "userName": "backup",
        },
        eventSource="iam.amazonaws.com",
        eventName="CreateAccessKey",
        requestParameters={"userName": "backup"},
        responseElements={
            "accessKey": {"accessKeyId": "AKIANEWKEY0000000003", "status": "Active"}
        },
    ),
    _event(
        4,
        eventSource="iam.amazonaws.com",
        eventName="UpdateAccessKey",
        requestParameters={"accessKeyId": "AKIAOLD", "status": "Inactive", "userName": ""},
    ),
    _event(5, userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
    _event(
        6,
        userIdentity={"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"},
    ),
    _event(
        7,
        userIdentity={
            "type": "FederatedUser",
            "arn": "arn:aws:sts::111122223333:federated-user/alice",
            "userName": "alice",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:user/broker"}},
        },
    ),
    _event(
        8,
        userIdentity={
            "type": "AssumedRole",
            "arn": "arn:aws-cn:sts::444455556666:assumed-role/reader/session/with/slashes",
        },
    ),
    _event(9, userIdentity={"type": "Root", "principalId": "444455556666", "arn": "N/A"}),
    _event(
        10,
        resources=[
            {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::releases/"},
            {"type": "AWS::S3::Bucket", "ARN": ""},
            {"type": "AWS::S3::Bucket", "arn": "arn:aws:s3:::releases"},
        ],
    ),
    _event(11, requestParameters={"bucketName": "", "roleName": "x" * 600}),
    _event(
        12,
        eventSource="ec2.amazonaws.com",
        eventName="StartInstances",
        requestParameters={"instancesSet": {"items": [{"instanceId": "i-0abc"}]}},
    ),
    _event(13, eventName="ConsoleLogin", responseElements={"ConsoleLogin": "Failure"}),
    _event(
        14,
        additionalEventData={"MFAUsed": "Yes"},
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops"},
    ),
    _event(
        15,
        eventSource="",
        eventType=None,
        awsRegion="",
        tlsDetails={"clientProvidedHostHeader": "n/a"},
    ),
    _event(16, eventSource="sts", userAgent="Mozilla/5.0 (\u00e9t\u00e9)"),
    # Text or a number where an object or an array belongs reads as absent, as dig() reads it.
    _event(17, tlsDetails="n/a", requestParameters="none", resources="arn:aws:s3:::a"),
    _event(18, responseElements=7, additionalEventData=[1], resources=[{"ARN": None}, 3]),
]
# Records only the adapter decides: each sends its file to it whole.
ODD = {
    "padded_name": _event(21, eventName="GetObject "),
    "nbsp_padded_account": _event(22, recipientAccountId="\u00a0111122223333"),
    "boolean_source": _event(23, eventSource=True),
    "object_name": _event(24, eventName={"name": "GetObject"}),
    "fractional_time": _event(25, eventTime="2026-11-20T10:00:00.250Z"),
    "zero_time": _event(26, eventTime="0001-01-01T00:00:00Z"),
    "impossible_date": _event(27, eventTime="2026-02-30T10:00:00Z"),
    "missing_id": _event(28, eventID=None),
    "datadog_fields": _event(29, http={"useragent": "stratus"}),
    "no_identity": _event(30, userIdentity=None),
    "string_identity": _event(31, userIdentity="root"),
    "numeric_resource": _event(32, resources=[{"ARN": 42}]),
    "numeric_parameter": _event(33, requestParameters={"bucketName": 7, "roleName": "r"}),
    "non_ascii_arn": _event(
        34, userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/\u00e9"}
    ),
    "not_an_object": "GetObject",
}


def test_regular_records_are_mapped_set_wise_exactly_as_the_adapter_maps_them(tmp_path, both):
    files = [_delivery(tmp_path / "regular.json.gz", REGULAR)]
    files.append(_delivery(tmp_path / "plain.json", [_event(40), _event(41)], gz=False))
    files.append(_delivery(tmp_path / "quiet.json.gz", []))

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == ["plain.json", "quiet.json.gz", "regular.json.gz"]
    assert len(fast["events"]) == len(REGULAR) + 2


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_record_only_the_adapter_decides_sends_its_file_there(tmp_path, both, name):
    files = [
        _delivery(tmp_path / "odd.json.gz", [_event(20), ODD[name]]),
        _delivery(tmp_path / "fine.json.gz", [_event(50)]),
    ]

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == ["fine.json.gz"]


def test_every_white_space_python_strips_sends_the_file_to_the_adapter(tmp_path, both):
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    files = [
        _delivery(
            tmp_path / f"pad-{ord(c):05d}.json.gz", [_event(ord(c) % 1000, eventName="List" + c)]
        )
        for c in spaces
    ]

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == []
    assert {row[4] for row in fast["events"]} == {"List"}


def test_duplicates_and_conflicts_are_judged_as_the_adapter_judges_them(tmp_path, both):
    first = _delivery(tmp_path / "a.json.gz", [_event(1), _event(2), _event(1)])
    again = _delivery(
        tmp_path / "b.json.gz",
        [_event(2), _event(3), _event(1, sourceIPAddress="203.0.113.9"), _event(3)],
    )
    later = _delivery(tmp_path / "c.json.gz", [_event(3, eventName="PutObject"), _event(4)])

    fast, slow, kept = both([first, again], [later])

    assert fast == slow
    assert kept == ["a.json.gz", "b.json.gz", "c.json.gz"]
    positions = [(Path(r[0]).name, r[2]) for r in fast["rejected"]]
    assert positions == [("b.json.gz", "Records[2]"), ("c.json.gz", "Records[0]")]
    counts = {Path(f[0]).name: f[3:7] for f in fast["files"]}
    assert counts == {
        "a.json.gz": (3, 2, 0, 1),
        "b.json.gz": (4, 1, 1, 2),
        "c.json.gz": (2, 1, 1, 0),
    }


def test_many_files_keep_their_order_for_duplicates_and_positions(tmp_path, both):
    # Each file repeats, with other content, an event of the file before it, at a place of
    # its own: who wins and where the conflict sits depend on the order of files and records.
    files = []
    for f in range(40):
        events = [_event(f * 1000 + n) for n in range(250)]
        if f:
            events.insert(f * 5, _event((f - 1) * 1000 + 7, awsRegion="us-east-2"))
        files.append(_delivery(tmp_path / f"f{f:02d}.json.gz", events))

    fast, slow, kept = both(files)

    assert fast == slow
    assert len(kept) == 40
    assert len(fast["rejected"]) == 39


def test_a_large_records_file_is_staged_in_pieces(tmp_path, both, monkeypatch):
    # Every file counts as large; pieces of 1 KiB put the document's end, and every field,
    # across piece boundaries.
    monkeypatch.setattr(cloudtrail_bulk, "DOCUMENT_BYTES", 0)
    monkeypatch.setattr(cloudtrail_bulk, "_CHUNK", 1024)
    events = [_event(n) for n in range(300)]
    files = [_delivery(tmp_path / "big.json", events, gz=False)]
    files.append(_delivery(tmp_path / "big.json.gz", [_event(n) for n in range(300, 500)]))

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == ["big.json", "big.json.gz"]
    assert len(fast["events"]) == 500


@pytest.mark.parametrize("document_bytes", [0, cloudtrail_bulk.DOCUMENT_BYTES])
def test_an_escaped_surrogate_half_is_left_to_the_adapter(
    tmp_path, both, monkeypatch, document_bytes
):
    # Staged (in pieces of 7 bytes, an escape split across two), or read whole by DuckDB.
    monkeypatch.setattr(cloudtrail_bulk, "DOCUMENT_BYTES", document_bytes)
    monkeypatch.setattr(cloudtrail_bulk, "_CHUNK", 7)
    text = json.dumps({"Records": [_event(1, userAgent="tool \ud800")]})
    assert "\\ud800" in text
    path = tmp_path / "surrogate.json"
    path.write_text(text)

    fast, slow, kept = both([path])

    assert fast == slow
    assert kept == []


def test_files_read_whole_and_staged_keep_their_order_in_one_run(tmp_path, both, monkeypatch):
    # Files of more JSON than this are staged: b and d; a, c and e are read whole. Each file
    # repeats, with other content, an event of the file before it: the first one named wins.
    monkeypatch.setattr(cloudtrail_bulk, "DOCUMENT_BYTES", 30_000)
    files = []
    for f, size in enumerate([10, 40, 10, 40, 10]):
        events = [_event(f * 1000 + n) for n in range(size)]
        if f:
            events.insert(3, _event((f - 1) * 1000 + 1, awsRegion="us-east-2"))
        files.append(_delivery(tmp_path / f"{'abcde'[f]}.json", events, gz=False))
    assert [p.stat().st_size > 30_000 for p in files] == [False, True, False, True, False]

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == ["a.json", "b.json", "c.json", "d.json", "e.json"]
    assert [r[2] for r in fast["rejected"]] == ["Records[3]"] * 4


def test_a_file_duckdb_cannot_read_leaves_the_others_of_its_group_in_place(tmp_path, both):
    # The damaged file sits between two good ones: the places of the files after it in the
    # group, and so their counts, must not shift when it is taken out.
    good = _delivery(tmp_path / "a.json.gz", [_event(1), _event(2)])
    damaged = tmp_path / "b.json.gz"
    damaged.write_bytes(gzip.compress(b'{"Records":[' + json.dumps(_event(3)).encode() + b",{]}"))
    after = _delivery(tmp_path / "c.json.gz", [_event(4), _event(5), _event(6)])

    fast, slow, kept = both([good, damaged, after])

    assert fast == slow
    assert kept == ["a.json.gz", "c.json.gz"]
    # records_read: the adapter reads the damaged file's event and its unreadable rest.
    assert [f[3] for f in fast["files"]] == [2, 2, 3]


def test_a_group_too_large_for_memory_is_mapped_file_by_file(tmp_path, both, monkeypatch):
    # DuckDB runs out of memory on the group at once (as on many cores with little memory);
    # every file still loads set-wise, each group in its order. c repeats an event of a
    # with other content and loses to it, at its own position.
    run_map = cloudtrail_bulk._run_map
    runs: list[int] = []

    def short_of_memory(con, group, places):
        runs.append(len(places))
        if len(places) > 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: (a test's)")
        run_map(con, group, places)

    monkeypatch.setattr(cloudtrail_bulk, "_run_map", short_of_memory)
    files = [
        _delivery(tmp_path / "a.json.gz", [_event(1), _event(2)]),
        _delivery(tmp_path / "b.json.gz", [_event(3)]),
        _delivery(tmp_path / "c.json.gz", [_event(4), _event(1, awsRegion="us-east-2")]),
    ]

    fast, slow, kept = both(files)

    assert fast == slow
    assert kept == ["a.json.gz", "b.json.gz", "c.json.gz"]
    assert runs == [3, 1, 1, 1]
    assert [(r[0].rsplit("/", 1)[1], r[2]) for r in fast["rejected"]] == [
        ("c.json.gz", "Records[1]")
    ]
    assert [f[3:6] for f in fast["files"]] == [(2, 2, 0), (1, 1, 0), (2, 1, 1)]


@pytest.mark.parametrize("document_bytes", [0, cloudtrail_bulk.DOCUMENT_BYTES])
def test_damaged_and_foreign_files_end_as_on_the_reference_path(
    tmp_path, both, monkeypatch, document_bytes
):
    # Staged, or read whole by DuckDB.
    monkeypatch.setattr(cloudtrail_bulk, "DOCUMENT_BYTES", document_bytes)
    files = sorted(p for p in HOSTILE.iterdir() if p.name.startswith(("cloudtrail", "empty")))
    multi = tmp_path / "two-documents.json"
    multi.write_text(
        json.dumps({"Records": [_event(1)]}) + "\n" + json.dumps({"Records": [_event(2)]})
    )
    extra = tmp_path / "extra-key.json"
    extra.write_text(json.dumps({"Records": [_event(3)], "Note": [1]}))
    # Second documents small enough to pass for white space after the first, Records that
    # are not an array, and white space indeed (which a staged file may load set-wise).
    tails = []
    for n, tail in enumerate(['{"x":1}', '{"Records":[]}', "{}", " " * 9]):
        name = "white-space-after" if tail.isspace() else f"small-second-document-{n}"
        tails.append(tmp_path / f"{name}.json")
        tails[-1].write_text(json.dumps({"Records": [_event(5 + n)]}) + "\n" + tail + "\n")
    for records in ({"eventID": "x"}, None):
        tails.append(tmp_path / f"records-{type(records).__name__}.json")
        tails[-1].write_text(json.dumps({"Records": records}))
    bad_gzip = tmp_path / "two-members.json.gz"
    bad_gzip.write_bytes(
        gzip.compress(b'{"Records":[') + gzip.compress(json.dumps(_event(4)).encode() + b"]}")
    )

    fast, slow, kept = both([*files, multi, extra, *tails, bad_gzip])

    assert fast == slow
    assert set(kept) <= {"white-space-after.json"}


@pytest.mark.shared
@pytest.mark.parametrize(
    "folder",
    [
        "aws_cloudtrail_flaws2",
        "aws_cloudtrail_stratus_red_team",
        "aws_cloudtrail_datadog_forwarded_zmallen",
        "aws_s3_honeybucket_otrf",
        "panther_analysis_test_events",
    ],
)
def test_real_trails_load_the_same_both_ways(real, both, folder):
    files = sorted(p for p in (real / folder).rglob("*") if p.is_file() and p.name != "README.md")

    fast, slow, kept = both(files)

    assert fast == slow
    if folder == "aws_cloudtrail_flaws2":
        assert kept == sorted(p.name for p in files)


def test_the_content_hash_is_the_same_in_python_and_in_sql(tmp_path, monkeypatch):
    monkeypatch.setenv("NHI_RISK_FINGERPRINT_KEY", "bulk-test-key-0123456789abcdef")
    db = tmp_path / "w.duckdb"
    ingest_paths([str(_delivery(tmp_path / "r.json.gz", REGULAR))], db=db)
    con = duckdb.connect(str(db))
    con.execute(
        (Path(cloudtrail_bulk.__file__).parents[1] / "sql" / "event_content_hash.sql").read_text()
    )
    cursor = con.execute("select *, event_content_hash(events) as sql_hash from events")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    con.close()

    assert len(rows) == len(REGULAR)
    assert [row["sql_hash"] for row in rows] == [content_hash(row) for row in rows]


def _heads(*folders: Path) -> list[str]:
    heads = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError):
                    continue
            heads.append(raw[: 64 * 1024].decode("utf-8", errors="replace"))
    return heads


def test_the_quick_kind_test_agrees_with_detection_on_every_sample(real):
    heads = _heads(Path(__file__).resolve().parents[1] / "data", real)
    heads += [json.dumps({"Records": []}), json.dumps({"Records": [_event(1)]})]
    heads += [json.dumps({"Records": [_event(1, secret_type="x")]})]

    quick = [cloudtrail_bulk._detected(head) for head in heads]
    full = [holds_no_records(head) is None and detect_kind(head) == "cloudtrail" for head in heads]

    assert quick == full
    assert sum(quick) >= 10
