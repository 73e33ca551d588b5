"""Inventory CSVs: the four documented shapes, row-level rejection, header errors."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "inventory-csv"


def test_each_inventory_file_is_detected_and_loaded_into_its_table(load, query):
    results = {r.path.name: r for r in load(DATA)}

    assert {name: r.kind for name, r in results.items()} == dict.fromkeys(
        ["credentials.csv", "directory.csv", "grants.csv", "identities.csv"], "inventory-csv"
    )
    counts = {name: (r.read, r.loaded, r.rejected, r.duplicate) for name, r in results.items()}
    assert counts == {
        "identities.csv": (4, 3, 1, 0),  # "robot" is not a kind
        "credentials.csv": (4, 3, 1, 0),  # "last tuesday" is not a time
        "grants.csv": (4, 3, 0, 1),  # g-3 twice in the same file
        "directory.csv": (3, 3, 0, 0),
    }
    assert query("select count(*) from identities where kind = 'human'") == [(3,)]
    assert query("select status from identities where identity_id = 'p-002'") == [("left",)]


def test_rejected_rows_name_line_field_and_expectation(load, query):
    load(DATA)

    rows = query("select path, position, field, reason from rejected_records order by path")

    assert [(Path(r[0]).name, r[1], r[2]) for r in rows] == [
        ("credentials.csv", "line 5", "created_at"),
        ("identities.csv", "line 5", "kind"),
    ]
    assert "found 'last tuesday'" in rows[0][3]
    assert "ai_agent" in rows[1][3] and "'robot'" in rows[1][3]


def test_jit_grants_keep_task_expiry_and_type(load, query):
    load(DATA / "grants.csv")

    rows = query(
        "select grant_id, grant_type, task_id, cast(expires_at as varchar) "
        "from grants order by grant_id"
    )

    assert rows == [
        ("g-1", "standing", None, None),
        ("g-2", "jit", "TASK-17", "2026-11-29 10:00:00+00"),
        ("g-3", "jit", "TASK-18", None),
    ]


def test_times_with_offsets_and_bare_dates_are_normalised_to_utc(load, query):
    load(DATA / "identities.csv")

    rows = dict(query("select identity_id, cast(created_at as varchar) from identities"))

    assert rows["agent-support-triage"] == "2026-09-01 10:00:00+00"
    assert rows["svc-billing-export"] == "2023-06-15 00:00:00+00"


def test_a_header_that_fits_no_shape_fails_the_file_and_names_the_columns(tmp_path, load):
    path = tmp_path / "owners.csv"
    path.write_text("owner,service\nada,billing\n")

    [result] = load(path, kind="inventory-csv")

    assert result.failed
    assert "identity_id, kind" in result.error and "docs/inventory-csv.md" in result.error


def test_a_row_with_too_many_cells_is_rejected_not_cut(tmp_path, load, query):
    path = tmp_path / "people.csv"
    path.write_text("person_id,employment_status\np-9,active\np-10,left,extra\n")

    [result] = load(path)

    assert (result.loaded, result.rejected) == (1, 1)
    assert query("select position from rejected_records") == [("line 3",)]
