"""Export a trace as OTLP JSON (``resourceSpans``), ready for any OpenTelemetry collector or backend.

Follows the OTLP/JSON encoding: hex trace and span ids, nanosecond times as decimal strings,
``int64`` attribute values as strings, structured values (``gen_ai.input.messages``, tool
arguments) as ``arrayValue``/``kvlistValue``. Ids are derived from ours by hashing, so exporting
the same trace twice gives the same ids.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from typing import Any

from agentdbg.exporters.genai import resource_attributes, span_attributes, span_kind, span_name, to_json
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

SCOPE_NAME = "agentdbg"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


def otel_trace_id(trace_id: str) -> str:
    """A 32-hex-digit OTel trace id: ours if it already is one (a uuid4 hex), else a hash of it."""
    compact = trace_id.replace("-", "").lower()
    if _HEX32.match(compact) and compact != "0" * 32:
        return compact
    return hashlib.sha256(trace_id.encode("utf-8")).hexdigest()[:32]


def otel_span_id(trace_id: str, span_id: str) -> str:
    """A 16-hex-digit OTel span id: ours if it already is one, else a hash of (trace id, span id)."""
    compact = span_id.lower()
    if _HEX16.match(compact) and compact != "0" * 16:
        return compact
    digest = hashlib.sha256(f"{trace_id}\x00{span_id}".encode()).hexdigest()[:16]
    return digest if digest != "0" * 16 else "0" * 15 + "1"


def any_value(value: Any) -> dict[str, Any]:
    """``value`` as an OTLP JSON ``AnyValue`` (dicts become ``kvlistValue``, lists ``arrayValue``)."""
    kind = type(value)
    if kind is str:
        return {"stringValue": value}
    if kind is dict:
        return {"kvlistValue": {"values": key_values(value)}}
    if kind is bool:
        return {"boolValue": value}
    if kind is int:
        return {"intValue": str(value)}
    if kind is float:
        return {"doubleValue": value} if math.isfinite(value) else {"stringValue": str(value)}
    if kind is list or kind is tuple:
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if value is None:
        return {}
    if isinstance(value, str):
        return {"stringValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": bool(value)}
    if isinstance(value, int):
        return {"intValue": str(int(value))}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": key_values(value)}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    return {"stringValue": to_json(value)}


def key_values(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """A mapping as the OTLP ``[{key, value}]`` list (``None`` values are left out)."""
    return [
        {"key": str(key), "value": any_value(value)} for key, value in attributes.items() if value is not None
    ]


def _nanos(seconds: float | None) -> str:
    return str(round(seconds * 1_000_000_000)) if seconds is not None else "0"


def _status(span: Span) -> dict[str, Any]:
    if span.error is not None:
        message = span.error.message or span.error.type
        return {"code": STATUS_ERROR, "message": message}
    return {"code": STATUS_UNSET}  # an incomplete step is marked by ``agentdbg.incomplete``, not as an error


def _events(span: Span) -> list[dict[str, Any]]:
    if span.error is None:
        return []
    attributes = {"exception.type": span.error.type, "exception.message": span.error.message}
    if span.error.traceback:
        attributes["exception.stacktrace"] = span.error.traceback
    return [
        {
            "timeUnixNano": _nanos(span.ended_at or span.started_at),
            "name": "exception",
            "attributes": key_values(attributes),
        }
    ]


def otlp_span(trace: Trace, span: Span) -> dict[str, Any]:
    """One span in OTLP JSON form."""
    trace_id = trace.header.trace_id
    start = span.started_at if span.started_at is not None else trace.header.started_at
    end = span.ended_at if span.ended and span.ended_at is not None else start
    document: dict[str, Any] = {
        "traceId": otel_trace_id(trace_id),
        "spanId": otel_span_id(trace_id, span.id),
        "name": span_name(span),
        "kind": span_kind(span),
        "startTimeUnixNano": _nanos(start),
        "endTimeUnixNano": _nanos(end),
        "attributes": key_values(span_attributes(span)),
        "status": _status(span),
    }
    if span.parent_id is not None and span.parent_id in trace.by_id:
        document["parentSpanId"] = otel_span_id(trace_id, span.parent_id)
    events = _events(span)
    if events:
        document["events"] = events
    return document


def otlp_json_chunks(trace: Trace) -> Iterator[str]:
    """``to_json(to_otlp_json(trace)) + "\\n"`` in pieces: one span at a time, none kept."""
    shell = to_json(_document(trace, []))
    marker = '"spans":[]'
    if shell.count(marker) != 1:  # a header value spelled like the marker: fall back to the whole document
        yield to_json(to_otlp_json(trace)) + "\n"
        return
    head, tail = shell.split(marker)
    yield head + '"spans":['
    for n, span in enumerate(trace.spans):
        yield ("," if n else "") + to_json(otlp_span(trace, span))
    yield "]" + tail + "\n"


def to_otlp_json(trace: Trace) -> dict[str, Any]:
    """The whole trace as one OTLP JSON ``TracesData`` document (one resource, one scope)."""
    return _document(trace, [otlp_span(trace, span) for span in trace.spans])


def _document(trace: Trace, spans: list[dict[str, Any]]) -> dict[str, Any]:
    from agentdbg import __version__

    return {
        "resourceSpans": [
            {
                "resource": {"attributes": key_values(resource_attributes(trace.header))},
                "scopeSpans": [
                    {
                        "scope": {"name": SCOPE_NAME, "version": __version__},
                        "spans": spans,
                        "schemaUrl": SCHEMA_URL,
                    }
                ],
                "schemaUrl": SCHEMA_URL,
            }
        ]
    }
