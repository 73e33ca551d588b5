"""Run the notebooks and render a dated report: ``reports/<run-id>/``.

One run resolves the as-of once, so every page and ``metrics.json`` describe the same
instant. Its headline numbers are appended to ``metric_history`` before any notebook
runs, so that the executive summary can compare them with the previous run.

For each notebook (``notebooks/NN_<topic>.ipynb``, in reading order) it executes a copy
with papermill, passing ``db`` and ``as_of`` (and to the executive summary, ``run_id``) as
parameters, keeps the executed ``.ipynb`` and renders it to HTML with code hidden. The
executive summary, ``90_executive_summary``, becomes ``executive_summary.html`` through a
plain template: its displayed HTML only, no code, no script, no notebook styling.

A page works offline: the template drops nbconvert's require.js, MathJax and mermaid CDN
scripts, plotly.js is embedded once by :func:`analytics.charts.setup_notebook`, and a page
that still loads a script from the network is marked failed. A failing notebook does not
stop the others; it is marked failed in ``index.html`` and :attr:`ReportResult.ok` is
false, so the CLI can exit non-zero.

``run.json`` records what reproduces the run: each notebook's papermill parameters and
the package versions; ``inputs.csv`` beside it lists every file ingested into the
warehouse with the SHA-256 of its content. The report computes no metric itself:
``metrics.json`` is :func:`analytics.metrics.headline`.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb
import jinja2
import nbformat
import pandas as pd
import papermill
from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError

from analytics import __version__
from analytics.config import NOTEBOOK_DIR, resolve_db
from analytics.errors import ReportError, UsageError, WarehouseLockedError
from analytics.metrics import headline, history, resolve_as_of
from analytics.warehouse import connect, owner_only

log = logging.getLogger(__name__)

KERNEL_NAME = "nhi-risk"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
RENDERED = "rendered"
FAILED = "failed"
SUMMARY_NOTEBOOK = "90_executive_summary"
SUMMARY_PAGE = "executive_summary.html"
INPUTS_FILE = "inputs.csv"
_VERSIONS = ("duckdb", "pandas", "plotly", "papermill", "nbconvert", "nbformat", "ipykernel")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NOTEBOOK = re.compile(r"\d\d_.+\.ipynb")
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.IGNORECASE
)
# The lab template with its network scripts removed, and a line back to the index.
_PAGE_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
.nhi-nav { padding: 8px 24px; font: 13px var(--jp-ui-font-family); color: #555; }
figure.nhi-table { margin: 0; overflow-x: auto; }
figure.nhi-table figcaption { margin-bottom: 6px; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<nav class="nhi-nav"><a href="index.html">Report index</a> &middot;
as of {{ resources.nhi_as_of | e }} &middot; run {{ resources.nhi_run_id | e }}</nav>
{%- endblock body_header -%}
"""
# The executive summary: the notebook's displayed HTML only, in a page of its own.
_SUMMARY_TEMPLATE = """\
{%- extends 'classic/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ resources.metadata.name | e }}</title>
<style>body { margin: 0; background: #fff; }</style>
</head>
<body>
{%- endblock header -%}
{%- block markdowncell -%}{%- endblock markdowncell -%}
{%- block stream_stdout -%}{%- endblock stream_stdout -%}
{%- block footer -%}
</body>
</html>
{%- endblock footer -%}
"""
_INDEX_CSS = """\
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }
.rendered { color: #1e7b34; font-weight: 600; } .failed { color: #b3261e; font-weight: 600; }
pre { white-space: pre-wrap; margin: 0; font-size: 13px; } .meta { color: #555; }
.lead { font-size: 17px; }
"""


@dataclass(frozen=True)
class PageResult:
    """The outcome of one notebook: ``status`` is ``rendered`` or ``failed``.

    ``html`` and ``ipynb`` are file names inside the run folder; ``html`` is ``None`` for a
    failed page, whose executed notebook is kept for debugging.
    """

    notebook: str
    title: str
    status: str
    seconds: float
    ipynb: str | None = None
    html: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ReportResult:
    """A report run: where it is, what instant it describes, and how each page went."""

    run_id: str
    run_dir: Path
    as_of: datetime
    started_at: datetime
    seconds: float
    pages: tuple[PageResult, ...]

    @property
    def ok(self) -> bool:
        """True when every page rendered."""
        return all(page.status == RENDERED for page in self.pages)

    @property
    def failed(self) -> tuple[PageResult, ...]:
        """The pages that failed."""
        return tuple(page for page in self.pages if page.status == FAILED)

    @property
    def index(self) -> Path:
        """The run's ``index.html``."""
        return self.run_dir / "index.html"


