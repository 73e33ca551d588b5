"""The agent-access notebook under papermill, on the hand-counted world of the agent tests."""

from __future__ import annotations

import nbformat
import pytest

from tests.metrics import test_agents as world
from tests.notebooks import figures, html_of, run_notebook, values

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    root = tmp_path_factory.mktemp("agents-notebook")
    db = world.build_warehouse(root)
    out = root / "out.ipynb"
    return run_notebook("30_agent_access", out, db=str(db), as_of=world.AS_OF.isoformat())


def test_weekly_coverage_counts_every_gateway_call(executed) -> None:
    figure = figures(executed)["Just-in-time coverage of agent tool calls, per week"]
    bars, line = figure.data
    assert sum(values(bars.y)) == 9
    # Weeks from Monday: 01-26 holds c1 and c2 (both covered); 02-02 holds c3 to c9, of
    # which c3 and c4 are covered.
    assert values(bars.y) == [2, 7]
    assert values(line.y) == pytest.approx([1.0, 2 / 7])


def test_egress_bars_split_allowed_outside_and_denied(executed) -> None:
    figure = figures(executed)["Where agent calls went, against the sandbox allowlist"]
    counts = {
        trace.name: dict(zip(trace.y, values(trace.x), strict=True)) for trace in figure.data
    }
    assert counts == {
        "allowed host": {"agent-a": 5, "agent-ghost": 1},
        "outside the allowlist": {"agent-a": 1, "agent-ghost": 0},
        "denied by the gateway": {"agent-a": 1, "agent-ghost": 0},
    }


def test_blast_radius_links_agent_credential_owner_and_services(executed) -> None:
    figure = figures(executed)[
        "Inherited credentials: agent, credential, owner, and what the owner can reach"
    ]
    labels = list(figure.data[0].node.label)
    assert {"agent-b", "T-X", "svc-x (another identity)", "s3", "agent-ghost"} <= set(labels)
    assert f"{world.ALICE} (a person)" in labels


def test_every_check_is_shown_with_its_scope(executed) -> None:
    page = html_of(executed)
    for title in (
        "Agent tool call made without a task-scoped grant",
        "Access path created and gone between two access reviews",
    ):
        assert f"Failing: {title}" in page
    assert "Access paths that no periodic review saw" in figures(executed)
