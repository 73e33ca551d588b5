"""Two report runs in a row on the default demo: the second summary shows the trend from the
first, each arrow the sign of the change between the two runs' metrics.json."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil

import duckdb
import pytest

from analytics.metrics.summary import HEADLINES
from analytics.report import SUMMARY_NOTEBOOK, SUMMARY_PAGE, run_report
from tests.notebooks import html_of, run_notebook

FIRST_AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def runs(default_demo, tmp_path_factory):
    """The summary run twice on a copy of the default demo: as of 31 October, then as of
    the newest time in the data (30 November)."""
    root = tmp_path_factory.mktemp("summary")
    db = root / "w.duckdb"
    shutil.copy(default_demo["db"], db)
    out = root / "reports"
    first = run_report(
        db, out, as_of=FIRST_AS_OF, notebooks=[SUMMARY_NOTEBOOK], quiet=True, run_id="first"
    )
    second = run_report(db, out, notebooks=[SUMMARY_NOTEBOOK], quiet=True, run_id="second")
    return {"db": db, "first": first, "second": second, "demo": default_demo}


def _metrics(run) -> dict[str, object]:
    return json.loads((run.run_dir / "metrics.json").read_text())


def _tiles(run) -> dict[str, str]:
    page = (run.run_dir / SUMMARY_PAGE).read_text(encoding="utf-8")
    tiles = {}
    for attributes in re.findall(r'<div class="nhi-tile"([^>]*)>', page):
        found = dict(re.findall(r'data-(metric|direction)="([^"]*)"', attributes))
        tiles[found["metric"]] = found["direction"]
    return tiles


@pytest.mark.slow
def test_the_second_summary_shows_each_trend_from_the_first(runs):
    before, now = _metrics(runs["first"]), _metrics(runs["second"])

    expected = {}
    for item in HEADLINES:
        old, new = before[item.metric], now[item.metric]
        if old is None or new is None:
            expected[item.metric] = "new"
        else:
            expected[item.metric] = "up" if new > old else "down" if new < old else "same"
    assert runs["first"].ok and runs["second"].ok
    assert _tiles(runs["second"]) == expected
    assert {"up", "down"} & set(expected.values())  # the demo's month does move something
    assert "▲" in (runs["second"].run_dir / SUMMARY_PAGE).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_first_summary_says_it_has_nothing_to_compare_with(runs):
    page = (runs["first"].run_dir / SUMMARY_PAGE).read_text(encoding="utf-8")

    assert set(_tiles(runs["first"]).values()) == {"new"}
    assert "No earlier report run on this warehouse" in page
    second = (runs["second"].run_dir / SUMMARY_PAGE).read_text(encoding="utf-8")
    assert "compare with the previous report run, first (as of 2026-10-31)" in second


@pytest.mark.slow
def test_the_summary_page_has_no_code_no_script_and_states_its_as_of(runs):
    page = (runs["second"].run_dir / SUMMARY_PAGE).read_text(encoding="utf-8")

    assert "<script" not in page.lower()
    assert "summary.build" not in page and "setup_notebook" not in page
    assert "As of 2026-11-30 00:00 UTC: 300 non-human identities" in page
    assert page.count('class="nhi-tile"') == len(HEADLINES)
    assert len(page.encode()) < 5 * 1024 * 1024


@pytest.mark.slow
def test_each_run_appends_its_numbers_to_metric_history(runs):
    con = duckdb.connect(str(runs["db"]), read_only=True)
    recorded = dict(
        con.execute("select metric, value from metric_history where run_id = 'second'").fetchall()
    )
    runs_seen = con.execute("select distinct run_id from metric_history order by 1").fetchall()

    numbers = {
        name: value
        for name, value in _metrics(runs["second"]).items()
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    }
    assert runs_seen == [("first",), ("second",)]
    assert recorded.keys() == numbers.keys()
    for name, value in numbers.items():
        assert recorded[name] == pytest.approx(value, nan_ok=True), name


@pytest.mark.slow
def test_a_run_records_its_parameters_and_the_hash_of_every_ingested_file(runs):
    run = runs["second"]
    record = json.loads((run.run_dir / "run.json").read_text())
    with (run.run_dir / "inputs.csv").open(newline="") as handle:
        inputs = {row["path"]: row for row in csv.DictReader(handle)}

    assert record["parameters"] == {
        f"{SUMMARY_NOTEBOOK}.ipynb": {
            "db": str(runs["db"].resolve()),
            "as_of": "2026-11-30T00:00:00+00:00",
            "run_id": "second",
        }
    }
    assert record["pages"][0]["status"] == "rendered"
    sources = sorted(
        p for p in (runs["demo"]["root"] / "demo" / "sources").rglob("*") if p.is_file()
    )
    digests = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sources}
    loaded = {path: row["content_sha256"] for path, row in inputs.items() if path in digests}
    assert record["ingested_files"]["count"] == len(inputs)
    assert loaded == {path: digest for path, digest in digests.items() if path in inputs}
    assert len(loaded) > 2000


@pytest.mark.slow
def test_opened_in_jupyterlab_the_summary_computes_its_numbers_and_compares_with_the_last_run(
    runs, tmp_path, monkeypatch
):
    monkeypatch.setenv("NHI_RISK_DB", str(runs["db"]))

    executed = run_notebook(SUMMARY_NOTEBOOK, tmp_path / "summary.ipynb")

    page = html_of(executed)
    assert executed.metadata["papermill"]["parameters"] == {}
    assert "Report run none (computed when opened)" in page
    # Its default as-of is the newest time in the data, the as-of of the run "second".
    assert "compare with the previous report run, second (as of 2026-11-30)" in page
    assert 'data-direction="same"' in page and 'data-direction="up"' not in page
