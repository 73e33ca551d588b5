"""`make lab`: JupyterLab on notebooks/ with the project's kernel and the warehouse set, and a
notebook running top to bottom with its default parameters, as JupyterLab would run it.

The lab tests start the Makefile target itself on the default demo's warehouse and talk to
the server over its REST API, then open a notebook the way JupyterLab does (a session) and
run code in the kernel it started.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from jupyter_client import BlockingKernelClient

from analytics.config import NOTEBOOK_DIR, PROJECT_DIR
from analytics.report import ensure_kernel
from tests.notebooks import html_of

KERNELSPEC = {"name": "nhi-risk", "display_name": "Python (nhi-risk)", "language": "python"}
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
STARTUP_SECONDS = 60


def _shown_as_of(default_demo: dict[str, Any]) -> str:
    """How a notebook's setup line shows the default as-of: the end of the demo's period."""
    end = datetime.fromisoformat(default_demo["planted"]["period"]["end"].replace("Z", "+00:00"))
    return f"as of <strong>{end:%Y-%m-%d %H:%M:%S} UTC</strong>"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_names_the_project_kernel(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)

    assert notebook.metadata["kernelspec"] == KERNELSPEC


@dataclass
class Lab:
    """A running `make lab`: where it answers, its token, and its runtime folder."""

    url: str
    token: str
    runtime: Path
    db: Path

    def request(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the server's REST API (POST when ``body`` is given) and return the JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(lab: Lab, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make lab exited with {process.returncode}:\n{log.read_text()}")
        try:
            lab.request("/api/kernelspecs")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def _stop(lab: Lab, process: subprocess.Popen[bytes]) -> None:
    """Shut the server down through its API (which also ends its kernels), else signal it."""
    try:
        lab.request("/api/shutdown", body={})
        process.wait(timeout=20)
    except (urllib.error.URLError, ConnectionError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def lab(default_demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """`make lab` on the default demo's warehouse, given as a relative DB like the default.

    ``-o install`` leaves the install step alone (`make test` has just run it) and ``VENV``
    is the environment running the tests, so the lab is this environment's JupyterLab.
    """
    if shutil.which("make") is None:
        pytest.skip("make is not on PATH")
    root = tmp_path_factory.mktemp("lab")
    lab = Lab(
        url=f"http://127.0.0.1:{_free_port()}",
        token=secrets.token_hex(16),
        runtime=root / "runtime",
        db=default_demo["db"],
    )
    options = [
        "--no-browser",
        f"--port={lab.url.rsplit(':', 1)[1]}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={lab.token}",
    ]
    if os.geteuid() == 0:
        options.append("--allow-root")  # containers and CI run as root; Jupyter refuses else
    command = [
        "make",
        "--no-print-directory",
        "-o",
        "install",
        "lab",
        f"VENV={sys.prefix}",
        f"DB={os.path.relpath(lab.db, PROJECT_DIR)}",
        f"LAB_ARGS={' '.join(options)}",
    ]
    log = root / "lab.log"
    # The runtime folder of our own keeps the kernels' connection files where the test can
    # find them, and out of the user's folder.
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(lab.runtime)}
    env.pop("NHI_RISK_DB", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(lab, process, log)
        yield lab
    finally:
        _stop(lab, process)


@pytest.mark.slow
def test_lab_offers_the_project_kernel_running_this_python(lab: Lab) -> None:
    specs = lab.request("/api/kernelspecs")

    assert specs["default"] == "nhi-risk"
    assert specs["kernelspecs"]["nhi-risk"]["spec"]["argv"][0] == sys.executable


@pytest.mark.slow
def test_lab_opens_on_the_notebooks_folder(lab: Lab) -> None:
    root = lab.request("/api/contents")

    listed = {item["name"] for item in root["content"] if item["type"] == "notebook"}
    assert listed == {path.name for path in NOTEBOOKS}


@pytest.mark.slow
def test_a_notebook_opened_in_lab_reads_the_warehouse_make_was_given(
    lab: Lab, default_demo: dict[str, Any]
) -> None:
    notebook = nbformat.read(NOTEBOOK_DIR / "00_data_overview.ipynb", as_version=4)
    parameters, setup = [cell.source for cell in notebook.cells if cell.cell_type == "code"][:2]
    session = lab.request(
        "/api/sessions",
        body={
            "path": "00_data_overview.ipynb",
            "type": "notebook",
            "name": "",
            "kernel": {"name": notebook.metadata["kernelspec"]["name"]},
        },
    )
    client = BlockingKernelClient(
        connection_file=str(lab.runtime / f"kernel-{session['kernel']['id']}.json")
    )
    client.load_connection_file()
    client.start_channels()
    shown: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        content = message["content"]
        shown.append(content.get("text", "") + content.get("data", {}).get("text/html", ""))

    try:
        client.wait_for_ready(timeout=STARTUP_SECONDS)
        reply = client.execute_interactive(
            f"{parameters}\n{setup}\nimport os\nprint(os.getcwd())",
            output_hook=keep,
            timeout=STARTUP_SECONDS,
        )
    finally:
        client.stop_channels()

    output = "".join(shown)
    assert reply["content"]["status"] == "ok", output[-2000:]
    assert f"Warehouse <code>{html.escape(str(lab.db))}</code>" in output
    assert _shown_as_of(default_demo) in output
    assert f"{NOTEBOOK_DIR}\n" in output


@pytest.mark.slow
@pytest.mark.parametrize("name", ["00_data_overview", "20_privilege_drift"])
def test_notebook_runs_top_to_bottom_with_its_default_parameters(
    name: str,
    default_demo: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ensure_kernel()  # the kernel `make install` puts in place, which the notebook names
    monkeypatch.setenv("NHI_RISK_DB", str(default_demo["db"]))

    papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
        str(tmp_path / f"{name}.ipynb"),
        progress_bar=False,
        cwd=str(NOTEBOOK_DIR),
    )

    executed = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    errors = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    assert executed.metadata["papermill"]["parameters"] == {}
    assert _shown_as_of(default_demo) in html_of(executed)