def select_notebooks(notebook_dir: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Return the report notebooks (``NN_<topic>.ipynb``) in reading order.

    Parameters
    ----------
    names
        Keep only these; each may be given with or without ``.ipynb`` and the number
        prefix (``00_data_overview.ipynb``, ``00_data_overview`` or ``data_overview``).

    Raises
    ------
    UsageError
        A name matches no notebook; the message lists the ones there are.
    """
    found = sorted(p for p in notebook_dir.glob("*.ipynb") if _NOTEBOOK.fullmatch(p.name))
    if names is None:
        return found
    wanted = {name.removesuffix(".ipynb") for name in names}
    chosen = [p for p in found if {p.stem, p.stem.split("_", 1)[1]} & wanted]
    known = {p.stem for p in chosen} | {p.stem.split("_", 1)[1] for p in chosen}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(
            f"no notebook named {', '.join(unknown)} in {notebook_dir}; "
            f"choose from: {', '.join(p.stem for p in found) or '(none)'}"
        )
    return chosen


def ensure_kernel() -> str:
    """Make sure the ``nhi-risk`` kernel runs this Python, installing it if need be.

    The kernelspec goes into this environment (``sys.prefix``), so a fresh virtual
    environment works without a manual ``ipykernel install``. Returns the kernel name.

    Raises
    ------
    ReportError
        A kernelspec of that name elsewhere (e.g. the user's own) runs another Python and
        shadows the one installed here.
    """
    if _kernel_python() == sys.executable:
        return KERNEL_NAME
    install_kernelspec(
        kernel_name=KERNEL_NAME, display_name="Python (nhi-risk)", prefix=sys.prefix
    )
    log.info("installed the %s kernel for %s into %s", KERNEL_NAME, sys.executable, sys.prefix)
    found = _kernel_python()
    if found != sys.executable:
        raise ReportError(
            f"the Jupyter kernel {KERNEL_NAME!r} runs {found}, not this Python "
            f"({sys.executable}); remove the other one with `jupyter kernelspec remove "
            f"{KERNEL_NAME}` and run the report again"
        )
    return KERNEL_NAME


def _kernel_python() -> str | None:
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    return spec.argv[0] if spec.argv else None


@owner_only()
def run_report(
    db: str | Path | None = None,
    out_dir: str | Path = "reports",
    as_of: str | datetime | None = None,
    notebooks: Iterable[str] | None = None,
    quiet: bool = False,
    run_id: str | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
) -> ReportResult:
    """Execute the notebooks and write ``<out_dir>/<run-id>/`` with an ``index.html``.

    Parameters
    ----------
    db
        The warehouse; ``None`` resolves ``$NHI_RISK_DB`` or the default path.
    out_dir
        The folder that holds one sub-folder per run.
    as_of
        The instant every page describes (ISO 8601 or datetime); ``None`` is the newest
        time in the data.
    notebooks
        Run only these (see :func:`select_notebooks`); ``None`` runs them all.
    quiet
        Hide papermill's per-cell progress bar (progress is still logged).
    run_id
        The run folder's name; ``None`` is the start time, e.g. ``20261203T193300Z``.
    notebook_dir
        Where the notebooks are; the project's ``notebooks/`` by default.

    Raises
    ------
    WarehouseMissingError, WarehouseLockedError
        The warehouse cannot be opened.
    UsageError
        An unknown notebook name, or a run id that is not a plain folder name.
    FileExistsError
        The run folder exists already.

    The run folder and every file in it are readable by the owner only, whatever the
    umask: the pages name credentials and who holds them.
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    run_id = run_id or started.strftime(RUN_ID_FORMAT)
    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(
            f"run id {run_id!r} is not a plain folder name (letters, digits, '.', '_', '-')"
        )
    chosen = select_notebooks(Path(notebook_dir), notebooks)
    run_dir = Path(out_dir) / run_id
    if run_dir.exists():
        raise FileExistsError(f"report folder {run_dir} exists already: pass another run id")
    db_path = resolve_db(db).resolve()
    con = connect(db_path, read_only=True)
    try:
        instant = resolve_as_of(con, as_of)
        metrics = headline(con, instant)
        inputs = _ingested_files(con)
    finally:
        con.close()
    _make_run_dir(run_dir)
    try:
        recorded = _record_history(db_path, run_id, instant, metrics, started)
    except UsageError:
        # The run id is taken in metric_history: the run never started, so no folder stays.
        run_dir.rmdir()
        raise
    (run_dir / "metrics.json").write_text(
        json.dumps(metrics, indent=2, sort_keys=True, default=str), encoding="utf-8"
    )
    kernel = ensure_kernel()
    log.info(
        "report %s on %s as of %s: %d notebooks", run_id, db_path, instant.isoformat(), len(chosen)
    )
    common = {"db": str(db_path), "as_of": instant.isoformat()}
    summary_parameters = {**common, "run_id": run_id} if recorded is True else common
    parameters = {
        source.name: summary_parameters if source.stem == SUMMARY_NOTEBOOK else common
        for source in chosen
    }
    run_record = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "as_of": instant.isoformat(),
        "warehouse": str(db_path),
        "toolkit_version": __version__,
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in _VERSIONS},
        "kernel": kernel,
        "parameters": parameters,
        "metric_history": "recorded" if recorded is True else f"not recorded: {recorded}",
        "ingested_files": {"count": len(inputs), "list": INPUTS_FILE},
    }
    _write_inputs(run_dir / INPUTS_FILE, inputs)
    _write_json(run_dir / "run.json", run_record)
    page_info = {"nhi_as_of": f"{instant:%Y-%m-%d %H:%M:%S} UTC", "nhi_run_id": run_id}
    pages = []
    for number, source in enumerate(chosen, start=1):
        log.info("notebook %d of %d: %s", number, len(chosen), source.name)
        pages.append(_run_page(source, run_dir, parameters[source.name], kernel, quiet, page_info))
    result = ReportResult(
        run_id, run_dir, instant, started, time.monotonic() - clock, tuple(pages)
    )
    run_record["pages"] = [
        {
            "notebook": p.notebook,
            "status": p.status,
            "seconds": round(p.seconds, 1),
            "error": p.error,
        }
        for p in pages
    ]
    _write_json(run_dir / "run.json", run_record)
    result.index.write_text(_index_html(result, db_path), encoding="utf-8")
    log.debug(
        "report %s: %d of %d pages rendered in %.1f s; open %s",
        run_id,
        len(pages) - len(result.failed),
        len(pages),
        result.seconds,
        result.index,
    )
    return result


