"""The executive summary's content: trends, the ranking of identities, the next actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from analytics.charts import summary as summary_charts
from analytics.metrics import summary
from analytics.metrics.checks import FINDING_COLUMNS
from analytics.warehouse import connect


def _findings(check_id: str, *rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """Finding rows of ``check_id``: (subject, status, severity, identity)."""
    return pd.DataFrame(
        [
            {
                "check_id": check_id,
                "subject_id": subject,
                "status": status,
                "reason": f"{subject} {status}",
                "severity": severity,
                "source": "test",
                "secret_type": None,
                "repository": None,
                "identity_id": identity,
                "owner_id": None,
                "team": None,
                "evidence": [],
            }
            for subject, status, severity, identity in rows
        ],
        columns=list(FINDING_COLUMNS),
    )


@pytest.fixture
def con(db):
    writer = connect(db, read_only=False)
    writer.execute(
        "insert into identities (identity_id, kind, name, status, file_id, source_kind) "
        "values ('agent-a', 'ai_agent', 'agent a', 'active', 1, 'inventory-csv')"
    )
    writer.close()
    reader = connect(db, read_only=True)
    yield reader
    reader.close()


def _results() -> dict[str, tuple[pd.DataFrame, int]]:
    # agent-a: one critical check.  role-b: three high checks.  key-c: one high check that
    # fails 1,000 times.  sandbox-d: a subject with no identity.  role-b passes one more.
    many = [(f"call-{n}", "fail", "high", "key-c") for n in range(1000)]
    return {
        "identity_admin_equivalent": (
            _findings(
                "identity_admin_equivalent",
                ("agent-a", "fail", "critical", "agent-a"),
                ("role-b", "pass", "info", "role-b"),
            ),
            2,
        ),
        "credential_shared": (_findings("credential_shared", ("kb", "fail", "high", "role-b")), 5),
        "credential_cross_environment": (
            _findings("credential_cross_environment", ("kb", "fail", "high", "role-b")),
            5,
        ),
        "nhi_human_use": (_findings("nhi_human_use", ("role-b", "fail", "high", "role-b")), 9),
        "agent_call_without_jit_grant": (_findings("agent_call_without_jit_grant", *many), 1200),
        "sandbox_secrets_and_open_egress": (
            _findings("sandbox_secrets_and_open_egress", ("sandbox-d", "fail", "medium", None)),
            3,
        ),
        "credential_dormant_90d": (_findings("credential_dormant_90d"), 0),
    }


def test_identities_rank_by_worst_severity_then_distinct_failing_checks(con):
    risks = summary.top_risks(con, _results(), limit=5)

    assert risks["subject"].tolist() == ["agent-a", "role-b", "key-c", "sandbox-d"]
    assert risks["score"].tolist() == [8, 12, 4, 2]
    assert risks["checks"].tolist() == [1, 3, 1, 1]
    assert risks["findings"].tolist() == [1, 3, 1000, 1]
    assert risks.loc[0, "kind"] == "ai_agent"
    assert risks.loc[1, "why"] == [
        "Credential used by several workloads",
        "Credential acting in more than one account",
        "Non-human identity used interactively",
    ]


def test_next_actions_put_the_worst_and_widest_failing_check_first(con):
    actions = summary.next_actions(_results(), limit=10)

    assert actions["check_id"].tolist() == [
        "identity_admin_equivalent",
        "agent_call_without_jit_grant",
        "credential_cross_environment",
        "credential_shared",
        "nhi_human_use",
        "sandbox_secrets_and_open_egress",
    ]
    first = actions.iloc[0]
    assert (first["failing"], first["judged"], first["severity"]) == (1, 2, "critical")
    assert first["action"].startswith("Replace administrator-equivalent grants")
    assert "OWASP NHI5:2025" in first["controls"] and "CIS 5.4" in first["controls"]
    assert actions.iloc[1][["failing", "judged"]].tolist() == [1000, 1200]


@pytest.mark.parametrize(
    ("metric", "now", "before", "direction", "assessment"),
    [
        ("ttr.median_days", 18.5, 27.0, "down", "better"),
        ("ttr.median_days", 30.0, 27.0, "up", "worse"),
        ("agents.jit_coverage", 0.40, 0.35, "up", "better"),
        ("agents.jit_coverage", 0.30, 0.35, "down", "worse"),
        ("identities.dormant_90d", 36, 36, "same", "same"),
        ("frameworks.failing_total", 33, None, "new", ""),
        ("frameworks.failing_total", None, 30, "new", ""),
    ],
)
def test_a_trend_is_better_or_worse_by_the_side_the_headline_prefers(
    metric, now, before, direction, assessment
):
    table = summary.headline_table({metric: now}, {metric: before}).set_index("metric")

    assert table.loc[metric, ["direction", "assessment"]].tolist() == [direction, assessment]
    expected = None if now is None or before is None else now - before
    assert table.loc[metric, "change"] == pytest.approx(expected)


def test_every_headline_states_its_period_population_and_source():
    values = {
        "ttr.population": 44,
        "ttr.remediated": 23,
        "ttr.censored": 21,
        "inventory.credentials_older_than_90d": 176,
        "inventory.credentials_dated": 216,
    }

    table = summary.headline_table(values, {})

    assert len(table) == len(summary.HEADLINES) == 6
    for column in ("period", "population", "source"):
        assert table[column].str.len().min() > 10, column
    rows = table.set_index("metric")
    assert rows.loc["ttr.median_days", "population"].startswith(
        "44 leaked secrets: 23 remediated, 21 still open"
    )
    assert rows.loc["ttr.median_days", "benchmark"].startswith("Survey estimate: 27 days")
    assert rows.loc["inventory.credentials_older_than_90d_share", "population"].startswith(
        "176 of 216 active credentials"
    )


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (18.54, "days", "18.5 days"),
        (None, "days", "not reached"),
        (0.3486, "share", "34.9%"),
        (1204.0, "count", "1,204"),
        (None, "count", "no data"),
    ],
)
def test_values_are_written_as_a_reader_expects(value, unit, text):
    assert summary.shown(value, unit) == text


def test_a_sparkline_needs_two_runs_and_spans_its_box():
    assert summary_charts._sparkline([3.0], "x") == ""
    line = summary_charts._sparkline([1.0, 3.0, 2.0], "x", width=100, height=20)
    assert 'points="0.0,17.0 50.0,3.0 100.0,10.0"' in line


def test_the_summary_page_shows_values_from_the_data_as_text():
    payload = "<script>window.__nhiPwned=1</script>"
    brief = summary.ExecutiveSummary(
        run_id="r<1>",
        previous_run=None,
        as_of=datetime(2026, 11, 30, tzinfo=UTC),
        previous_as_of=None,
        scope=f"As of now: {payload}",
        headlines=summary.headline_table({}, {}),
        history=pd.DataFrame(columns=["run_id", "as_of", "metric", "value"]),
        risks=pd.DataFrame(
            [
                {
                    "subject": payload,
                    "kind": "ai_agent",
                    "owner": "P1",
                    "owner_name": '<img src=x onerror="alert(1)">',
                    "owner_left": False,
                    "score": 8,
                    "checks": 1,
                    "findings": 1,
                    "worst": "critical",
                    "why": [payload],
                }
            ]
        ),
        actions=pd.DataFrame(
            [
                {
                    "check_id": "shadow_ai_app",
                    "title": payload,
                    "action": payload,
                    "severity": "high",
                    "failing": 1,
                    "judged": 2,
                    "controls": payload,
                }
            ]
        ),
    )

    page = summary_charts.page(brief).data

    assert "<script" not in page and "<img" not in page
    assert page.count("&lt;script&gt;window.__nhiPwned=1&lt;/script&gt;") == 6
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; (P1)" in page
    assert "r&lt;1&gt;" in page
