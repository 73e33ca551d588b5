"""The agent-gateway adapter: tool calls as events, agents as identities, nothing else kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import stored_values

CALLS = Path(__file__).resolve().parent.parent / "data" / "agent-gateway" / "calls.jsonl"
CANARY = "canary-gw-0f9e8d7c6b5a"


def test_tool_calls_load_with_agent_task_credential_grant_and_decision(load, query) -> None:
    (result,) = load(CALLS)

    assert (result.kind, result.read, result.loaded, result.rejected) == ("agent-gateway", 7, 3, 4)
    rows = query(
        "select event_id, event_time, identity_id, action, outcome, error_code, task_id, "
        "session_name, access_key_id, grant_id, target_host, detail from events "
        "where source_kind = 'agent-gateway' order by event_time, event_id"
    )
    first, second, third = rows
    assert first == (
        "c-1",
        datetime(2026, 11, 29, 10, 15, 2, tzinfo=UTC),
        "agent:support-triage",
        "tool:github.create_issue",
        "success",
        None,
        "TASK-1",
        "s-9",
        "ghs-app-7731",
        "JIT-1",
        "api.github.com",
        "sandbox_id=sbx-support;on_behalf_of=P0012",
    )
    assert second[0] == "c-2" and second[4:6] == ("failure", "denied") and second[9] is None
    assert third[1] == datetime.fromtimestamp(1796034000, tz=UTC)
    assert third[2:5] == ("agent:data-analyst", "tool:warehouse.query", "success")
    assert len(third[0]) == 24  # no call_id: a hash of the kept fields


def test_agents_become_ai_agent_identities_once(load, query) -> None:
    load(CALLS)

    assert query(
        "select identity_id, name, kind from identities where source_kind = 'agent-gateway' "
        "order by identity_id"
    ) == [
        ("agent:data-analyst", None, "ai_agent"),
        ("agent:support-triage", "Support triage", "ai_agent"),
    ]


def test_bad_lines_are_rejected_with_line_field_and_reason(load, query) -> None:
    load(CALLS)

    rejected = query("select position, field, reason from rejected_records order by position")
    assert [(position, field) for position, field, _ in rejected] == [
        ("line 4", "time"),
        ("line 5", "tool"),
        ("line 6", "decision"),
        ("line 7", None),
    ]
    reasons = [reason for _, _, reason in rejected]
    assert "expected an ISO 8601 time" in reasons[0]
    assert reasons[1] == "is required but missing or empty"
    assert reasons[2] == "expected allowed or denied, found 'maybe'"
    assert reasons[3].startswith("expected a tool-call object")


def test_loading_twice_changes_nothing_and_arguments_are_never_kept(load, db) -> None:
    load(CALLS)
    (again,) = load(CALLS)

    assert again.status == "already_loaded"
    assert not [value for value in stored_values(db) if CANARY in value]
