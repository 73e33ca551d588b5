"""OTLP trace requests in JSON, as the OpenTelemetry Collector's file exporter writes them.

The decoding that any adapter of OTLP traces needs, apart from what the spans mean: walking
``resourceSpans[].scopeSpans[].spans[]``, ids as hex (OTLP/JSON) or base64 (protobuf's
generic JSON mapping), times in nanoseconds, ``[{"key":..,"value":{..}}]`` attributes, span
kinds and status codes as numbers or enum names, and URLs stripped of what may carry a
token. Each helper raises :class:`~analytics.errors.RecordRejected` naming the field.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from analytics.errors import RecordRejected
from analytics.ingest.readers import RawRecord
from analytics.redaction import quoted

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ID_BYTES = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
_SPAN_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
_STATUS_ERROR = 2
_SCALARS = ("stringValue", "intValue", "doubleValue", "boolValue")
# The other OTLP signals, named when a file holds one of them instead of traces.
_OTHER_SIGNALS = {
    "resourceLogs": "logs",
    "resourceMetrics": "metrics",
    "resourceProfiles": "profiles",
}


@dataclass(frozen=True)
class Unreadable:
    """A part of a request that should hold spans but cannot be walked to them."""

    field: str
    reason: str


@dataclass(frozen=True)
class Attributes:
    """A span's or a resource's attributes by key, read as text where the mapping needs it."""

    field: str
    values: dict[str, Any]

    def text(self, key: str) -> str | None:
        """Return a scalar attribute as text; absent or empty gives ``None``."""
        value = self.values.get(key)
        if not value:
            return None
        field = f"{self.field}[{key}]"
        found = next((name for name in _SCALARS if name in value), None)
        if found is None:
            raise RecordRejected(
                field,
                f"expected a text, number or boolean value, found {', '.join(value)[:60]}",
            )
        scalar = value[found]
        if found == "boolValue" and isinstance(scalar, bool):
            return str(scalar).lower()
        if found == "stringValue" and isinstance(scalar, str):
            return scalar.strip() or None
        numeric = isinstance(scalar, (int, float, str)) and not isinstance(scalar, bool)
        if found in ("intValue", "doubleValue") and numeric:
            return str(scalar).strip() or None
        raise RecordRejected(
            field, f"expected {found} of its type, found a JSON {type_name(scalar)}"
        )


def walk(request: RawRecord) -> Iterator[tuple[str, Any, Any]]:
    """Yield ``(position, span, resource)`` for each span of one request.

    A fragment that could not be parsed comes back as itself; a part that cannot be walked
    to its spans (a string where a ``scopeSpans`` entry belongs) as :class:`Unreadable`.
    """
    if request.error is not None:
        yield request.position, request, None
        return
    where = "" if request.position == "document" else f"{request.position} "
    data = request.data
    if not isinstance(data, dict) or not isinstance(data.get("resourceSpans"), list):
        found = "an object without one" if isinstance(data, dict) else f"a JSON {type_name(data)}"
        reason = f"expected an OTLP trace request's array of resource spans, found {found}"
        yield request.position, Unreadable("resourceSpans", reason), None
        return
    for i, group in enumerate(data["resourceSpans"]):
        at = f"{where}resourceSpans[{i}]"
        if not isinstance(group, dict):
            reason = (
                f"expected an object with resource and scopeSpans, found a JSON {type_name(group)}"
            )
            yield at, Unreadable("", reason), None
            continue
        # OTLP before 0.15 called scopeSpans instrumentationLibrarySpans.
        key = "instrumentationLibrarySpans" if "scopeSpans" not in group else "scopeSpans"
        scopes = group.get(key) or []
        if not isinstance(scopes, list):
            yield at, Unreadable(key, f"expected an array, found a JSON {type_name(scopes)}"), None
            continue
        for j, scope in enumerate(scopes):
            at_scope = f"{at}.{key}[{j}]"
            if not isinstance(scope, dict):
                reason = f"expected an object with spans, found a JSON {type_name(scope)}"
                yield at_scope, Unreadable("", reason), None
                continue
            spans = scope.get("spans") or []
            if not isinstance(spans, list):
                reason = f"expected an array of spans, found a JSON {type_name(spans)}"
                yield at_scope, Unreadable("spans", reason), None
                continue
            for k, span in enumerate(spans):
                yield f"{at_scope}.spans[{k}]", span, group.get("resource")


def span_ids(span: dict[str, Any]) -> tuple[str, str, str | None]:
    """Return the trace id, span id and parent span id as lower-case hex.

    A missing, empty or all-zero parent (which some exporters write) means a root span.
    """
    trace_id = _id(span, "traceId")
    if trace_id is None:
        raise RecordRejected("traceId", "is required but missing, empty or all zeros")
    span_id = _id(span, "spanId")
    if span_id is None:
        raise RecordRejected("spanId", "is required but missing, empty or all zeros")
    return trace_id, span_id, _id(span, "parentSpanId")


def _id(span: dict[str, Any], field: str) -> str | None:
    """Return one id as lower-case hex; ``None`` when absent, empty or all zeros."""
    value = span.get(field)
    if value is None or value == "":
        return None
    size = _ID_BYTES[field]
    expected = f"expected {size} bytes as {2 * size} hex digits or as base64"
    if not isinstance(value, str):
        raise RecordRejected(field, f"{expected}, found a JSON {type_name(value)}")
    raw = _id_bytes(value.strip(), size)
    if raw is None:
        raise RecordRejected(field, f"{expected}, found {quoted(value, 40)}")
    return raw.hex() if any(raw) else None


def _id_bytes(value: str, size: int) -> bytes | None:
    """Decode an id written as hex (OTLP/JSON) or base64 (protobuf's JSON mapping).

    The two cannot be confused: ``size`` bytes take ``2 * size`` hex digits but only about
    ``4 * size / 3`` base64 characters.
    """
    if len(value) == 2 * size:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return None
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def start_time(span: dict[str, Any]) -> datetime:
    value = span.get("startTimeUnixNano")
    field = "startTimeUnixNano"
    if value is None or value in ("", 0, "0"):
        raise RecordRejected(field, "is required but missing or zero")
    if isinstance(value, str) and value.strip().isdigit():
        nanos = int(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        nanos = int(value)
    else:
        raise RecordRejected(
            field,
            f"expected nanoseconds since 1970 as an integer or a string of digits, "
            f"found {quoted(value, 40)}",
        )
    try:
        return _EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError as exc:
        raise RecordRejected(field, f"is out of range ({nanos} nanoseconds)") from exc


def attribute_values(value: Any, field: str) -> dict[str, Any]:
    """Return OTLP ``[{"key":..,"value":{..}}]`` as ``{key: AnyValue object}``."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise RecordRejected(
            field, f"expected a list of key-value objects, found a JSON {type_name(value)}"
        )
    values: dict[str, Any] = {}
    for number, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            found = "an object without a text key" if isinstance(entry, dict) else type_name(entry)
            raise RecordRejected(
                f"{field}[{number}]", f"expected an object with a text key, found {found}"
            )
        any_value = entry.get("value")
        if any_value is not None and not isinstance(any_value, dict):
            raise RecordRejected(
                f"{field}[{number}].value",
                f'expected an object such as {{"stringValue": ...}}, '
                f"found a JSON {type_name(any_value)}",
            )
        values[entry["key"]] = any_value or {}
    return values


