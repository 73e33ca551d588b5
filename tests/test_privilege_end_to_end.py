"""Privilege and standing access on the default demo: every check fails exactly the subjects
the demo planted, and the drift series is the planted one, snapshot pair by pair.

``planted.json`` is computed by the demo from the rows and records it wrote, and
``tests/demo/test_access.py`` recomputes it from the files alone; here the same files go
through ingest and the checks' SQL, as of the demo's end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from analytics.metrics import headline, privilege
from analytics.warehouse import connect

pytestmark = pytest.mark.slow

PLANTED_BY_CHECK = {
    "identity_dormant_90d": "dormant_identities_90d",
    "identity_owner_offboarded": "owner_left_with_active_credential",
    "identity_admin_equivalent": "overprivileged_identities",
    "identity_privilege_drift": "privilege_grew_unused",
    "credential_dormant_90d": "credentials_dormant_90d",
    "credential_not_rotated_90d": "credentials_not_rotated_90d",
    "credential_long_lived_365d": "credentials_long_lived_365d",
    "credential_shared": "credentials_shared",
    "credential_cross_environment": "credentials_cross_environment",
    "nhi_human_use": "nhi_human_use",
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def found(default_demo: dict[str, Any]) -> dict[str, Any]:
    end = _time(default_demo["planted"]["period"]["end"])
    con = connect(default_demo["db"], read_only=True)
    try:
        results = privilege.checks(con, end)
        series = privilege.drift_series(con)
        values = headline(con, end)
    finally:
        con.close()
    return {"results": results, "series": series, "metrics": values}


@pytest.mark.parametrize(("check_id", "planted_key"), sorted(PLANTED_BY_CHECK.items()))
def test_each_check_fails_exactly_the_planted_subjects(default_demo, found, check_id, planted_key):
    rows, judged = found["results"][check_id]
    planted = default_demo["planted"][planted_key]

    failing = sorted(rows.loc[rows["status"] == "fail", "subject_id"])

    assert failing == sorted(planted["ids"])
    assert len(failing) == planted["count"] > 0
    assert judged > len(failing)  # passing subjects exist: the check tells them apart


def test_the_drift_series_is_the_planted_one(default_demo, found):
    planted = {
        (_time(pair["from"]), _time(pair["to"])): (pair["added"], pair["removed"])
        for pair in default_demo["planted"]["privilege_drift"]
    }
    series = found["series"]
    measured = {}
    for (start, stop), part in series.groupby(["from_at", "to_at"]):
        added = {r.identity_id: r.added for r in part.itertuples() if r.added}
        removed = {r.identity_id: r.removed for r in part.itertuples() if r.removed}
        measured[(start.to_pydatetime(), stop.to_pydatetime())] = (added, removed)

    assert measured == planted
    assert len(planted) == len(default_demo["planted"]["privilege_snapshots"]) - 1


def test_the_headline_counts_are_the_planted_counts(default_demo, found):
    metrics, planted = found["metrics"], default_demo["planted"]

    assert metrics["privilege.admin_equivalent"] == planted["overprivileged_identities"]["count"]
    assert metrics["privilege.grew_unused"] == planted["privilege_grew_unused"]["count"]
    assert metrics["credentials.shared"] == planted["credentials_shared"]["count"]
    assert metrics["identities.human_use"] == planted["nhi_human_use"]["count"]
    assert 0 < metrics["privilege.unused_share"] < 1


def test_every_denominator_counts_the_subjects_that_pass_or_fail(found):
    for check_id, (rows, judged) in found["results"].items():
        assert judged == rows["status"].isin(("pass", "fail")).sum(), check_id
