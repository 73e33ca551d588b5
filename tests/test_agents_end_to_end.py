"""Agent checks on the default demo: each fails exactly the subjects the demo planted.

``planted.json`` is computed by the demo from what it wrote, and ``tests/demo`` recomputes
it from the files alone; here the files go through ingest and the checks' SQL, as of the
demo's end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from analytics.metrics import agents, headline
from analytics.warehouse import connect

pytestmark = pytest.mark.slow

PLANTED_BY_CHECK = {
    "agent_call_without_jit_grant": "agent_calls_without_jit_grant",
    "grant_outlives_task": "grants_outliving_task",
    "agent_egress_not_allowed": "agent_egress_not_allowed",
    "sandbox_secrets_and_open_egress": "sandboxes_secrets_and_open_egress",
    "agent_inherited_credential": "agent_inherited_credentials",
    "shadow_ai_app": "shadow_ai_apps",
    "access_path_missed_by_review": "access_paths_missed_by_review",
}


@pytest.fixture(scope="module")
def found(default_demo: dict[str, Any]) -> dict[str, Any]:
    end = datetime.fromisoformat(default_demo["planted"]["period"]["end"].replace("Z", "+00:00"))
    con = connect(default_demo["db"], read_only=True)
    try:
        return {"results": agents.checks(con, end), "metrics": headline(con, end)}
    finally:
        con.close()


@pytest.mark.parametrize(("check_id", "planted_key"), sorted(PLANTED_BY_CHECK.items()))
def test_each_agent_check_fails_exactly_the_planted_subjects(
    default_demo, found, check_id, planted_key
):
    rows, judged = found["results"][check_id]
    planted = default_demo["planted"][planted_key]

    failing = sorted(rows.loc[rows["status"] == "fail", "subject_id"])

    assert failing == sorted(planted["ids"])
    assert len(failing) == planted["count"] > 0
    assert judged > len(failing)


def test_the_agent_headline_is_the_planted_one(default_demo, found):
    metrics, planted = found["metrics"], default_demo["planted"]

    assert metrics["agents.total"] == planted["agents_total"]
    assert metrics["agents.tool_calls"] == planted["agent_calls"]
    assert metrics["agents.jit_coverage"] == pytest.approx(planted["agent_jit_coverage"], abs=1e-4)
    assert metrics["grants.standing_privilege_hours"] == pytest.approx(
        planted["standing_privilege_hours"], abs=0.01
    )


def test_every_denominator_counts_the_subjects_that_pass_or_fail(found):
    for check_id, (rows, judged) in found["results"].items():
        assert judged == rows["status"].isin(("pass", "fail")).sum(), check_id
