"""The privilege notebook under papermill: the hand-counted world of the privilege tests, and
a warehouse with an audit log only, where every section must still say what it shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from analytics.ingest import ingest_paths
from tests.metrics import test_privilege as world
from tests.notebooks import figures, html_of, run_notebook, values

NOTEBOOK = "20_privilege_drift"
pytestmark = pytest.mark.slow


def _execute(db: Path, out: Path, **parameters: object) -> nbformat.NotebookNode:
    as_of = world.AS_OF.isoformat()
    return run_notebook(NOTEBOOK, out, db=str(db), as_of=as_of, **parameters)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("privilege-notebook")
    db = world.build_warehouse(root)
    return _execute(db, root / "out.ipynb", identity=world.SVC_B)


def test_granted_versus_used_bars_hold_the_hand_counts(executed) -> None:
    figure = figures(executed)["Granted actions used and unused, per identity"]
    used, unused = figure.data
    bars = {
        label: (u, n) for label, u, n in zip(used.y, values(used.x), values(unused.x), strict=True)
    }
    assert bars == {"svc-a": (2, 2), "svc-b": (2, 7), "role-c": (2, 0), "svc-d": (1, 0)}


def test_drift_bars_count_gained_and_lost_patterns(executed) -> None:
    figure = figures(executed)["Privilege drift between authorization-details snapshots"]
    gained, lost = figure.data
    assert list(gained.x) == ["2025-11-01 → 2026-01-15"]
    assert values(gained.y) == [2] and values(lost.y) == [-1]


def test_every_figure_states_period_population_and_source(executed) -> None:
    for title, figure in figures(executed).items():
        subtitle = figure.layout.title.subtitle.text
        assert "Period:" in subtitle and "Population:" in subtitle, title
        assert "Source:" in subtitle, title


def test_the_profiled_identity_and_the_failing_checks_are_shown(executed) -> None:
    page = html_of(executed)
    assert world.SVC_B in page
    assert "svc-b may do anything in its account" in page
    assert "Failing: Non-human identity used interactively" in page


def test_a_warehouse_with_only_an_audit_log_says_what_is_missing(tmp_path: Path) -> None:
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": world._events()}), encoding="utf-8")
    db = tmp_path / "warehouse.duckdb"
    ingest_paths([str(trail)], db=db)
    notebook = _execute(db, tmp_path / "out.ipynb")
    page = html_of(notebook)
    assert "no identity with standing grants" in page
    assert "fewer than two snapshots of an account" in page
    assert "no active credential" in page
