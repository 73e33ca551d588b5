"""Time to remediate on the default demo, from its files to the numbers users see.

The demo's ``planted.json`` holds, for two as-of dates, the duration of every leaked secret
as its files show it (``tests/demo/test_ttr.py`` recomputes those from the files). Here the
same demo goes through ingest, and the warehouse must give the same durations, lifelines
fitted to the planted durations must give the same headline, the estimate must recover the
remediation delay the demo draws, and the two evidence checks must fail exactly the planted
triage mistakes. About 15 s: the default scale, because the small one has too few secrets
for a median.
"""

from __future__ import annotations

import gzip
import json
import math
from datetime import datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pandas as pd
import pytest

from analytics.demo.fake import fingerprint
from analytics.metrics import ttr
from analytics.warehouse import connect

pytestmark = pytest.mark.slow


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def world(default_demo: dict[str, Any]) -> dict[str, Any]:
    con = connect(default_demo["db"], read_only=True)
    yield {**default_demo, "con": con}
    con.close()


def _snapshots(world: dict[str, Any]) -> list[dict[str, Any]]:
    return world["planted"]["ttr"]["snapshots"]


@pytest.mark.parametrize("index", [0, 1], ids=["at-end", "60-days-earlier"])
def test_the_warehouse_finds_every_planted_duration(world, index: int):
    snapshot = _snapshots(world)[index]
    frame = ttr.secrets(world["con"], _time(snapshot["as_of"]))
    inside = ttr.population(frame)

    found = sorted(zip(inside["duration_days"], inside["remediated"], strict=True))

    assert [bool(o) for _, o in found] == [o for _, o in snapshot["durations"]]
    assert [d for d, _ in found] == pytest.approx([d for d, _ in snapshot["durations"]], abs=1e-5)
    excluded = frame[frame["excluded"]]["resolution"].value_counts().to_dict()
    assert excluded == snapshot["excluded"]


@pytest.mark.filterwarnings("ignore:Approximating using")
@pytest.mark.parametrize("index", [0, 1], ids=["at-end", "60-days-earlier"])
def test_the_headline_is_lifelines_fitted_to_the_planted_durations(world, index: int):
    lifelines = pytest.importorskip("lifelines")
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    snapshot = _snapshots(world)[index]
    days = [d for d, _ in snapshot["durations"]]
    observed = [o for _, o in snapshot["durations"]]
    kmf = lifelines.KaplanMeierFitter().fit(days, observed)

    def reached(value: float) -> float | None:
        return None if math.isinf(value) else pytest.approx(value, abs=1e-4)

    band = median_survival_times(kmf.confidence_interval_)
    expected = {
        "ttr.population": snapshot["population"],
        "ttr.remediated": snapshot["remediated"],
        "ttr.censored": snapshot["censored"],
        "ttr.excluded": sum(snapshot["excluded"].values()),
        "ttr.median_days": reached(kmf.median_survival_time_),
        "ttr.median_days_ci_low": reached(band.iloc[0, 0]),
        "ttr.median_days_ci_high": reached(band.iloc[0, 1]),
        "ttr.p90_days": reached(kmf.percentile(0.1)),
        "ttr.restricted_mean_90d": pytest.approx(
            restricted_mean_survival_time(kmf, t=90), abs=1e-4
        ),
    }
    for sla in (1, 7, 30):
        remaining = kmf.survival_function_at_times(sla).iloc[0]
        expected[f"ttr.within_{sla}d"] = pytest.approx(1 - remaining, abs=1e-6)

    headline = ttr.headline(world["con"], _time(snapshot["as_of"]))

    assert {key: headline[key] for key in expected} == expected
    assert snapshot["remediated"] > 10 and snapshot["censored"] > 10


