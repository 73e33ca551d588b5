"""The time-to-remediate notebook under papermill: a small demo warehouse, and one without leaks.

Two runs (module scope), about 8 s each: the demo at its small scale, whose figures are
compared with the library's own numbers, and a warehouse holding only an audit log, where
every section must say in a sentence that there is nothing to show.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from analytics.charts.ttr import detection_period
from analytics.config import NOTEBOOK_DIR
from analytics.demo import write_demo
from analytics.ingest import ingest_paths
from analytics.metrics import resolve_as_of, ttr
from analytics.report import select_notebooks
from analytics.warehouse import connect
from tests.notebooks import figures, html_of, run_notebook, values

NOTEBOOK = NOTEBOOK_DIR / "10_time_to_remediate.ipynb"
SURVIVAL_TITLE = "Share of leaked secrets still exposed, by days since detection"
FINGERPRINT_KEY = "test-key-0123456789abcdef"


def _execute(db: Path, out: Path) -> nbformat.NotebookNode:
    return run_notebook(NOTEBOOK.stem, out, db=str(db))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The executed notebook on the small demo, and the warehouse it read."""
    root = tmp_path_factory.mktemp("ttr-demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", FINGERPRINT_KEY)
        write_demo(root / "demo", scale="small")
        ingest_paths([str(root / "demo" / "sources")], db=root / "warehouse.duckdb")
    return _execute(root / "warehouse.duckdb", root / "out.ipynb"), root / "warehouse.duckdb"


@pytest.fixture(scope="module")
def no_leaks(tmp_path_factory):
    """The executed notebook on a warehouse with one audit event and no leak finding."""
    root = tmp_path_factory.mktemp("ttr-empty")
    trail = {
        "Records": [
            {
                "eventTime": "2026-02-01T08:00:00Z",
                "eventSource": "sts.amazonaws.com",
                "eventName": "GetCallerIdentity",
                "eventID": "evt-1",
                "recipientAccountId": "111122223333",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ci"},
            }
        ]
    }
    (root / "trail.json").write_text(json.dumps(trail))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", FINGERPRINT_KEY)
        ingest_paths([str(root / "trail.json")], db=root / "warehouse.duckdb")
    return _execute(root / "warehouse.duckdb", root / "out.ipynb")


@pytest.mark.slow
def test_survival_figure_draws_the_library_curve_with_the_survey_reference(demo):
    notebook, db = demo
    con = connect(db, read_only=True)
    try:
        secrets = ttr.secrets(con, resolve_as_of(con, None))
    finally:
        con.close()
    expected = ttr.curve(secrets).to_frame()

    figure = figures(notebook)[SURVIVAL_TITLE]

    curve = next(t for t in figure.data if t.name == "still exposed (Kaplan-Meier)")
    assert values(curve.x) == pytest.approx(list(expected["time"]))
    assert values(curve.y) == pytest.approx(list(expected["survival"]))
    vertical = [shape.x0 for shape in figure.layout.shapes if shape.x0 == shape.x1]
    assert vertical == [ttr.SURVEY_ESTIMATE_DAYS]
    notes = " ".join(a.text for a in figure.layout.annotations).replace("<br>", " ")
    assert "27 days, a mean self-reported" in notes
    assert "not comparable one-to-one with the Kaplan-Meier median" in notes
    subtitle = figure.layout.title.subtitle.text
    assert f"Population: {len(ttr.population(secrets))} leaked secrets" in subtitle
    assert "Source: secret findings (github-secret-scanning" in subtitle


@pytest.mark.slow
def test_headline_table_states_the_population_the_library_counts(demo):
    notebook, db = demo
    con = connect(db, read_only=True)
    try:
        summary = ttr.summary(ttr.secrets(con, resolve_as_of(con, None)))
    finally:
        con.close()

    page = html_of(notebook)

    for measure, value in (
        ("Leaked secrets in the population", summary["population"]),
        ("Remediated (evidence that the secret stopped working)", summary["remediated"]),
        ("Remediated within 7 days", f"{summary['within_7d']:.0%}"),
    ):
        assert re.search(rf"<td>{re.escape(measure)}</td>\s*<td>{value}</td>", page), measure
    assert "Secret marked revoked while its credential stays active or in use" in page
    assert "hmac-sha256:" not in page


@pytest.mark.slow
def test_a_warehouse_without_leaks_gets_sentences_instead_of_charts(no_leaks):
    page = html_of(no_leaks)

    assert not figures(no_leaks)
    assert "No leaked secret is in the population, so there is no curve to draw." in page
    assert "no SLA share can be estimated" in page
    assert "no monthly trend to draw" in page
    assert "Population: 0 leaked secrets" in page


def test_detection_period_parameters_are_whole_utc_days_with_the_end_included():
    start, end = detection_period("2026-06-01", "2026-06-30")

    assert start == datetime(2026, 6, 1, tzinfo=UTC)
    assert end == datetime(2026, 7, 1, tzinfo=UTC)
    assert detection_period(None, "") == (None, None)
    with pytest.raises(ValueError, match=r"detected_to .* must be later than detected_from"):
        detection_period("2026-06-30", "2026-06-01")
    with pytest.raises(ValueError, match=r"detected_from must be an ISO date .* 'June'"):
        detection_period("June", None)


def test_the_report_runs_the_notebook_after_the_data_overview():
    assert [p.name for p in select_notebooks(NOTEBOOK_DIR)][:2] == [
        "00_data_overview.ipynb",
        "10_time_to_remediate.ipynb",
    ]
