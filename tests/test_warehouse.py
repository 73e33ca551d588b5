"""The schema and its documentation agree, and the schema applies to an empty file."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main
from analytics.errors import WarehouseOutdatedError
from analytics.warehouse import connect, sql_text

DOC = Path(__file__).resolve().parents[1] / "docs" / "warehouse.md"


def test_every_column_of_every_table_is_documented(tmp_path):
    con = connect(tmp_path / "w.duckdb", read_only=False)
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main' and table_name in "
        "(select table_name from information_schema.tables where table_type = 'BASE TABLE')"
    ).fetchall()
    con.close()
    sections: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = set()
        elif current and (match := re.match(r"\| `([a-z0-9_]+)` \|", line)):
            sections[current].add(match.group(1))

    missing = sorted(f"{t}.{c}" for t, c in columns if c not in sections.get(t, set()))

    assert missing == []
    assert {t for t, _ in columns} == set(sections)


def test_opening_for_writing_twice_keeps_the_schema_and_data(tmp_path):
    path = tmp_path / "w.duckdb"
    con = connect(path, read_only=False)
    con.execute("insert into breaches (breach_id, name) values ('b1', 'x')")
    con.close()

    con = connect(path, read_only=False)
    assert con.execute("select count(*) from breaches").fetchall() == [(1,)]
    con.close()


def test_a_warehouse_of_an_older_release_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    older = sql_text("schema").replace(
        "    revoked_at timestamptz,\n    source_kind", "    source_kind"
    )
    older = older.replace("    secret_hash_id varchar,\n", "")
    assert older.count("revoked_at") < sql_text("schema").count("revoked_at")
    old = duckdb.connect(str(path))
    old.execute(older)
    old.close()

    con = connect(path, read_only=False)
    columns = {
        (t, c)
        for t, c in con.execute(
            "select table_name, column_name from information_schema.columns"
        ).fetchall()
    }
    con.execute("select secret_hash_id from secret_findings_current").fetchall()
    con.close()

    assert {("secret_findings", "secret_hash_id"), ("credentials", "revoked_at")} <= columns


def _before_daily_usage(path: Path) -> None:
    """A warehouse of the release before the scale work, holding two events: events kept a
    stored content hash under a primary key, and there was no usage_daily table."""
    schema = sql_text("schema")
    start = schema.index("-- Audit-log usage per UTC day")
    end = schema.index("-- The newest observation of each identity")
    older = (schema[:start] + schema[end:]).replace(
        "    file_id bigint not null,\n    grant_id varchar\n",
        "    content_sha256 varchar not null,\n    file_id bigint not null,\n"
        "    grant_id varchar,\n    primary key (source_kind, event_id)\n",
    )
    assert "content_sha256 varchar not null,\n    file_id" in older
    old = duckdb.connect(str(path))
    old.execute(older)
    old.execute(
        "insert into events (event_id, source_kind, event_time, event_name, action, outcome, "
        "identity_id, content_sha256, file_id) values "
        "('e1', 'cloudtrail', '2026-11-20 10:00:00+00', 'GetObject', 's3:GetObject', "
        "'success', 'arn:aws:iam::111122223333:role/ci', 'old-hash', 1), "
        "('e2', 'cloudtrail', '2026-11-20 11:30:00+00', 'GetObject', 's3:GetObject', "
        "'success', 'arn:aws:iam::111122223333:role/ci', 'old-hash', 1)"
    )
    old.close()


def test_a_warehouse_from_before_daily_usage_gets_it_and_loses_the_stored_hash(tmp_path):
    path = tmp_path / "old.duckdb"
    _before_daily_usage(path)

    con = connect(path, read_only=False)
    columns = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'events'"
        ).fetchall()
    }
    usage = con.execute(
        "select day, identity_id, action, calls, origin from usage_daily"
    ).fetchall()
    con.close()

    assert "content_sha256" not in columns
    assert [(str(d), i, a, n, o) for d, i, a, n, o in usage] == [
        ("2026-11-20", "arn:aws:iam::111122223333:role/ci", "s3:GetObject", 2, "warehouse")
    ]


def test_a_reader_of_an_older_warehouse_is_told_how_to_upgrade_it(tmp_path, capsys):
    # A reader cannot add what is missing, and without a word it would fail on the first
    # query that reads usage_daily.
    path = tmp_path / "old.duckdb"
    _before_daily_usage(path)
    # The tables that release lacked, and their columns, counted from the schema's text.
    schema = sql_text("schema")
    lacked = {
        table: len(re.findall(r"^    [a-z_]+ [a-z]", body.split(");")[0], re.MULTILINE))
        for table, body in re.findall(
            r"create table if not exists ([a-z_]+) \((.*?)\);",
            schema[
                schema.index("-- Audit-log usage per UTC day") : schema.index(
                    "-- The newest observation of each identity"
                )
            ],
            re.DOTALL,
        )
    }
    assert set(lacked) == {"usage_daily", "aggregate_runs"}

    with pytest.raises(WarehouseOutdatedError) as raised:
        connect(path, read_only=True)
    message = str(raised.value)
    assert (
        f"lacks {sum(lacked.values())} column(s) of this one, in aggregate_runs, usage_daily"
        in message
    )
    assert f"`nhi-risk aggregate --db {path}`" in message

    assert main(["metrics", "--db", str(path)]) == 2
    assert "earlier release of nhi-risk" in capsys.readouterr().err

    assert main(["aggregate", "--db", str(path)]) == 0
    con = connect(path, read_only=True)
    assert con.execute("select sum(calls) from usage_daily").fetchall() == [(2,)]
    con.close()