def resource_attributes(resource: Any) -> Attributes:
    if resource is None:
        return Attributes("resource.attributes", {})
    if not isinstance(resource, dict):
        raise RecordRejected(
            "resource", f"expected an object with attributes, found a JSON {type_name(resource)}"
        )
    values = attribute_values(resource.get("attributes"), "resource.attributes")
    return Attributes("resource.attributes", values)


def span_kind(span: dict[str, Any]) -> str | None:
    """Return the span kind as a word (``client``...), ``None`` when unspecified."""
    kind = span.get("kind")
    if kind is None:
        return None
    if isinstance(kind, str):
        word = kind.strip().removeprefix("SPAN_KIND_").lower()
        if word in _SPAN_KINDS.values():
            return word
        if word == "unspecified":
            return None
        kind = int(word) if word.isdigit() else kind
    if isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= len(_SPAN_KINDS):
        return _SPAN_KINDS.get(kind)
    raise RecordRejected(
        "kind", f"expected 0 to 5 or a name such as SPAN_KIND_CLIENT, found {quoted(kind, 40)}"
    )


def span_status(span: dict[str, Any]) -> tuple[bool, str | None]:
    """Return whether the span's status is an error, and its message."""
    status = span.get("status")
    if status is None:
        return False, None
    if not isinstance(status, dict):
        raise RecordRejected(
            "status", f"expected an object with code and message, found a JSON {type_name(status)}"
        )
    code = status.get("code") or 0
    if isinstance(code, str):
        code = int(code) if code.isdigit() else _STATUS_CODES.get(code.strip(), code)
    if isinstance(code, bool) or code not in _STATUS_CODES.values():
        raise RecordRejected(
            "status.code",
            f"expected 0, 1, 2 or a name such as STATUS_CODE_ERROR, found {quoted(code, 40)}",
        )
    message = status.get("message")
    if message is not None and not isinstance(message, str):
        raise RecordRejected("status.message", f"expected text, found a JSON {type_name(message)}")
    return code == _STATUS_ERROR, (message or "").strip() or None


def url_parts(attributes: Attributes) -> tuple[str | None, str | None]:
    """Return the host of ``url.full`` and the URL without what may carry a token.

    User-info, path parameters (``;jsessionid=...``), query and fragment are dropped. The
    value is never quoted in a rejection: it may hold a token.
    """
    url = attributes.text("url.full")
    if url is None:
        return None, None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise RecordRejected(
            "attributes[url.full]", "expected a URL, found text that does not parse as one"
        ) from exc
    netloc = ""
    if host:
        netloc = f"[{host}]" if ":" in host else host
        netloc += f":{port}" if port is not None else ""
    path = "/".join(segment.split(";", 1)[0] for segment in parts.path.split("/"))
    return host, urlunsplit((parts.scheme, netloc, path, "", "")) or None


def not_traces(requests: list[RawRecord], kind: str) -> str:
    for request in requests:
        if isinstance(request.data, dict):
            for key, signal in _OTHER_SIGNALS.items():
                if key in request.data:
                    return (
                        f"this is OTLP {signal} ({key}), not traces: --kind {kind} reads trace "
                        f"exports (resourceSpans); export the traces pipeline to a file"
                    )
    return (
        "this is not OTLP trace data: no line holds a resourceSpans array as the OpenTelemetry "
        "Collector's file exporter writes it; check the file or pass the --kind that fits it"
    )


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__
