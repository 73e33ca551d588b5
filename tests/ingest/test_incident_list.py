"""Curated incident lists (JSON lines): incidents load, the other tables are named and kept out."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_table_rows_and_notes_load_and_actor_and_disclosure_tables_are_rejected(real, load, query):
    folder = real / "breach_incident_lists"
    table = _lines(folder / "ramimac_aws_customer_security_incidents.jsonl")
    notes = _lines(folder / "bradlarsen_notes_on_secrets.jsonl")
    by_file = Counter(row["source_file"] for row in table)

    results = load(folder)

    assert sum(r.read for r in results) == len(table) + len(notes)
    assert sum(r.loaded for r in results) == (
        by_file["README.md"] + by_file["KEYLEAKS.md"] + len(notes)
    )
    assert dict(query("select field, count(*) from rejected_records group by 1")) == {
        "source_file": by_file["ACTORS.md"] + by_file["DISCLOSURE.md"]
    }
    uber = next(r for r in table if r["row"].get("Name") == "Uber" and "2014" in r["row"]["Date"])
    assert query(
        "select disclosed_on, date_precision, source_url from breaches where name = 'Uber' "
        "and disclosed_on < date '2015-01-01'"
    ) == [(date(2014, 5, 1), "month", uber["urls"][0])]
    assert query(
        "select count(*) from breaches where date_precision = 'day' and source_kind = "
        "'incident-list'"
    ) == [(len(notes),)]


def test_a_row_whose_date_cannot_be_read_is_rejected_with_the_cell(tmp_path, load, query):
    path = tmp_path / "list.jsonl"
    rows = [
        {"source_file": "README.md", "row": {"Name": "Acme", "Date": "2021, Sept"}, "urls": []},
        {"source_file": "README.md", "row": {"Name": "Initech", "Date": "soon"}, "urls": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    (result,) = load(path)

    assert (result.kind, result.loaded, result.rejected) == ("incident-list", 1, 1)
    assert query("select disclosed_on from breaches") == [(date(2021, 9, 1),)]
    assert query("select field, reason from rejected_records") == [
        ("row.Date", "expected a date such as 2023-08-14 or 2023, August, found 'soon'")
    ]
