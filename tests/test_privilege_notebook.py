"""The privilege notebook under papermill: the hand-counted world of the privilege tests, and
a warehouse with an audit log only, where every section must still say what it shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from analytics.config import NOTEBOOK_DIR
from analytics.ingest import ingest_paths
from analytics.report import ensure_kernel
from tests.metrics import test_privilege as world
from tests.test_ttr_notebook import _figures, _html, _values

NOTEBOOK = NOTEBOOK_DIR / "20_privilege_drift.ipynb"
pytestmark = pytest.mark.slow


def _execute(db: Path, out: Path, **parameters: object) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"db": str(db), "as_of": world.AS_OF.isoformat(), **parameters},
        kernel_name=ensure_kernel(),
        progress_bar=False,
        cwd=str(NOTEBOOK_DIR),
        language="python",
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("privilege-notebook")
    db = world.build_warehouse(root)
    return _execute(db, root / "out.ipynb", identity=world.SVC_B)


def test_granted_versus_used_bars_hold_the_hand_counts(executed) -> None:
    figure = _figures(executed)["Granted actions used and unused, per identity"]
    used, unused = figure.data
    bars = {
        label: (u, n)
        for label, u, n in zip(used.y, _values(used.x), _values(unused.x), strict=True)
    }
    assert bars == {"svc-a": (2, 2), "svc-b": (2, 7), "role-c": (2, 0), "svc-d": (1, 0)}


def test_drift_bars_count_gained_and_lost_patterns(executed) -> None:
    figure = _figures(executed)["Privilege drift between authorization-details snapshots"]
    gained, lost = figure.data
    assert list(gained.x) == ["2025-11-01 → 2026-01-15"]
    assert _values(gained.y) == [2] and _values(lost.y) == [-1]


def test_every_figure_states_period_population_and_source(executed) -> None:
    for title, figure in _figures(executed).items():
        subtitle = figure.layout.title.subtitle.text
        assert "Period:" in subtitle and "Population:" in subtitle, title
        assert "Source:" in subtitle, title


def test_the_profiled_identity_and_the_failing_checks_are_shown(executed) -> None:
    page = _html(executed)
    assert world.SVC_B in page
    assert "svc-b may do anything in its account" in page
    assert "Failing: Non-human identity used interactively" in page


def test_a_warehouse_with_only_an_audit_log_says_what_is_missing(tmp_path: Path) -> None:
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": world._events()}), encoding="utf-8")
    db = tmp_path / "warehouse.duckdb"
    ingest_paths([str(trail)], db=db)
    notebook = _execute(db, tmp_path / "out.ipynb")
    page = _html(notebook)
    assert "no identity with standing grants" in page
    assert "fewer than two snapshots of an account" in page
    assert "no active credential" in page
