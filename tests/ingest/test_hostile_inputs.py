"""Hostile input: broken files of every kind, through the loader and through the command line.

Each test loads one attack from ``tests/data/hostile`` (or one made here at run time) with
:func:`ingest_paths` and with ``nhi-risk ingest`` into a second warehouse, and checks that no
traceback reaches the user, that every record read is loaded, rejected or a duplicate (in the
results and in ``ingest_files``), and that each rejection names its file, position and reason.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main
from analytics.ingest import FileResult, ingest_paths

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


class Run:
    """One attack loaded twice: by ``ingest_paths`` into ``db``, by the CLI into ``cli_db``."""

    def __init__(self, db: Path, results: list[FileResult], code: int, out: str, err: str):
        self.db = db
        self.cli_db = db.with_name("cli.duckdb")
        self.results = results
        self.code = code
        self.out = out
        self.err = err

    def rejections(self, db: Path | None = None) -> list[tuple[str, str, str | None, str]]:
        """``(file name, position, field, reason)`` of each rejected record, in file order."""
        return [
            (Path(path).name, position, field, reason)
            for path, position, field, reason in _rows(
                db or self.db,
                "select path, position, field, reason from rejected_records "
                "order by path, record_index",
            )
        ]

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        return _rows(self.db, sql)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def attack(db: Path, capsys: pytest.CaptureFixture[str]):
    """Load paths both ways and check the accounting every attack must keep."""

    def _attack(*paths: Path, kind: str | None = None) -> Run:
        results = ingest_paths([str(p) for p in paths], db=db, kind=kind)
        capsys.readouterr()
        argv = ["ingest", *(str(p) for p in paths), "--db", str(db.with_name("cli.duckdb"))]
        code = main([*argv, "--kind", kind] if kind else argv)
        out, err = capsys.readouterr()
        run = Run(db, results, code, out, err)
        assert "Traceback" not in out + err
        assert code == (1 if any(r.failed for r in results) else 0)
        _assert_accounted(run)
        return run

    return _attack


def _assert_accounted(run: Run) -> None:
    for result in run.results:
        assert result.read == result.loaded + result.rejected + result.duplicate, result
    landed = {
        Path(path).name: counts
        for path, *counts in _rows(
            run.db,
            "select path, records_read, records_loaded, records_rejected, records_duplicate "
            "from ingest_files where status = 'loaded'",
        )
    }
    loaded = [r for r in run.results if r.status == "loaded"]
    assert landed == {r.path.name: [r.read, r.loaded, r.rejected, r.duplicate] for r in loaded}
    if loaded:
        by_cli = _rows(
            run.cli_db,
            "select path, records_read, records_loaded, records_rejected, records_duplicate "
            "from ingest_files where status = 'loaded'",
        )
        assert {Path(path).name: list(counts) for path, *counts in by_cli} == landed
    rejected = run.rejections()
    assert len(rejected) == sum(r.rejected for r in run.results)
    assert rejected == run.rejections(run.cli_db)
    for name, position, _field, reason in rejected:
        assert name and position and reason


def test_truncated_gzip_delivery_file_loads_what_it_holds_and_records_the_loss(attack):
    path = HOSTILE / "cloudtrail_truncated.json.gz"
    held = zlib.decompressobj(wbits=31).decompress(path.read_bytes())
    complete = held.count(b'"userIdentity"')  # the last field of each event as written
    assert 0 < complete < 40

    run = attack(path)

    [result] = run.results
    assert (result.kind, result.loaded, result.rejected) == ("cloudtrail", complete, 2)
    assert run.rows("select event_id from events order by event_id") == [
        (f"hostile-gz-{n:02d}",) for n in range(complete)
    ]
    cut, lost = run.rejections()
    assert cut[1] == f"Records[{complete}]" and "cut off or damaged" in cut[3]
    assert lost[1] == "end of file" and "gzip stream is damaged or cut off" in lost[3]


def test_json_cut_off_inside_an_event_keeps_the_events_before_it(attack):
    run = attack(HOSTILE / "cloudtrail_truncated.json")

    assert run.rows("select event_id from events order by 1") == [("hostile-1",), ("hostile-2",)]
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("Records[2]", None)
    assert "to the end of the file" in reason and "fetch it again" in reason


def test_byte_order_mark_before_json_and_csv_is_dropped(attack):
    run = attack(HOSTILE / "cloudtrail_bom.json", HOSTILE / "inventory_identities_bom.csv")

    assert [(r.kind, r.loaded, r.rejected) for r in run.results] == [
        ("cloudtrail", 2, 0),
        ("inventory-csv", 2, 0),
    ]
    assert run.rows("select identity_id, kind, name from identities order by 1") == [
        ("svc-a", "bot", "A"),
        ("svc-b", "app", "B"),
    ]


def test_wrong_types_reject_the_record_naming_the_field_and_what_was_found(attack):
    run = attack(HOSTILE / "cloudtrail_wrong_types.jsonl")

    assert run.rows("select event_id from events") == [("hostile-5",)]
    assert [(pos, field, reason.split(",")[0]) for _, pos, field, reason in run.rejections()] == [
        ("line 1", "userIdentity", "expected an object"),
        ("line 2", "eventName", "expected text"),
        ("line 3", "eventTime", "expected a time"),
        ("line 4", "eventTime", "expected a time"),
    ]
    assert "found a JSON str" in run.rejections()[0][3]
    assert "found the number 1" + "0" * 30 in run.rejections()[3][3]


def test_nulls_where_objects_belong_reject_only_their_record(attack):
    run = attack(
        HOSTILE / "cloudtrail_nulls.jsonl", HOSTILE / "trufflehog_nulls_where_objects_belong.jsonl"
    )

    # A null userIdentity or requestParameters is an event that names no one: it loads.
    assert run.rows("select event_id, identity_id, resource from events order by 1") == [
        ("hostile-1", None, None),
        ("hostile-3", "arn:aws:iam::111122223333:user/bot", None),
    ]
    assert [(name, pos, field) for name, pos, field, _ in run.rejections()] == [
        ("cloudtrail_nulls.jsonl", "line 2", None),
        ("cloudtrail_nulls.jsonl", "line 3", "eventTime"),
        ("trufflehog_nulls_where_objects_belong.jsonl", "line 3", "SourceMetadata.Data"),
    ]
    assert run.rows("select count(*) from secret_findings") == [(3,)]


def test_a_repeated_event_is_a_duplicate_and_a_reused_id_is_a_conflict(attack):
    run = attack(HOSTILE / "cloudtrail_duplicate_ids.jsonl")

    [result] = run.results
    assert (result.read, result.loaded, result.duplicate, result.rejected) == (4, 2, 1, 1)
    assert run.rows("select event_id, event_name from events order by 1") == [
        ("hostile-1", "GetObject"),
        ("hostile-2", "GetObject"),
    ]
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("line 4", "event_id")
    assert "event_id=hostile-2 is already loaded with different content" in reason


def test_bytes_that_are_not_utf8_are_replaced_and_the_file_warns_with_the_offset(attack):
    path = HOSTILE / "agent_gateway_non_utf8.jsonl"
    offset = path.read_bytes().index(b"\xe9")

    run = attack(path)

    [result] = run.results
    assert (result.loaded, result.rejected) == (3, 0)
    assert result.warnings == [
        f"{path}: bytes that are not UTF-8 at offset {offset} were replaced by U+FFFD"
    ]
    assert run.rows("select event_name from events where event_id = 'hostile-c2'") == [
        ("caf\ufffd \ufffd\ufffd tool",)
    ]


def test_missing_required_fields_reject_and_unknown_fields_are_ignored(attack):
    run = attack(HOSTILE / "agent_gateway_missing_and_extra_fields.jsonl")

    assert run.rows("select event_id from events order by 1") == [
        ("hostile-c1",),
        ("hostile-c3",),
    ]
    assert [(pos, field, reason) for _, pos, field, reason in run.rejections()] == [
        ("line 2", "agent_id", "is required but missing or empty"),
        ("line 4", "decision", "is required but missing or empty"),
    ]
    assert "summarise" not in str(run.rows("select * from events"))


def test_an_unpaired_surrogate_escape_is_stored_as_a_replacement_character(attack):
    path = HOSTILE / "gitleaks_unpaired_surrogate.json"

    run = attack(path)

    [result] = run.results
    assert (result.loaded, result.rejected) == (2, 0)
    assert "unpaired UTF-16 surrogates" in result.warnings[0]
    assert run.rows("select file_path from secret_findings order by 1") == [
        ("docs/\ufffdhalf.md",),
        ("src/app1.py",),
    ]


def test_enormous_line_numbers_reject_their_finding_instead_of_failing_the_insert(attack):
    run = attack(HOSTILE / "gitleaks_enormous_line_numbers.json")

    assert run.rows("select line from secret_findings order by 1") == [(1,), (4,)]
    assert [(pos, field) for _, pos, field, _ in run.rejections()] == [
        ("[1]", "StartLine"),
        ("[2]", "StartLine"),
    ]
    assert "(31 digits), more lines than any file holds" in run.rejections()[0][3]


def test_a_number_of_five_thousand_digits_rejects_its_record_not_the_file(tmp_path, attack):
    path = tmp_path / "calls.jsonl"
    good = {"time": "2026-11-29T10:00:00Z", "agent_id": "a", "tool": "t", "decision": "allowed"}
    huge = '{"time": ' + "9" * 5000 + ', "agent_id": "a", "tool": "t", "decision": "allowed"}'
    path.write_text(json.dumps(good) + "\n" + huge + "\n")

    run = attack(path, kind="agent-gateway")

    assert [(r.loaded, r.rejected) for r in run.results] == [(1, 1)]
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("line 2", "time")
    assert reason.startswith("expected an ISO 8601 time")


def test_a_yaml_number_of_five_thousand_digits_rejects_its_document(tmp_path, attack):
    path = tmp_path / "sandboxes.yaml"
    path.write_text(
        "sandbox_id: sbx-a\negress: {allow: []}\n---\n"
        f"sandbox_id: sbx-b\negress: {{allow: []}}\nowner_id: {'9' * 5000}\n"
    )

    run = attack(path)

    assert run.rows("select sandbox_id from sandboxes") == [("sbx-a",)]
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("document 2", None)
    assert reason.startswith("YAML holds a value that cannot be read")


def test_an_enormous_string_is_loaded_whole_and_not_cut(tmp_path, attack):
    name = "x" * 5_000_000
    path = tmp_path / "calls.jsonl"
    call = {"time": "2026-11-29T10:00:00Z", "agent_id": "a", "tool": "t", "decision": "deny"}
    path.write_text(json.dumps({**call, "agent_name": name}))

    run = attack(path)

    assert run.rows("select outcome from events") == [("failure",)]
    assert run.rows("select length(name) from identities") == [(len(name),)]


def test_json_nested_thousands_deep_fails_its_file_and_the_cli_says_why(tmp_path, attack):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"agent_id": "a", "tool": "t", "decision": "allowed", "x": ' + "[" * 50_000)
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"time": "2026-11-29T10:00:00Z", "agent_id": "a", "tool": "t", "decision": "allowed"}'
    )

    run = attack(deep, good, kind="agent-gateway")

    failed, loaded = run.results
    assert failed.failed and "nested too deeply" in failed.error
    assert (loaded.status, loaded.loaded) == ("loaded", 1)
    assert f"FAILED {deep}: the JSON is nested too deeply" in run.err


def test_a_reordered_csv_header_loads_each_cell_under_its_own_column(attack):
    run = attack(HOSTILE / "inventory_credentials_reordered_header.csv")

    assert run.rows(
        "select credential_id, identity_id, credential_type, status, cast(created_at as date) "
        "from credentials order by 1"
    ) == [
        ("hostile-cred-1", "svc-a", "api_key", "active", _date("2026-01-01")),
        ("hostile-cred-2", "svc-b", "token", "revoked", _date("2025-06-30")),
    ]


def test_a_csv_header_of_no_known_file_fails_and_says_what_is_required(attack):
    path = HOSTILE / "inventory_identities_wrong_header.csv"

    detected = attack(path)
    [result] = detected.results
    assert result.failed and "cannot tell the kind" in result.error

    forced = ingest_paths(
        [str(path)], db=detected.db.with_name("forced.duckdb"), kind="inventory-csv"
    )
    [result] = forced
    assert result.failed and "fits none of the inventory files" in result.error
    assert "identities: identity_id, kind" in result.error


def test_a_csv_header_naming_a_column_twice_fails_the_file(attack):
    run = attack(HOSTILE / "inventory_identities_duplicate_column.csv")

    [result] = run.results
    assert result.failed and "names 'identity_id' more than once" in result.error
    assert run.rows("select count(*) from identities") == [(0,)]
    assert run.rows("select status, records_read from ingest_files") == [("failed", 0)]


def test_yaml_cut_off_keeps_the_documents_before_it(attack):
    run = attack(HOSTILE / "sandbox_truncated.yaml")

    assert run.rows("select sandbox_id from sandboxes") == [("sbx-a",)]
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("document 2", None)
    assert reason.startswith("YAML does not parse at line 8")


def test_yaml_values_of_the_wrong_type_reject_their_document(attack):
    run = attack(HOSTILE / "sandbox_wrong_types.yaml")

    assert run.rows("select sandbox_id from sandboxes") == [("sbx-d",)]
    assert [(pos, field) for _, pos, field, _ in run.rejections()] == [
        ("document 1", "egress.allow"),
        ("document 2", "sandbox_id"),
        ("document 3", "agents"),
    ]


def test_an_infinite_incident_year_rejects_the_incident_not_the_run(attack):
    run = attack(HOSTILE / "veris_overflowing_year.jsonl")

    assert run.rows("select breach_id from breaches") == [("veris:hostile-3",)]
    assert [(pos, field) for _, pos, field, _ in run.rejections()] == [
        ("line 1", "timeline.incident"),
        ("line 2", "timeline.incident"),
    ]
    assert "infinity" in run.rejections()[0][3]


def test_names_of_the_wrong_type_in_authorization_details_reject_the_principal(attack):
    run = attack(HOSTILE / "authorization_details_unhashable_names.json")

    [result] = run.results
    assert (result.read, result.loaded, result.rejected) == (1, 0, 1)
    [(_, position, field, reason)] = run.rejections()
    assert (position, field) == ("UserDetailList[0]", "GroupList")
    assert reason == "expected group names, found a JSON list"


def test_empty_and_blank_files_fail_with_the_reason_unless_their_kind_is_named(attack):
    paths = [HOSTILE / "empty.json", HOSTILE / "empty.csv", HOSTILE / "whitespace_only.jsonl"]

    detected = attack(*paths)
    assert all(r.failed and "the file is empty" in r.error for r in detected.results)

    named = ingest_paths([str(p) for p in paths[::2]], db=detected.db, kind="gitleaks")
    assert [(r.status, r.read) for r in named] == [("loaded", 0), ("loaded", 0)]


def test_two_files_of_the_same_content_that_fail_are_both_reported(tmp_path, attack):
    # Both empty: one content, so one row in ingest_files; neither may break the other's
    # landing or the good file's.
    (tmp_path / "a.json").write_text("")
    (tmp_path / "b.json").write_text("")
    (tmp_path / "c.json").write_bytes((HOSTILE / "cloudtrail_bom.json").read_bytes())

    run = attack(tmp_path)

    assert [(r.path.name, r.status) for r in run.results] == [
        ("a.json", "failed"),
        ("b.json", "failed"),
        ("c.json", "loaded"),
    ]
    assert run.err.count("FAILED") == 2
    assert run.rows("select status, count(*) from ingest_files group by 1 order by 1") == [
        ("failed", 1),
        ("loaded", 1),
    ]


def test_a_folder_mixing_kinds_loads_each_file_by_its_own_kind(attack):
    run = attack(HOSTILE / "mixed")

    assert [(r.path.name, r.kind, r.status, r.loaded, r.rejected) for r in run.results] == [
        (
            "111122223333_CloudTrail-Digest_eu-west-1_20261101T1000Z.json",
            None,
            "passed_over",
            0,
            0,
        ),
        ("cloudtrail.json", "cloudtrail", "loaded", 2, 0),
        ("gateway.jsonl", "agent-gateway", "loaded", 1, 1),
        ("identities.csv", "inventory-csv", "loaded", 1, 1),
        ("notes.json", None, "failed", 0, 0),
        ("sandbox.yaml", "sandbox-policy", "loaded", 1, 0),
    ]
    assert run.code == 1 and "FAILED" in run.err and "notes.json" in run.err
    assert [(name, pos, field) for name, pos, field, _ in run.rejections()] == [
        ("gateway.jsonl", "line 2", None),
        ("identities.csv", "line 3", "kind"),
    ]


def test_a_symlink_loop_fails_its_links_and_loads_the_rest_of_the_folder(tmp_path, attack):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "self").symlink_to(folder)
    (folder / "a.json").symlink_to(folder / "b.json")
    (folder / "b.json").symlink_to(folder / "a.json")
    (folder / "real.json").write_bytes((HOSTILE / "cloudtrail_bom.json").read_bytes())

    run = attack(folder)

    assert [(r.path.name, r.status) for r in run.results] == [
        ("a.json", "failed"),
        ("b.json", "failed"),
        ("real.json", "loaded"),
    ]
    assert "symbolic link that leads back to itself" in run.results[0].error
    assert run.rows("select count(*) from events") == [(2,)]


def test_a_gzip_of_garbage_fails_nothing_else(tmp_path, attack):
    garbage = tmp_path / "noise.json.gz"
    garbage.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    good = tmp_path / "good.json.gz"
    good.write_bytes(gzip.compress((HOSTILE / "cloudtrail_bom.json").read_bytes()))

    run = attack(garbage, good)

    noise, loaded = run.results
    assert noise.failed and "cannot tell the kind" in noise.error
    assert (loaded.kind, loaded.loaded) == ("cloudtrail", 2)


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)
