"""The otel-genai adapter, on traces written by the OpenTelemetry SDK and its OTLP encoder.

The spans are made here with the SDK (a TracerProvider with an in-memory exporter), encoded
with the exporter's own ``encode_spans``, and written both as protobuf's JSON mapping (base64
ids, enum names) and as OTLP JSON the way the Collector's file exporter writes it (hex ids,
integer enums), so the adapter is checked against the real shapes, not a hand-written copy.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace import Status as SpanStatus

from analytics.ingest.detect import detect_kind
from tests.conftest import stored_values

CANARY = "canary-otel-3f8a61d2c9"
AGENT = "asst_support_triage_01"
START = datetime(2026, 11, 29, 10, 15, tzinfo=UTC)
EVENT_COLUMNS = (
    "event_id, event_time, service, event_name, action, event_type, outcome, error_code, "
    "identity_id, principal_type, session_name, account_id, region, user_agent, target_host, "
    "resource, task_id"
)


def _at(second: int) -> int:
    """Nanoseconds since 1970 of START + ``second`` s + 123,456,789 ns."""
    return int(START.timestamp()) * 10**9 + second * 10**9 + 123_456_789


def _time(second: int) -> datetime:
    """The event time the warehouse should hold for ``_at(second)``: microseconds, UTC."""
    return START.replace(second=second, microsecond=123_456)


def _make_spans() -> dict[str, ReadableSpan]:
    """An agent run (two tool calls, one failing, one making an HTTP call) and a chat call."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": "support-bot",
                "cloud.account.id": "111122223333",
                "cloud.region": "eu-west-1",
            }
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("support-bot.agents")
    with tracer.start_as_current_span(
        "invoke_agent Support triage",
        kind=SpanKind.CLIENT,
        start_time=_at(0),
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.provider.name": "openai",
            "gen_ai.agent.id": AGENT,
            "gen_ai.agent.name": "Support triage",
            "gen_ai.conversation.id": "conv_4471",
            "gen_ai.input.messages": json.dumps([{"role": "user", "content": CANARY}]),
            "gen_ai.system_instructions": f"use the key {CANARY}",
        },
    ):
        with tracer.start_as_current_span(
            "execute_tool search_issues",
            kind=SpanKind.INTERNAL,
            start_time=_at(1),
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "search_issues",
                "gen_ai.tool.call.id": "call_81f2",
                "gen_ai.tool.call.arguments": json.dumps({"token": CANARY}),
                "server.address": "API.GitHub.com",
            },
        ):
            with tracer.start_as_current_span(
                "GET",
                kind=SpanKind.CLIENT,
                start_time=_at(2),
                attributes={
                    "http.request.method": "GET",
                    "url.full": f"https://ci-bot:{CANARY}@api.github.com:8443/search/issues"
                    f";jsessionid={CANARY}?q=repo:o/r&token={CANARY}#{CANARY}",
                    "user_agent.original": "support-bot/1.4",
                },
            ):
                pass
        with tracer.start_as_current_span(
            "execute_tool delete_branch",
            kind=SpanKind.INTERNAL,
            start_time=_at(3),
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "delete_branch",
                "gen_ai.tool.call.result": CANARY,
                "error.type": "PermissionError",
            },
        ) as failing:
            failing.set_status(SpanStatus(StatusCode.ERROR, "403 from the git host"))
    with tracer.start_as_current_span(
        "chat gpt-4o",
        kind=SpanKind.CLIENT,
        start_time=_at(4),
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "server.address": "api.openai.com",
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": CANARY}]),
        },
    ):
        pass
    return {span.name: span for span in exporter.get_finished_spans()}


@pytest.fixture(scope="module")
def spans() -> dict[str, ReadableSpan]:
    return _make_spans()


def _protobuf_json(spans: list[ReadableSpan]) -> str:
    """One request for all spans, as ``json_format.MessageToDict`` writes it."""
    return json.dumps(json_format.MessageToDict(encode_spans(spans))) + "\n"


def _otlp_json(spans: list[ReadableSpan]) -> list[dict[str, Any]]:
    """One request per span, as the Collector writes OTLP JSON: hex ids, integer enums."""
    requests = []
    for span in spans:
        request = json_format.MessageToDict(encode_spans([span]))
        for group in request["resourceSpans"]:
            for scope in group["scopeSpans"]:
                for item in scope["spans"]:
                    for field in ("traceId", "spanId", "parentSpanId"):
                        if field in item:
                            item[field] = base64.b64decode(item[field]).hex()
                    item["kind"] = Span.SpanKind.Value(item["kind"])
                    status = item.get("status", {})
                    if "code" in status:
                        status["code"] = Status.StatusCode.Value(status["code"])
        requests.append(request)
    return requests