def _make_run_dir(run_dir: Path) -> None:
    """Create the run folder before anything is recorded, so that an output folder that
    cannot be written leaves the warehouse as it was.

    Raises
    ------
    UsageError
        The folder cannot be made: a file is in the way, the disk is read-only or full.
    """
    try:
        run_dir.mkdir(parents=True)
    except FileExistsError:
        raise
    except OSError as exc:
        raise UsageError(
            f"cannot create the report folder {run_dir}: {exc.strerror or exc} "
            f"({exc.filename}); pass --out a folder you can write to"
        ) from exc


def _record_history(
    db_path: Path, run_id: str, as_of: datetime, metrics: dict[str, object], started: datetime
) -> bool | str:
    """Append the run's numbers to ``metric_history``; ``True``, or why they were not.

    A warehouse that another process holds (an analyst's notebook keeps a read-only
    connection open) or that is read-only on disk does not stop the report: the run
    goes on, its summary computes its numbers itself and compares them with the last
    recorded run, and a warning says the next run will not see this one.
    """
    try:
        history.record(db_path, run_id, as_of, metrics, started)
    except (WarehouseLockedError, PermissionError, duckdb.IOException) as exc:
        log.warning(
            "run %s is not recorded in metric_history, so the next summary cannot compare "
            "with it: %s",
            run_id,
            exc,
        )
        return str(exc)
    return True


