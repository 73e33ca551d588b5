"""OpenTelemetry GenAI traces, as the Collector's file exporter writes them (OTLP JSON).

A file holds ``ExportTraceServiceRequest`` objects, one a line (or one pretty-printed):
``resourceSpans[].resource`` and ``resourceSpans[].scopeSpans[].spans[]``. Ids are hex as
OTLP/JSON writes them, or base64 as protobuf's generic JSON mapping writes them (which also
writes enums by name, ``SPAN_KIND_CLIENT``, ``STATUS_CODE_ERROR``): both are read.

Every span is one record and one ``events`` row (``source_kind`` ``otel-genai``), mapped by
the GenAI semantic conventions: the operation (``gen_ai.operation.name``) gives the action,
``tool:<gen_ai.tool.name>`` for ``execute_tool``, ``agent:<operation>`` for agent operations,
``model:<operation>`` for model calls, else the span name. The agent (``gen_ai.agent.id``,
else ``gen_ai.agent.name``) is the acting identity and becomes an ``identities`` row of kind
``ai_agent``. A span without agent attributes (a tool call, an HTTP call, a model call made
while an agent ran) is the agent's when an ancestor span of the same trace *in the same
file* names one: a trace cut across files by the exporter's rotation loses that link, and
the file's warnings count the spans it left without an agent.

Only the facts listed in ``docs/otel-genai.md`` are kept. Prompts, messages, tool arguments
and results (``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, ``gen_ai.tool.call.arguments``, ``gen_ai.tool.call.result``)
and every other attribute may hold secrets and personal data: they are never read into the
warehouse. ``url.full`` is kept without its user-info, path parameters, query and fragment,
which may carry tokens; a token written into the path itself is not recognised.

Caveats: a status message is an error code only on a span whose status is an error (OTLP
defines no meaning for it otherwise); ``error.type`` is kept whenever a span states it, but
only an error status makes the outcome ``failure``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from analytics.errors import InputError, RecordRejected
from analytics.ingest.base import Context, Rows
from analytics.ingest.otlp import (
    Attributes,
    Unreadable,
    attribute_values,
    not_traces,
    resource_attributes,
    span_ids,
    span_kind,
    span_status,
    start_time,
    type_name,
    url_parts,
    walk,
)
from analytics.ingest.readers import RawRecord, iter_json
from analytics.redaction import scrub_free_text

KIND = "otel-genai"

# Operations of the GenAI conventions that an agent performs, and those that call a model.
_AGENT_OPERATIONS = frozenset({"create_agent", "invoke_agent", "invoke_workflow", "plan"})
_MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
_ERROR_CODE_CHARS = 200


@dataclass(frozen=True)
class Agent:
    """What a file says of one agent: its display name and its provider, when stated."""

    name: str | None
    provider: str | None


@dataclass(frozen=True)
class SpanRecord:
    """One span, with what the rest of its file tells about it.

    Attributes
    ----------
    span
        The span object as read.
    resource
        The ``resource`` object of its ``resourceSpans`` entry.
    inherited_agent
        The agent named by the span's nearest ancestor in the same file, used when the
        span names none itself.
    inherited_conversation
        The conversation of that ancestor (or of a nearer one that states one), so that a
        tool call belongs to the same task as the agent run it was made in.
    agents
        The agents the file names, by identity id.
    """

    span: Any
    resource: Any
    inherited_agent: str | None
    inherited_conversation: str | None
    agents: dict[str, Agent]


_Key = tuple[str, str]


@dataclass(frozen=True)
class _Node:
    parent: str | None
    agent: str | None
    conversation: str | None


def read(text_: str, ctx: Context) -> Iterator[RawRecord]:
    """Yield every span of the file as one record, with its agent resolved across the file.

    Raises
    ------
    InputError
        No request of the file holds a ``resourceSpans`` array: it is not OTLP traces.
    """
    requests = list(iter_json(text_))
    if requests and not any(
        isinstance(r.data, dict) and "resourceSpans" in r.data for r in requests
    ):
        raise InputError(not_traces(requests, KIND))
    walked = [item for request in requests for item in walk(request)]
    keys, lineage, agents = _lineage(walked)
    orphans = 0
    for index, ((position, item, resource), key) in enumerate(zip(walked, keys, strict=True)):
        if isinstance(item, RawRecord):
            yield replace(item, index=index)
        elif isinstance(item, Unreadable):
            yield RawRecord(position, index, item)
        else:
            inherited, conversation, cut = _ancestor_agent(key, lineage)
            orphans += cut
            yield RawRecord(
                position, index, SpanRecord(item, resource, inherited, conversation, agents)
            )
    if orphans:
        spans = "1 span" if orphans == 1 else f"{orphans:,} spans"
        ctx.warnings.append(
            f"{ctx.path}: {spans} without agent attributes left without an agent: the parent "
            f"span is not in this file (or is malformed); load each trace in one file (the "
            f"Collector's file exporter rotates files mid-trace) to attribute them"
        )


def transform(record: RawRecord, ctx: Context) -> Rows:
    """Map one span to an ``events`` row, and its agent to an ``identities`` row."""
    item = record.data
    if isinstance(item, Unreadable):
        raise RecordRejected(item.field, item.reason)
    span = item.span
    if not isinstance(span, dict):
        raise RecordRejected("", f"expected a span object, found a JSON {type_name(span)}")
    trace_id, span_id, _ = span_ids(span)
    started = start_time(span)
    attributes = Attributes("attributes", attribute_values(span.get("attributes"), "attributes"))
    resource = resource_attributes(item.resource)
    operation = attributes.text("gen_ai.operation.name")
    name = _span_name(span)
    if not (operation or name):
        raise RecordRejected("name", "is required but missing or empty (no gen_ai.operation.name)")
    tool = attributes.text("gen_ai.tool.name")
    provider = attributes.text("gen_ai.provider.name") or attributes.text("gen_ai.system")
    agent = _own_agent(attributes) or item.inherited_agent
    failed, message = span_status(span)
    # A status message is free text, often an HTTP client's "401 ... for url: ...?token=".
    error_code = attributes.text("error.type") or (scrub_free_text(message) if failed else None)
    conversation = attributes.text("gen_ai.conversation.id") or item.inherited_conversation
    host, url = url_parts(attributes)
    server = attributes.text("server.address")
    rows = Rows().add(
        "events",
        {
            "event_id": f"{trace_id}:{span_id}",
            "source_kind": KIND,
            "event_time": started,
            "service": provider or resource.text("service.name"),
            "event_name": operation or name,
            "action": _action(operation, tool, name),
            "event_type": span_kind(span),
            "outcome": "failure" if failed else "success",
            "error_code": error_code[:_ERROR_CODE_CHARS] if error_code else None,
            "identity_id": agent,
            "principal_type": "ai_agent" if agent else None,
            "session_name": conversation,
            "account_id": resource.text("cloud.account.id"),
            "region": resource.text("cloud.region"),
            "source_ip": attributes.text("client.address"),
            "user_agent": attributes.text("user_agent.original"),
            "target_host": server.lower() if server else host,
            "resource": url or tool,
            "task_id": conversation or attributes.text("session.id") or trace_id,
        },
    )
    if agent is None:
        return rows
    known = item.agents.get(agent, Agent(None, None))
    return rows.add(
        "identities",
        {
            "identity_id": agent,
            "name": known.name,
            "kind": "ai_agent",
            "provider": known.provider,
            "source_kind": KIND,
            "observed_at": ctx.observed_at,
        },
    )


def _lineage(
    walked: list[tuple[str, Any, Any]],
) -> tuple[list[_Key | None], dict[_Key, _Node], dict[str, Agent]]:
    """Index the file's readable spans by (trace, span) with their parent and own agent.

    Returns each walked item's key (``None`` for what is not a readable span), the index,
    and what the file says of each agent: the first name and provider stated for it.
    Spans whose ids or attributes are malformed are left out; :func:`transform` rejects
    them with the reason.
    """
    keys: list[_Key | None] = []
    lineage: dict[_Key, _Node] = {}
    facts: dict[str, dict[str, str | None]] = {}
    for _, span, _ in walked:
        keys.append(None)
        if not isinstance(span, dict):
            continue
        try:
            trace_id, span_id, parent = span_ids(span)
            attributes = Attributes(
                "attributes", attribute_values(span.get("attributes"), "attributes")
            )
            agent = _own_agent(attributes)
            conversation = attributes.text("gen_ai.conversation.id")
            name = attributes.text("gen_ai.agent.name")
            provider = attributes.text("gen_ai.provider.name") or attributes.text("gen_ai.system")
        except RecordRejected:
            continue
        keys[-1] = (trace_id, span_id)
        lineage[(trace_id, span_id)] = _Node(parent, agent, conversation)
        if agent:
            known = facts.setdefault(agent, {"name": None, "provider": None})
            known["name"] = known["name"] or name
            known["provider"] = known["provider"] or provider
    return keys, lineage, {agent: Agent(**known) for agent, known in facts.items()}


def _ancestor_agent(
    key: _Key | None, lineage: dict[_Key, _Node]
) -> tuple[str | None, str | None, int]:
    """Return the agent of the span's nearest ancestor that names one, the nearest
    conversation on the way up to it, and whether the walk up was cut by a parent missing
    from the file (1) or not (0)."""
    node = lineage.get(key) if key else None
    if key is None or node is None or node.agent:
        return None, None, 0
    trace_id, span_id = key
    seen = {span_id}
    parent = node.parent
    conversation = node.conversation
    while parent and parent not in seen:
        seen.add(parent)
        ancestor = lineage.get((trace_id, parent))
        if ancestor is None:
            return None, conversation, 1
        conversation = conversation or ancestor.conversation
        if ancestor.agent:
            return ancestor.agent, conversation, 0
        parent = ancestor.parent
    return None, conversation, 0


def _own_agent(attributes: Attributes) -> str | None:
    return attributes.text("gen_ai.agent.id") or attributes.text("gen_ai.agent.name")


def _span_name(span: dict[str, Any]) -> str | None:
    name = span.get("name")
    if name is None:
        return None
    if isinstance(name, str):
        return name.strip() or None
    raise RecordRejected("name", f"expected text, found a JSON {type_name(name)}")


def _action(operation: str | None, tool: str | None, name: str | None) -> str:
    if operation == "execute_tool" and tool:
        return f"tool:{tool}"
    if operation in _AGENT_OPERATIONS:
        return f"agent:{operation}"
    if operation in _MODEL_OPERATIONS:
        return f"model:{operation}"
    return name or operation or ""