def _lines(requests: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(request) + "\n" for request in requests)


def _event_id(span: ReadableSpan) -> str:
    return f"{span.context.trace_id:032x}:{span.context.span_id:016x}"


def _trace_id(span: ReadableSpan) -> str:
    return f"{span.context.trace_id:032x}"


def _expected_events(spans: dict[str, ReadableSpan]) -> list[tuple[object, ...]]:
    agent = spans["invoke_agent Support triage"]
    account = ("111122223333", "eu-west-1")
    return [
        (
            _event_id(agent),
            _time(0),
            "openai",
            "invoke_agent",
            "agent:invoke_agent",
            "client",
            "success",
            None,
            AGENT,
            "ai_agent",
            "conv_4471",
            *account,
            None,
            None,
            None,
            "conv_4471",
        ),
        (
            _event_id(spans["execute_tool search_issues"]),
            _time(1),
            "support-bot",
            "execute_tool",
            "tool:search_issues",
            "internal",
            "success",
            None,
            AGENT,
            "ai_agent",
            "conv_4471",
            *account,
            None,
            "api.github.com",
            "search_issues",
            "conv_4471",
        ),
        (
            _event_id(spans["GET"]),
            _time(2),
            "support-bot",
            "GET",
            "GET",
            "client",
            "success",
            None,
            AGENT,
            "ai_agent",
            "conv_4471",
            *account,
            "support-bot/1.4",
            "api.github.com",
            "https://api.github.com:8443/search/issues",
            "conv_4471",
        ),
        (
            _event_id(spans["execute_tool delete_branch"]),
            _time(3),
            "support-bot",
            "execute_tool",
            "tool:delete_branch",
            "internal",
            "failure",
            "PermissionError",
            AGENT,
            "ai_agent",
            "conv_4471",
            *account,
            None,
            None,
            "delete_branch",
            "conv_4471",
        ),
        (
            _event_id(spans["chat gpt-4o"]),
            _time(4),
            "openai",
            "chat",
            "model:chat",
            "client",
            "success",
            None,
            None,
            None,
            None,
            *account,
            None,
            "api.openai.com",
            None,
            _trace_id(spans["chat gpt-4o"]),
        ),
    ]


@pytest.mark.parametrize("encoding", ["protobuf-json", "otlp-json"])
def test_each_span_is_one_event_and_tool_and_http_calls_belong_to_their_agent(
    spans, load, query, tmp_path, encoding
):
    path = tmp_path / "traces.jsonl"
    ordered = list(spans.values())
    path.write_text(
        _protobuf_json(ordered) if encoding == "protobuf-json" else _lines(_otlp_json(ordered))
    )

    [result] = load(path)

    assert (result.kind, result.read, result.loaded, result.rejected, result.duplicate) == (
        "otel-genai",
        5,
        5,
        0,
        0,
    )
    assert query(f"select {EVENT_COLUMNS} from events order by event_time") == (
        _expected_events(spans)
    )
    assert query("select identity_id, name, kind, provider, source_kind from identities") == [
        (AGENT, "Support triage", "ai_agent", "openai", "otel-genai")
    ]
    assert result.warnings == []


def test_both_encodings_of_the_same_spans_are_the_same_events(spans, load, query, tmp_path):
    ordered = list(spans.values())
    protobuf = tmp_path / "protobuf.json"
    protobuf.write_text(_protobuf_json(ordered))
    otlp = tmp_path / "otlp.jsonl"
    otlp.write_text(_lines(_otlp_json(ordered)))

    first, second = load(protobuf, otlp)

    assert (first.loaded, second.loaded, second.duplicate, second.rejected) == (5, 0, 5, 0)
    assert query("select count(*) from events") == [(5,)]


def test_loading_twice_or_gzipped_changes_nothing(spans, load, query, tmp_path):
    text = _lines(_otlp_json(list(spans.values())))
    plain = tmp_path / "traces.jsonl"
    plain.write_text(text)
    packed = tmp_path / "traces.jsonl.gz"
    packed.write_bytes(gzip.compress(text.encode()))

    [first] = load(packed)
    [again] = load(packed)
    [unpacked] = load(plain)

    assert (first.kind, first.loaded, first.rejected) == ("otel-genai", 5, 0)
    assert again.status == "already_loaded"
    assert (unpacked.loaded, unpacked.duplicate) == (0, 5)
    assert query(f"select {EVENT_COLUMNS} from events order by event_time") == (
        _expected_events(spans)
    )


