"""A report run on a small warehouse: pages, offline HTML, failures kept apart, metrics.

One run (module scope) executes the data-overview notebook and a notebook that raises,
from a notebook folder of the test's own; the slow tests read what it wrote.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from plotly.offline import get_plotlyjs

from analytics.config import NOTEBOOK_DIR
from analytics.ingest import ingest_paths
from analytics.report import run_report, select_notebooks

OVERVIEW = "00_data_overview"
BROKEN = "50_broken"
BROKEN_MESSAGE = "<b>no such table</b> & friends"
AS_OF = "2026-02-05T08:00:00Z"


def _trail() -> dict[str, object]:
    return {
        "Records": [
            {
                "eventTime": f"2026-02-{day:02d}T08:00:00Z",
                "eventSource": "sts.amazonaws.com",
                "eventName": "GetCallerIdentity",
                "eventID": f"evt-{day}",
                "recipientAccountId": "111122223333",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ci"},
            }
            for day in (1, 2, 5)
        ]
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The result of a report over the overview notebook and a broken one."""
    root = tmp_path_factory.mktemp("report")
    (root / "trail.json").write_text(json.dumps(_trail()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "test-key-0123456789abcdef")
        ingest_paths([str(root / "trail.json")], db=root / "warehouse.duckdb")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOK_DIR / f"{OVERVIEW}.ipynb", notebooks)
    broken = new_notebook(
        cells=[
            new_code_cell("db = None\nas_of = None", metadata={"tags": ["parameters"]}),
            new_code_cell(f"raise RuntimeError({BROKEN_MESSAGE!r})"),
        ]
    )
    nbformat.write(broken, notebooks / f"{BROKEN}.ipynb")
    return run_report(
        root / "warehouse.duckdb",
        root / "reports",
        as_of=AS_OF,
        quiet=True,
        run_id="test-run",
        notebook_dir=notebooks,
    )


def _page(run, name: str) -> str:
    return (run.run_dir / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_index_links_every_rendered_page_with_its_status(run):
    index = run.index.read_text(encoding="utf-8")

    assert f'<a href="{OVERVIEW}.html">Data overview</a>' in index
    assert '<td class="rendered">rendered</td>' in index
    assert "2026-02-05 08:00:00 UTC" in index
    assert "<script" not in index


@pytest.mark.slow
def test_pages_load_nothing_from_the_network_and_embed_plotly_once(run):
    page = _page(run, OVERVIEW)

    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//", page, re.IGNORECASE)
    assert "mathjax" not in page.lower().split("</head>")[0]
    assert page.count(get_plotlyjs()[:400]) == 1
    assert page.index(get_plotlyjs()[:400]) < page.index("Plotly.newPlot")
    assert page.count("Plotly.newPlot") == 2
    assert '"showSendToCloud": false' in page


@pytest.mark.slow
def test_pages_show_outputs_but_no_code(run):
    page = _page(run, OVERVIEW)
    notebook = nbformat.read(NOTEBOOK_DIR / f"{OVERVIEW}.ipynb", as_version=4)

    for cell in notebook.cells:
        if cell.cell_type == "code":
            # Short lines (")", "loaded,") also occur in prose; longer ones are code only.
            for line in map(str.strip, cell.source.splitlines()):
                assert len(line) < 12 or line not in page, line
    assert "Records read per source kind" in page
    assert "Period: 2026-02-01 to 2026-02-05 (UTC)" in page


@pytest.mark.slow
def test_a_failing_notebook_is_marked_failed_and_the_others_still_render(run):
    index = run.index.read_text(encoding="utf-8")

    assert not run.ok
    assert [page.notebook for page in run.failed] == [f"{BROKEN}.ipynb"]
    assert '<td class="failed">failed</td>' in index
    assert "RuntimeError: &lt;b&gt;no such table&lt;/b&gt; &amp; friends" in index
    assert BROKEN_MESSAGE not in index
    assert (run.run_dir / f"{BROKEN}.ipynb").exists()
    assert not (run.run_dir / f"{BROKEN}.html").exists()
    assert (run.run_dir / f"{OVERVIEW}.html").exists()


@pytest.mark.slow
def test_every_notebook_gets_the_same_as_of_and_the_metrics_state_it(run):
    metrics = json.loads((run.run_dir / "metrics.json").read_text(encoding="utf-8"))
    executed = nbformat.read(run.run_dir / f"{OVERVIEW}.ipynb", as_version=4)
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.tags)

    assert metrics["as_of"] == run.as_of.isoformat() == "2026-02-05T08:00:00+00:00"
    assert metrics["activity.events_total"] == 3
    assert f'as_of = "{run.as_of.isoformat()}"' in injected.source


def test_notebooks_are_chosen_by_name_with_or_without_number_and_suffix(tmp_path):
    for name in ("00_data_overview.ipynb", "10_usage.ipynb", "scratch.ipynb"):
        nbformat.write(new_notebook(), tmp_path / name)

    assert [p.name for p in select_notebooks(tmp_path)] == [
        "00_data_overview.ipynb",
        "10_usage.ipynb",
    ]
    for names in (["data_overview"], ["00_data_overview"], ["00_data_overview.ipynb"]):
        assert [p.name for p in select_notebooks(tmp_path, names)] == ["00_data_overview.ipynb"]
    with pytest.raises(ValueError, match=r"no notebook named nope .*00_data_overview, 10_usage"):
        select_notebooks(tmp_path, ["nope"])


def test_a_run_id_must_be_a_plain_folder_name(tmp_path):
    with pytest.raises(ValueError, match="not a plain folder name"):
        run_report(tmp_path / "absent.duckdb", tmp_path, run_id="../escape")


def test_the_repository_notebooks_are_committed_without_outputs():
    for path in select_notebooks(NOTEBOOK_DIR):
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        assert any("parameters" in c.metadata.get("tags", []) for c in code), path.name