def _ingested_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every file ever given to ingest, with the SHA-256 of its content: what the
    warehouse, and so the report, was made from."""
    return con.execute(
        "select path, kind, content_sha256, size_bytes, status, loaded_at, records_read, "
        "records_loaded, records_rejected, records_duplicate "
        "from ingest_files order by file_id"
    ).df()


def _write_inputs(path: Path, inputs: pd.DataFrame) -> None:
    """``inputs.csv``: one row per ingested file, times in UTC ISO 8601."""
    shown = inputs.copy()
    shown["loaded_at"] = shown["loaded_at"].map(lambda t: t.isoformat() if pd.notna(t) else "")
    shown.to_csv(path, index=False)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, default=str) + "\n", encoding="utf-8")


def _run_page(
    source: Path,
    run_dir: Path,
    parameters: dict[str, str],
    kernel: str,
    quiet: bool,
    page_info: dict[str, str],
) -> PageResult:
    """Execute one notebook into the run folder and render it; failures become a result."""
    clock = time.monotonic()
    title = _title(nbformat.read(source, as_version=4), source.stem)
    executed = run_dir / source.name
    summary = source.stem == SUMMARY_NOTEBOOK
    page = run_dir / (SUMMARY_PAGE if summary else f"{source.stem}.html")
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=not quiet,
            cwd=str(source.parent),
            language="python",
            # Quiet runs are for schedulers: the kernel's own start-up warnings (ipykernel
            # warns that its local TCP transport is unencrypted) would mail every night.
            extra_arguments=["--IPKernelApp.log_level=ERROR"] if quiet else [],
        )
        page.write_text(_render(executed, title, page_info, summary), encoding="utf-8")
    except Exception as exc:  # one broken page must not stop the others
        error = _error_text(exc)
        unexpected = not isinstance(exc, PapermillExecutionError)
        log.error("%s failed: %s", source.name, error, exc_info=unexpected)
        ipynb = executed.name if executed.exists() else None
        return PageResult(source.name, title, FAILED, time.monotonic() - clock, ipynb, error=error)
    seconds = time.monotonic() - clock
    log.info("%s rendered in %.1f s", source.name, seconds)
    return PageResult(source.name, title, RENDERED, seconds, executed.name, page.name)


def _error_text(exc: Exception) -> str:
    """Return ``Name: message (cell [n])`` for a notebook's own error, else the exception."""
    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue} (cell [{exc.exec_count}])"
    return f"{type(exc).__name__}: {exc}"


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Return the notebook's ``title`` metadata, else its first heading, else ``fallback``."""
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _render(executed: Path, title: str, page_info: dict[str, str], summary: bool = False) -> str:
    """Return the executed notebook as one offline HTML page with code and prompts hidden;
    ``summary`` renders only its outputs, in the executive summary's plain page.

    Raises
    ------
    ReportError
        The page would load a script from the network.
    """
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[
            jinja2.DictLoader(
                {
                    "nhi_risk_page.html.j2": _PAGE_TEMPLATE,
                    "nhi_risk_summary.html.j2": _SUMMARY_TEMPLATE,
                }
            )
        ],
        template_file="nhi_risk_summary.html.j2" if summary else "nhi_risk_page.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    resources = {"metadata": {"name": title}, **page_info}
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4), resources)
    remote = _REMOTE_SCRIPT.search(body)
    if remote:
        raise ReportError(
            f"{executed.name}: the page loads a script from {remote.group(1)}, "
            f"so it would not work offline; show figures through "
            f"analytics.charts (setup_notebook) rather than a CDN renderer"
        )
    return body


def _index_html(result: ReportResult, db_path: Path) -> str:
    """Return the run's index page: every page with its status; static HTML, no script."""
    esc = html.escape
    rows = []
    for page in result.pages:
        name = (
            f'<a href="{esc(page.html)}">{esc(page.title)}</a>' if page.html else esc(page.title)
        )
        details = f"<pre>{esc(page.error)}</pre>" if page.error else ""
        if page.ipynb:
            details += f'<a href="{esc(page.ipynb)}">executed notebook</a>'
        rows.append(
            f"<tr><td>{name}<br><small>{esc(page.notebook)}</small></td>"
            f'<td class="{esc(page.status)}">{esc(page.status)}</td>'
            f"<td>{page.seconds:.1f} s</td><td>{details}</td></tr>"
        )
    rendered = len(result.pages) - len(result.failed)
    table_rows = "\n".join(rows)
    summary = next((p for p in result.pages if p.html == SUMMARY_PAGE), None)
    lead = (
        f'<p class="lead"><a href="{SUMMARY_PAGE}">Executive summary</a>: the headline '
        f"numbers with their trend, where the risk is, and what to do next, on one page.</p>"
        if summary
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>NHI risk report {esc(result.run_id)}</title>
<style>
{_INDEX_CSS}</style>
</head>
<body>
<h1>NHI risk report</h1>
<p>As of <strong>{result.as_of:%Y-%m-%d %H:%M:%S} UTC</strong>: every page describes the data
up to this instant.</p>
{lead}
<p class="meta">Run {esc(result.run_id)}, started {result.started_at:%Y-%m-%d %H:%M:%S} UTC,
took {result.seconds:.0f} s. Warehouse <code>{esc(str(db_path))}</code>.
{rendered} of {len(result.pages)} pages rendered.</p>
<table>
<thead><tr><th>Page</th><th>Status</th><th>Run time</th><th>Details</th></tr></thead>
<tbody>
{table_rows}
</tbody>
</table>
<p class="meta">Headline numbers: <a href="metrics.json">metrics.json</a>. Parameters,
package versions: <a href="run.json">run.json</a>; every ingested file with its SHA-256:
<a href="inputs.csv">inputs.csv</a>.</p>
</body>
</html>
"""
