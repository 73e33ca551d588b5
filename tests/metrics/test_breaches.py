"""Which of our identities look like a public breach: by the checks its risks map to."""

from __future__ import annotations

import pandas as pd

from analytics.metrics import breaches


def test_an_incident_matches_the_subjects_failing_the_checks_of_its_risks() -> None:
    incidents = pd.DataFrame(
        {
            "breach_id": ["b1", "b2"],
            "organisation": ["Acme", "Initech"],
            "disclosed_on": ["2024-01-05", "2025-02-01"],
            "owasp_nhi": [["NHI10:2025"], ["NHI7:2025", "NHI10:2025"]],
        }
    )
    results = {
        "nhi_human_use": (
            pd.DataFrame({"subject_id": ["u1", "u2"], "status": ["fail", "pass"]}),
            2,
        ),
        "credential_long_lived_365d": (
            pd.DataFrame({"subject_id": ["k1", "u1"], "status": ["fail", "fail"]}),
            2,
        ),
    }

    found = breaches.lookalikes(incidents, results).set_index("breach_id")

    # NHI10 maps to nhi_human_use alone: u1. NHI7 adds the long-lived and unrotated key
    # checks and grant_outlives_task: k1 and u1 again, counted once.
    assert found.loc["b1", ["checks", "matching_subjects"]].tolist() == ["nhi_human_use", 1]
    assert found.loc["b2", "matching_subjects"] == 2
    assert found.loc["b2", "checks"] == (
        "credential_long_lived_365d, credential_not_rotated_90d, grant_outlives_task, "
        "nhi_human_use"
    )
