"""The framework-mapping notebook under papermill, on the hand-counted privilege world."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from analytics.config import NOTEBOOK_DIR
from analytics.report import ensure_kernel
from tests.metrics import test_privilege as world
from tests.test_ttr_notebook import _figures, _html, _values

NOTEBOOK = NOTEBOOK_DIR / "40_framework_mapping.ipynb"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("framework-notebook")
    db = world.build_warehouse(root)
    out = root / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"db": str(db), "as_of": world.AS_OF.isoformat()},
        kernel_name=ensure_kernel(),
        progress_bar=False,
        cwd=str(NOTEBOOK_DIR),
        language="python",
    )
    return nbformat.read(out, as_version=4)


def test_the_heatmap_cell_holds_what_the_check_found(executed) -> None:
    title = (
        "OWASP Top 10 Non-Human Identities Risks 2025: controls by the checks that evidence them"
    )
    heatmap = _figures(executed)[title].data[0]
    row = list(heatmap.y).index("NHI10:2025")
    column = list(heatmap.x).index("nhi_human_use")
    shares = _values(heatmap.z)  # row-major, one row per control
    # svc-b's console sign-in: 1 of the 4 identities seen acting.
    assert list(heatmap.text[row])[column] == "1 of 4"
    assert shares[row * len(heatmap.x) + column] == pytest.approx(0.25)
    assert list(heatmap.y)[:3] == ["NHI1:2025", "NHI2:2025", "NHI3:2025"]  # unmapped rows too


def test_the_page_shows_every_framework_and_the_aliases(executed) -> None:
    page = _html(executed)
    for name in (
        "OWASP Top 10 for Agentic Applications 2026",
        "NIST SP 800-207 Zero Trust Architecture",
        "NIST Cybersecurity Framework 2.0",
        "CIS Critical Security Controls v8",
    ):
        assert f"{name}: status of each control" in page
    assert "PR.AC-4" in page and "AAI001" in page
