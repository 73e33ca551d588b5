"""The framework-mapping notebook under papermill, on the hand-counted privilege world."""

from __future__ import annotations

import nbformat
import pytest

from tests.metrics import test_privilege as world
from tests.notebooks import figures, html_of, run_notebook, values

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("framework-notebook")
    db = world.build_warehouse(root)
    out = root / "out.ipynb"
    return run_notebook("40_framework_mapping", out, db=str(db), as_of=world.AS_OF.isoformat())


def test_the_heatmap_cell_holds_what_the_check_found(executed) -> None:
    title = (
        "OWASP Top 10 Non-Human Identities Risks 2025: controls by the checks that evidence them"
    )
    heatmap = figures(executed)[title].data[0]
    row = list(heatmap.y).index("NHI10:2025")
    column = list(heatmap.x).index("nhi_human_use")
    shares = values(heatmap.z)  # row-major, one row per control
    # svc-b's console sign-in: 1 of the 4 identities seen acting.
    assert list(heatmap.text[row])[column] == "1 of 4"
    assert shares[row * len(heatmap.x) + column] == pytest.approx(0.25)
    assert list(heatmap.y)[:3] == ["NHI1:2025", "NHI2:2025", "NHI3:2025"]  # unmapped rows too


def test_the_page_shows_every_framework_and_the_aliases(executed) -> None:
    page = html_of(executed)
    for name in (
        "OWASP Top 10 for Agentic Applications 2026",
        "NIST SP 800-207 Zero Trust Architecture",
        "NIST Cybersecurity Framework 2.0",
        "CIS Critical Security Controls v8",
    ):
        assert f"{name}: status of each control" in page
    assert "PR.AC-4" in page and "AAI001" in page