def test_the_estimate_recovers_the_planted_remediation_delay(world):
    """The demo fixes a share ``1 - q`` of the secrets a lognormal delay after detection
    (median 9 days, sigma 1) and never fixes the rest, so the true share still exposed at
    ``t`` days is ``q + (1 - q) * (1 - Phi(ln(t / 9) / sigma))``. The 95% bands of the
    estimate must hold the true curve from 3 to 60 days, and the true median. (Before the
    first fix the estimate is 1 with no spread, so day 1 says nothing.)"""
    planted = world["planted"]["ttr"]
    snapshot = planted["snapshots"][0]
    median, sigma = planted["distribution"]["median_days"], planted["distribution"]["sigma"]
    q = snapshot["never_remediated"] / snapshot["population"]
    normal = NormalDist()

    def exposed(t: float) -> float:
        return q + (1 - q) * (1 - normal.cdf(math.log(t / median) / sigma))

    true_median = median * math.exp(sigma * normal.inv_cdf(0.5 / (1 - q)))
    curve = ttr.curve(ttr.secrets(world["con"], _time(snapshot["as_of"])))
    step = curve.to_frame().set_index("time")

    assert q < 0.5 and exposed(true_median) == pytest.approx(0.5)
    for t in (3, 7, 14, 30, 60):
        row = step[step.index <= t].iloc[-1]
        assert row["ci_low"] <= exposed(t) <= row["ci_high"], t
    low, high = curve.median_ci()
    assert low is not None and low <= true_median <= (high or math.inf)


def _successful_calls(root: Path) -> dict[str, list[datetime]]:
    """Times of CloudTrail calls without an error, by access key id, read from the files."""
    calls: dict[str, list[datetime]] = {}
    for path in (root / "demo" / "sources" / "cloudtrail").rglob("*.json.gz"):
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            key = record.get("userIdentity", {}).get("accessKeyId")
            if key and "errorCode" not in record:
                calls.setdefault(key, []).append(_time(record["eventTime"]))
    return calls


def test_the_evidence_checks_fail_exactly_the_planted_triage_mistakes(world):
    root, con = world["root"], world["con"]
    as_of = _time(world["planted"]["period"]["end"])
    alerts = json.loads((root / "demo/sources/github/secret_scanning_alerts.json").read_text())
    credentials = pd.read_csv(root / "demo/sources/inventory/credentials.csv", dtype=str)
    status = dict(zip(credentials["credential_id"], credentials["status"], strict=True))
    calls = _successful_calls(root)
    rotated = dict(zip(credentials["credential_id"], credentials["last_rotated_at"], strict=True))
    # From the files: alerts resolved as revoked whose credential is still active at the end
    # and was not rotated after the alert (a rotated token is the same credential, active,
    # with a new value).
    revoked, still_active = {}, []
    for alert in alerts:
        if alert["resolution"] == "revoked":
            secret = alert["secret"]
            credential = secret if secret in status else fingerprint(secret)
            revoked[credential] = _time(alert["resolved_at"])
            rotation = rotated.get(credential)
            if status.get(credential) == "active" and not (
                isinstance(rotation, str) and _time(rotation) > _time(alert["created_at"])
            ):
                still_active.append(credential)
    still_active.sort()
    used_after = sorted(
        c for c, at in revoked.items() if any(at < t <= as_of for t in calls.get(c, []))
    )
    secrets = ttr.secrets(con, as_of).set_index("secret_id")["credential_id"]

    results = ttr.checks(con, as_of)

    def failing(check_id: str) -> list[str]:
        rows, _ = results[check_id]
        return sorted(secrets[rows[rows["status"] == "fail"]["subject_id"]])

    assert still_active == world["planted"]["ttr"]["revoked_without_fix"]
    assert len(still_active) == 2 and used_after and set(used_after) <= set(still_active)
    assert failing("secret_resolved_but_credential_active") == still_active
    assert failing("secret_used_after_remediation") == used_after
    rows, denominator = results["secret_used_after_remediation"]
    failed = rows[rows["status"] == "fail"]
    assert all(failed["evidence"].str.len() > 0) and all(failed["severity"] == "critical")
    assert denominator == len(rows)


def test_breakdowns_meet_one_name_per_repository_and_secret_kind_across_scanners(world):
    root, con = world["root"], world["con"]
    alerts = json.loads((root / "demo/sources/github/secret_scanning_alerts.json").read_text())
    repositories = {
        a["html_url"].split("/")[3] + "/" + a["html_url"].split("/")[4] for a in alerts
    }
    secrets = ttr.secrets(con, _time(_snapshots(world)[0]["as_of"]))

    by_repository = ttr.breakdown(secrets, "repository")
    by_type = ttr.breakdown(secrets, "secret_type")

    assert set(by_repository["repository"]) - {"(unknown)"} <= repositories
    assert set(by_type["secret_type"]) == {
        "aws_access_key",
        "generic_secret",
        "github_token",
        "openai_api_key",
        "slack_token",
    }
    assert by_type["population"].sum() == len(ttr.population(secrets))
