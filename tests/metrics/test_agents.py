"""Agent checks over a small hand-built world, counted by hand. As of 2026-03-01 (window from
2025-12-01; reviews on 2025-09-02, 2025-12-01 and 2026-03-01):

| call | agent | task | grant | credential | host | decision | JIT | egress |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| c1 | agent-a | T1 | J1 | K-A | api.github.com | allowed | pass | pass |
| c2 | agent-a | T1 | J1 | K-A | paste.example.net | allowed | pass | fail |
| c3 | agent-a | T2 | J2 | K-A | api.github.com | allowed | pass | pass |
| c4 | agent-a | T3 | J3 | K-A | evil.example.com | denied | pass | pass (denied) |
| c5 | agent-b | T4 | J4 (expired) | T-X of svc-x | api.openai.com | allowed | fail | unknown |
| c6 | agent-a | T6 | none | K-A | api.github.com | allowed | fail | pass |
| c7 | agent-ghost | T7 | none | alice's AWS key | s3.amazonaws.com | allowed | fail | pass |
| c8 | agent-a | T8 | J2 (task T2) | K-A | api.github.com | allowed | fail | pass |
| c9 | agent-a | T9 | none | unknown-cred | api.github.com | allowed | fail | pass |

JIT coverage 4 of 9. Grants: J1 ends 40 minutes after T1's last call (pass), J2 never ends
(fail), J3 ends 5.5 hours after T3's last call (fail), J4 ended before T4's call (pass), J5 has
no call (unknown). Standing hours: J1 2/3, J2 from 02-02 09:30 to the as-of 638.5, J3 5.5, J4
0: 644.67 in all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from analytics.ingest import ingest_paths
from analytics.metrics import agents, headline, privilege, registry, ttr
from analytics.warehouse import connect

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
HUMAN_KEY = "AKIATESTHUMANALICE01"
ALICE = "arn:aws:iam::111122223333:user/alice"
REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


def _call(
    n: int,
    day: str,
    agent: str,
    task: str,
    grant: str | None,
    credential: str,
    host: str,
    decision: str = "allowed",
    sandbox: str | None = None,
) -> str:
    call = {
        "time": day,
        "call_id": f"c{n}",
        "agent_id": agent,
        "task_id": task,
        "tool": "fetch",
        "credential_id": credential,
        "target_host": host,
        "decision": decision,
    }
    if grant:
        call["grant_id"] = grant
    if sandbox:
        call["sandbox_id"] = sandbox
    return json.dumps(call)


def _write(root: Path) -> None:
    calls = [
        _call(1, "2026-02-01T09:10:00Z", "agent-a", "T1", "J1", "K-A", "api.github.com"),
        _call(2, "2026-02-01T09:20:00Z", "agent-a", "T1", "J1", "K-A", "paste.example.net"),
        _call(3, "2026-02-02T09:30:00Z", "agent-a", "T2", "J2", "K-A", "api.github.com"),
        _call(
            4, "2026-02-03T09:30:00Z", "agent-a", "T3", "J3", "K-A", "evil.example.com", "denied"
        ),
        _call(5, "2026-02-04T10:00:00Z", "agent-b", "T4", "J4", "T-X", "api.openai.com"),
        _call(6, "2026-02-05T10:00:00Z", "agent-a", "T6", None, "K-A", "api.github.com"),
        _call(
            7,
            "2026-02-06T10:00:00Z",
            "agent-ghost",
            "T7",
            None,
            HUMAN_KEY,
            "s3.amazonaws.com",
            sandbox="sbx-a",
        ),
        _call(8, "2026-02-07T10:00:00Z", "agent-a", "T8", "J2", "K-A", "api.github.com"),
        _call(9, "2026-02-08T10:00:00Z", "agent-a", "T9", None, "unknown-cred", "api.github.com"),
    ]
    (root / "gateway.jsonl").write_text("\n".join(calls) + "\n", encoding="utf-8")
    (root / "sandboxes.yaml").write_text(
        "sandbox_id: sbx-a\nagents: [agent-a, agent-ghost]\nenvironment: prod\n"
        "egress:\n  allow: [api.github.com, '*.amazonaws.com']\nsecrets: [prod/github/*]\n"
        "---\nsandbox_id: sbx-open\nagents: [agent-z]\n"
        "egress:\n  allow: ['*']\nsecrets: [prod/db/password]\n"
        "---\nsandbox_id: sbx-dev\nenvironment: dev\negress:\n  allow: ['*']\nsecrets: [dev/x]\n",
        encoding="utf-8",
    )
    trail = {
        "Records": [
            {
                "eventTime": "2026-01-20T00:00:00Z",
                "eventSource": "s3.amazonaws.com",
                "eventName": "ListBuckets",
                "eventID": "ct-1",
                "awsRegion": "us-east-1",
                "recipientAccountId": "111122223333",
                "sourceIPAddress": "203.0.113.7",
                "userAgent": "aws-cli/2.15.0",
                "userIdentity": {
                    "type": "IAMUser",
                    "arn": ALICE,
                    "accountId": "111122223333",
                    "accessKeyId": HUMAN_KEY,
                },
            }
        ]
    }
    (root / "trail.json").write_text(json.dumps(trail), encoding="utf-8")
    (root / "credential_report.csv").write_text(
        REPORT_HEADER + "\nalice," + ALICE + ",2024-01-01T00:00:00+00:00,true,"
        "2026-02-01T00:00:00+00:00,2024-01-01T00:00:00+00:00,N/A,true,true,"
        "2025-01-01T00:00:00+00:00,2026-01-20T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,"
        "N/A,false,N/A,false,N/A\n",
        encoding="utf-8",
    )
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "identities.csv").write_text(
        "identity_id,name,kind,owner_id,created_at\n"
        "agent-a,Agent A,ai_agent,P1,2025-01-01\nagent-b,Agent B,ai_agent,,2025-01-01\n"
        "app-c,App C,app,P1,2025-01-01\nsvc-x,Service X,service_account,P1,2024-01-01\n",
        encoding="utf-8",
    )
    (inventory / "credentials.csv").write_text(
        "credential_id,identity_id,credential_type,created_at,expires_at,status,revoked_at\n"
        "K-A,agent-a,token,2025-06-01,,active,\nT-X,svc-x,token,2025-01-01,,active,\n"
        "K-TEMP,svc-x,token,2026-01-10,,revoked,2026-02-20\n",
        encoding="utf-8",
    )
    (inventory / "grants.csv").write_text(
        "grant_id,identity_id,permission,grant_type,granted_at,expires_at,revoked_at,task_id\n"
        "J1,agent-a,repo:write,jit,2026-02-01T09:00:00Z,2026-02-01T10:00:00Z,,T1\n"
        "J2,agent-a,repo:write,jit,2026-02-02T09:00:00Z,,,T2\n"
        "J3,agent-a,repo:write,jit,2026-02-03T09:00:00Z,2026-02-03T15:00:00Z,,T3\n"
        "J4,agent-b,model:invoke,jit,2026-02-04T09:00:00Z,2026-02-04T09:30:00Z,,T4\n"
        "J5,agent-a,repo:write,jit,2026-01-05T09:00:00Z,2026-01-05T12:00:00Z,,T9X\n"
        "G1,svc-x,s3:GetObject,standing,2024-01-01,,,\n",
        encoding="utf-8",
    )
    (inventory / "directory.csv").write_text(
        "person_id,name,employment_status\nP1,Pat,active\n", encoding="utf-8"
    )


def build_warehouse(root: Path) -> Path:
    """Write the world under ``root`` and load it; the files are snapshots of 02-28."""
    _write(root)
    db = root / "warehouse.duckdb"
    results = ingest_paths([str(root)], db=db, as_of=datetime(2026, 2, 28, tzinfo=UTC))
    assert [r.status for r in results] == ["loaded"] * 8, results
    return db


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    connection = connect(build_warehouse(tmp_path_factory.mktemp("agents")), read_only=True)
    yield connection
    connection.close()


def _status(results: dict, check_id: str) -> dict[str, str]:
    rows, _ = results[check_id]
    return dict(zip(rows["subject_id"], rows["status"], strict=True))


def _failing(results: dict, check_id: str) -> set[str]:
    return {s for s, status in _status(results, check_id).items() if status == "fail"}


def test_calls_are_covered_only_by_this_agents_valid_grant_for_this_task(con) -> None:
    results = agents.checks(con, AS_OF)
    assert _failing(results, "agent_call_without_jit_grant") == {"c5", "c6", "c7", "c8", "c9"}
    assert results["agent_call_without_jit_grant"][1] == 9


def test_grants_that_outlive_their_task(con) -> None:
    results = agents.checks(con, AS_OF)
    assert _status(results, "grant_outlives_task") == {
        "J1": "pass",
        "J2": "fail",
        "J3": "fail",
        "J4": "pass",
        "J5": "unknown",
    }
    assert results["grant_outlives_task"][1] == 4
    hours = agents.standing_hours(con, AS_OF).set_index("agent_id")["hours"]
    assert hours["agent-a"] == pytest.approx(2 / 3 + 638.5 + 5.5)
    assert hours["agent-b"] == 0


def test_egress_outside_the_allowlist_fails_unless_the_gateway_denied_it(con) -> None:
    results = agents.checks(con, AS_OF)
    statuses = _status(results, "agent_egress_not_allowed")
    assert {s for s, v in statuses.items() if v == "fail"} == {"c2"}
    assert statuses["c4"] == "pass" and statuses["c5"] == "unknown" and statuses["c7"] == "pass"
    assert results["agent_egress_not_allowed"][1] == 8


def test_sandboxes_with_production_secrets_and_open_egress(con) -> None:
    results = agents.checks(con, AS_OF)
    assert _status(results, "sandbox_secrets_and_open_egress") == {
        "sbx-a": "pass",
        "sbx-dev": "pass",
        "sbx-open": "fail",
    }


def test_inherited_credentials_name_their_owner_and_blast_radius(con) -> None:
    results = agents.checks(con, AS_OF)
    rows, judged = results["agent_inherited_credential"]
    by_subject = rows.set_index("subject_id")
    assert dict(by_subject["status"]) == {
        "agent-a|K-A": "pass",
        "agent-b|T-X": "fail",
        f"agent-ghost|{HUMAN_KEY}": "fail",
        "agent-a|unknown-cred": "unknown",
    }
    assert judged == 3
    assert by_subject.loc[f"agent-ghost|{HUMAN_KEY}", "severity"] == "critical"
    assert "belongs to a person, " + ALICE in by_subject.loc[f"agent-ghost|{HUMAN_KEY}", "reason"]
    assert by_subject.loc["agent-b|T-X", "severity"] == "high"
    # svc-x's standing grant s3:GetObject is what the borrowed token reaches.
    assert by_subject.loc["agent-b|T-X", "evidence"] == "svc-x s3"


def test_shadow_apps_are_unlisted_or_ownerless(con) -> None:
    results = agents.checks(con, AS_OF)
    assert _status(results, "shadow_ai_app") == {
        "agent-a": "pass",
        "agent-b": "fail",
        "agent-ghost": "fail",
        "app-c": "pass",
    }


def test_paths_created_and_gone_between_reviews(con) -> None:
    results = agents.checks(con, AS_OF)
    assert _status(results, "access_path_missed_by_review") == {
        "J1": "fail",
        "J2": "pass",
        "J3": "fail",
        "J4": "fail",
        "J5": "fail",
        "K-TEMP": "fail",
    }
    explicit = agents.Settings(review_dates=(datetime(2026, 1, 6, tzinfo=UTC), AS_OF))
    assert _failing(agents.checks(con, AS_OF, explicit), "access_path_missed_by_review") == {
        "J1",
        "J3",
        "J4",
        "K-TEMP",
    }


def test_headline_counts_match_the_hand_count(con) -> None:
    values = headline(con, AS_OF)
    assert values["agents.total"] == 3  # agent-a, agent-b, agent-ghost
    assert values["agents.jit_coverage"] == pytest.approx(4 / 9, abs=1e-4)
    assert values["agents.egress_violations"] == 1
    assert values["agents.sandboxes_open_egress"] == 1
    assert values["agents.inherited_credentials"] == 2
    assert values["agents.shadow_apps"] == 2
    assert values["grants.outliving_task"] == 2
    assert values["grants.standing_privilege_hours"] == pytest.approx(644.67)
    assert values["grants.missed_by_review"] == 5
    # The inventory counts what inventories list: not agent-ghost, seen only in the gateway.
    assert (values["inventory.identities_total"], values["inventory.ai_agents_total"]) == (4, 2)


def test_all_checks_run_together_judge_as_each_topic_run_alone(con) -> None:
    # run_all builds the privilege tables once for both topics. Tables of an as-of before
    # svc-x's grant, left on the connection, must not be what the agent checks read.
    privilege.prepare(con, datetime(2023, 6, 1, tzinfo=UTC))
    (stale,) = con.execute(
        "select count(*) from privilege_granted where identity_id = 'svc-x'"
    ).fetchone()
    assert stale == 0

    together = registry.run_all(con, AS_OF)
    alone = {
        **ttr.checks(con, AS_OF),
        **privilege.checks(con, AS_OF),
        **agents.checks(con, AS_OF),
    }

    inherited = together["agent_inherited_credential"][0].set_index("subject_id")
    assert inherited.loc["agent-b|T-X", "evidence"] == "svc-x s3"
    assert together.keys() == alone.keys()
    for check_id, (rows, judged) in alone.items():
        pd.testing.assert_frame_equal(together[check_id][0], rows, obj=check_id)
        assert together[check_id][1] == judged, check_id


def test_every_denominator_counts_the_rows_that_pass_or_fail(con) -> None:
    for check_id, (rows, judged) in agents.checks(con, AS_OF).items():
        assert judged == rows["status"].isin(("pass", "fail")).sum(), check_id


def _span(span_id: str, parent: str | None, name: str, attributes: dict[str, str]) -> dict:
    return {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": span_id,
        **({"parentSpanId": parent} if parent else {}),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": "1770000000000000000",  # 2026-02-02T02:40:00Z
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes.items()],
    }


def test_trace_tool_calls_are_judged_where_traces_can_tell(tmp_path: Path) -> None:
    agent = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": "agent-t",
        "gen_ai.conversation.id": "conv-9",
    }
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "upload",
        "server.address": "paste.example.net",
    }
    request = {
        "resourceSpans": [
            {
                "resource": {},
                "scopeSpans": [
                    {
                        "spans": [
                            _span("b7ad6b7169203331", None, "invoke_agent", agent),
                            _span(
                                "00f067aa0ba902b7", "b7ad6b7169203331", "execute_tool upload", tool
                            ),
                        ]
                    }
                ],
            }
        ]
    }
    (tmp_path / "trace.jsonl").write_text(json.dumps(request) + "\n", encoding="utf-8")
    (tmp_path / "sandbox.yaml").write_text(
        "sandbox_id: sbx-t\nagents: [agent-t]\negress:\n  allow: [api.github.com]\n", "utf-8"
    )
    db = tmp_path / "warehouse.duckdb"
    ingest_paths([str(tmp_path)], db=db, as_of=datetime(2026, 2, 28, tzinfo=UTC))
    con = connect(db, read_only=True)
    try:
        results = agents.checks(con, AS_OF)
        calls = agents.calls(con)
    finally:
        con.close()

    # The agent's own span is not a tool call; the tool span is, in the agent run's task.
    assert calls[["agent_id", "tool", "task_id", "target_host"]].values.tolist() == [
        ["agent-t", "upload", "conv-9", "paste.example.net"]
    ]
    (event_id,) = calls["event_id"]
    assert _status(results, "agent_call_without_jit_grant") == {event_id: "unknown"}
    assert _status(results, "agent_egress_not_allowed") == {event_id: "fail"}


def test_privilege_denominators_hold_beside_tool_calls_that_name_no_account(con) -> None:
    # Gateway calls carry no cloud account; an identity whose account no audit log covers
    # must still be "unknown", not judged.
    for check_id, (rows, judged) in privilege.checks(con, AS_OF).items():
        assert judged == rows["status"].isin(("pass", "fail")).sum(), check_id