def test_a_pretty_printed_request_is_detected_and_read(spans, load, query, tmp_path):
    text = json.dumps(json_format.MessageToDict(encode_spans(list(spans.values()))), indent=2)
    path = tmp_path / "export.json"
    path.write_text(text)

    [result] = load(path)

    assert detect_kind(text) == "otel-genai"
    assert (result.kind, result.loaded) == ("otel-genai", 5)
    assert query("select count(distinct identity_id) from events") == [(1,)]


def test_malformed_spans_are_rejected_with_field_and_position_and_the_rest_load(
    spans, load, query, tmp_path
):
    requests = _otlp_json(list(spans.values()))
    by_name = {r["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"]: r for r in requests}

    def span(name: str) -> dict[str, Any]:
        return by_name[name]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]

    span("GET")["traceId"] = "not-a-trace-id"
    del span("execute_tool delete_branch")["startTimeUnixNano"]
    span("chat gpt-4o")["attributes"] = {"gen_ai.operation.name": "chat"}
    # OTLP JSON may write times as numbers too.
    span("invoke_agent Support triage")["startTimeUnixNano"] = _at(0)
    path = tmp_path / "mixed.jsonl"
    path.write_text(_lines(requests))
    line = {name: number for number, name in enumerate(by_name, start=1)}
    where = "resourceSpans[0].scopeSpans[0].spans[0]"

    [result] = load(path)

    assert (result.read, result.loaded, result.rejected) == (5, 2, 3)
    assert query("select position, field, reason from rejected_records order by position") == (
        sorted(
            [
                (
                    f"line {line['GET']} {where}",
                    "traceId",
                    "expected 16 bytes as 32 hex digits or as base64, found 'not-a-trace-id'",
                ),
                (
                    f"line {line['execute_tool delete_branch']} {where}",
                    "startTimeUnixNano",
                    "is required but missing or zero",
                ),
                (
                    f"line {line['chat gpt-4o']} {where}",
                    "attributes",
                    "expected a list of key-value objects, found a JSON dict",
                ),
            ]
        )
    )
    assert query("select event_time, action, identity_id from events order by event_time") == [
        (_time(0), "agent:invoke_agent", AGENT),
        (_time(1), "tool:search_issues", AGENT),
    ]


def test_a_tool_call_whose_agent_span_is_in_another_file_has_no_agent_and_a_warning(
    spans, load, query, tmp_path
):
    path = tmp_path / "rotated.jsonl"
    path.write_text(_lines(_otlp_json([spans["execute_tool delete_branch"]])))

    [result] = load(path)

    assert result.loaded == 1
    assert query("select identity_id, principal_type from events") == [(None, None)]
    assert query("select count(*) from identities") == [(0,)]
    assert len(result.warnings) == 1
    assert "1 span without agent attributes left without an agent" in result.warnings[0]


def test_a_failed_span_without_error_type_keeps_its_status_message_cut_to_200_chars(
    load, query, tmp_path
):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    message = "upstream refused the call: " + "x" * 300
    with provider.get_tracer("t").start_as_current_span(
        "execute_tool fetch", start_time=_at(5), attributes={"gen_ai.tool.name": "fetch"}
    ) as span:
        span.set_status(SpanStatus(StatusCode.ERROR, message))
    path = tmp_path / "failed.jsonl"
    path.write_text(_lines(_otlp_json(list(exporter.get_finished_spans()))))

    load(path)

    # No gen_ai.operation.name: the span name is the event name and the action.
    assert query("select event_name, action, outcome, error_code, resource from events") == [
        ("execute_tool fetch", "execute_tool fetch", "failure", message[:200], "fetch")
    ]


def test_prompts_tool_arguments_results_and_url_secrets_are_never_stored(
    spans, db, load, tmp_path
):
    path = tmp_path / "traces.jsonl"
    path.write_text(_protobuf_json(list(spans.values())))

    [result] = load(path)

    assert result.loaded == 5
    assert [value for value in stored_values(db) if CANARY in value] == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"Records": [{"eventName": "GetObject", "eventTime": "2026-11-29T10:00:00Z"}]}',
            "this is not OTLP trace data",
        ),
        ('{"resourceLogs": [{"scopeLogs": []}]}\n', "this is OTLP logs (resourceLogs)"),
    ],
)
def test_a_file_that_is_not_otlp_traces_fails_with_the_reason(load, tmp_path, content, expected):
    path = tmp_path / "other.json"
    path.write_text(content)

    [result] = load(path, kind="otel-genai")

    assert (result.status, result.loaded) == ("failed", 0)
    assert result.error is not None
    assert result.error.startswith(f"{path}: {expected}")


def test_detection_picks_otel_genai_only_for_trace_requests(spans):
    line = _lines(_otlp_json([spans["GET"]]))

    assert detect_kind(line) == "otel-genai"
    assert detect_kind('{"resourceLogs": []}') is None
