"""Tool-gateway and MCP-proxy logs: one JSON line per tool call an agent made or was refused.

For gateways that emit no OpenTelemetry, nhi-risk documents a small format
(``docs/agent-gateway.md``): ``time``, ``agent_id``, ``tool`` and ``decision`` are required;
``call_id``, ``agent_name``, ``task_id``, ``session_id``, ``target_host``, ``credential_id``,
``grant_id``, ``on_behalf_of`` and ``sandbox_id`` are optional. Each line becomes one
``events`` row (``source_kind`` ``agent-gateway``) and the agent an ``identities`` row of
kind ``ai_agent``.

The credential id is kept in ``events.access_key_id`` (the column holds the id of whatever
credential made a call) and the grant id in ``events.grant_id``: together they tell a call
made under a task-scoped grant from one made with a standing credential. A refused call is
an event with outcome ``failure`` and error code ``denied``.

Only the fields above are kept: tool arguments and results, which gateways often log, may
hold secrets and personal data, and are never read into the warehouse. A line without a
``call_id`` gets an id hashed from its kept fields, so the same line loaded twice is one
event.
"""

from __future__ import annotations

from collections.abc import Iterator

from analytics.errors import RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.fields import require, stable_id, text, time_field
from analytics.ingest.readers import RawRecord, iter_json
from analytics.redaction import quoted

KIND = "agent-gateway"
DECISIONS = {"allowed": "success", "allow": "success", "denied": "failure", "deny": "failure"}
_OPTIONAL = (
    "agent_name",
    "task_id",
    "session_id",
    "target_host",
    "credential_id",
    "grant_id",
    "on_behalf_of",
    "sandbox_id",
)


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield one record per line (or per element of a JSON array of calls)."""
    yield from iter_json(text_)


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one tool call to an event, and its agent to an identity."""
    call = record.data
    if not isinstance(call, dict):
        raise RecordRejected("", f"expected a tool-call object, found {type(call).__name__}")
    moment = time_field(call, "time")
    if moment is None:
        raise RecordRejected("time", "is required but missing or empty")
    agent = require(call, "agent_id")
    tool = require(call, "tool")
    decision = require(call, "decision").lower()
    if decision not in DECISIONS:
        raise RecordRejected(
            "decision", f"expected allowed or denied, found {quoted(decision, 40)}"
        )
    fields = {name: text(call, name) for name in _OPTIONAL}
    host = fields["target_host"]
    call_id = text(call, "call_id") or stable_id(
        moment.isoformat(), agent, tool, decision, *fields.values()
    )
    rows = Rows().add(
        "events",
        {
            "event_id": call_id,
            "source_kind": KIND,
            "event_time": moment,
            "service": "agent-gateway",
            "event_name": tool,
            "action": f"tool:{tool}",
            "event_type": "tool_call",
            "outcome": DECISIONS[decision],
            "error_code": "denied" if DECISIONS[decision] == "failure" else None,
            "identity_id": agent,
            "principal_type": "ai_agent",
            "session_name": fields["session_id"],
            "access_key_id": fields["credential_id"],
            "grant_id": fields["grant_id"],
            "target_host": host.lower() if host else None,
            "detail": _detail(fields),
            "task_id": fields["task_id"],
        },
    )
    return rows.add(
        "identities",
        {
            "identity_id": agent,
            "name": fields["agent_name"],
            "kind": "ai_agent",
            "source_kind": KIND,
            "observed_at": ctx.observed_at,
        },
    )


def _detail(fields: dict[str, str | None]) -> str | None:
    """``sandbox_id=...;on_behalf_of=...``: where the agent ran and for whom, when stated."""
    parts = [f"{name}={fields[name]}" for name in ("sandbox_id", "on_behalf_of") if fields[name]]
    return ";".join(parts) or None
