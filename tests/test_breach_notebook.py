"""The breach-landscape notebook under papermill: the catalogue beside the privilege world."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from analytics.ingest import ingest_paths
from tests.metrics import test_privilege as world
from tests.notebooks import figures, html_of, run_notebook, values

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "reference" / "nhi_breaches.csv"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("breach-notebook")
    db = world.build_warehouse(root)
    ingest_paths([str(CATALOGUE)], db=db)
    out = root / "out.ipynb"
    return run_notebook("50_breach_landscape", out, db=str(db), as_of=world.AS_OF.isoformat())


def _disclosed_by_as_of() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["disclosed_on"] <= "2026-03-01"]


def test_incidents_per_year_count_the_catalogue_rows(executed) -> None:
    figure = figures(executed)["Public NHI breaches per year, by credential type"]
    per_year: Counter[str] = Counter()
    for trace in figure.data:
        for year, count in zip(trace.x, values(trace.y), strict=True):
            per_year[year] += count
    expected = Counter(r["disclosed_on"][:4] for r in _disclosed_by_as_of())
    assert per_year == expected


def test_risk_bars_count_each_incident_once_per_risk(executed) -> None:
    figure = figures(executed)["OWASP NHI risks shown by public breaches"]
    bars = dict(zip(figure.data[0].y, values(figure.data[0].x), strict=True))
    expected = Counter(risk for r in _disclosed_by_as_of() for risk in r["owasp_nhi"].split(";"))
    assert {label.split(" ")[0]: count for label, count in bars.items()} == expected


def test_the_lookalike_table_is_shown(executed) -> None:
    assert "Public breaches and the subjects here that fail the checks for their risks" in html_of(
        executed
    )
