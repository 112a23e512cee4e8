"""OTLP JSON trace files (``{"resourceSpans": [...]}``, or one such document per line) as traces.

Follows the OTLP/JSON encoding: attributes as ``[{key, value: {stringValue|intValue|...}}]``
(``arrayValue``/``kvlistValue`` decoded to lists/dicts; the proto's snake_case names too), hex
ids, nanosecond times as strings. Spans become steps through the one span mapping
(``_otel_spans.build_trace``), shared with the live exporter and the backend pulls.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers import Importer, register
from agentdbg.importers._common import ImportBuilder, as_dict, as_int, read_json_file, sniff_json_head
from agentdbg.importers._otel_spans import OtelSpan, build_trace
from agentdbg.model.trace import Trace

_STATUS_ERROR = {2, "2", "STATUS_CODE_ERROR", "ERROR"}


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    return text.startswith(b"{") and (b'"resourceSpans"' in text[:4096] or b'"resource_spans"' in text[:4096])


_VALUE_KINDS = {
    "stringValue": "string",
    "string_value": "string",
    "intValue": "int",
    "int_value": "int",
    "doubleValue": "double",
    "double_value": "double",
    "boolValue": "bool",
    "bool_value": "bool",
    "arrayValue": "array",
    "array_value": "array",
    "kvlistValue": "kvlist",
    "kvlist_value": "kvlist",
    "bytesValue": "bytes",
    "bytes_value": "bytes",
}


def any_value(value: Any) -> Any:
    """A Python value from an OTLP JSON ``AnyValue`` (camelCase or the proto's snake_case field names)."""
    if not isinstance(value, dict):
        return value
    raw: Any
    kind, raw = next(
        ((_VALUE_KINDS[k], v) for k, v in value.items() if k in _VALUE_KINDS and v is not None), (None, None)
    )
    if kind == "string":
        return raw
    if kind == "int":
        return as_int(raw)
    if kind == "double":
        try:
            return float(raw)
        except (TypeError, ValueError):
            return raw
    if kind == "bool":
        return bool(raw)
    if kind == "array":
        return [any_value(v) for v in (raw or {}).get("values") or []]
    if kind == "kvlist":
        return key_values((raw or {}).get("values") or [])
    if kind == "bytes":
        try:
            return base64.b64decode(raw).hex()
        except (ValueError, TypeError):
            return raw
    return None


def key_values(items: Any) -> dict[str, Any]:
    """``[{key, value}]`` as a dict (malformed entries skipped)."""
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = any_value(item.get("value"))
    return out


def _nanos(value: Any) -> float | None:
    number = as_int(value)
    return number / 1e9 if number else None


def _documents(path: Path, b: ImportBuilder) -> list[Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        b.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return []
    try:
        return [orjson.loads(raw)]
    except orjson.JSONDecodeError:
        pass
    documents, bad = [], 0
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            bad += 1
            b.problem(f"not valid JSON: {exc}", number, "error")
    if not documents and not bad:
        read_json_file(path, b)
    return documents


def _field(record: dict[str, Any], camel: str, snake: str) -> Any:
    value = record.get(camel)
    return value if value is not None else record.get(snake)


def _events(span: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for event in span.get("events") or []:
        if isinstance(event, dict):
            body = any_value(event.get("body")) if isinstance(event.get("body"), dict) else {}
            fields = {**(body if isinstance(body, dict) else {}), **key_values(event.get("attributes"))}
            events.append((str(event.get("name") or ""), fields))
    return events


def otel_span(span: dict[str, Any], resource: dict[str, Any]) -> OtelSpan:
    """One OTLP JSON span (camelCase or snake_case fields, hex ids) as an ``OtelSpan``."""
    status = as_dict(span.get("status"))
    parent = _field(span, "parentSpanId", "parent_span_id")
    return OtelSpan(
        span_id=str(_field(span, "spanId", "span_id")),
        name=str(span.get("name") or ""),
        parent_id=str(parent) if parent else None,
        trace_id=str(_field(span, "traceId", "trace_id") or "") or None,
        start=_nanos(_field(span, "startTimeUnixNano", "start_time_unix_nano")),
        end=_nanos(_field(span, "endTimeUnixNano", "end_time_unix_nano")),
        attrs=key_values(span.get("attributes")),
        events=_events(span),
        status_error=status.get("code") in _STATUS_ERROR,
        status_message=str(status.get("message") or ""),
        kind=span.get("kind"),
        resource=resource,
    )


def spans_of(document: Any, b: ImportBuilder) -> list[OtelSpan]:
    """Every span of one OTLP JSON ``{resourceSpans: [...]}`` document (bad entries reported to ``b``)."""
    resource_spans = (
        _field(document, "resourceSpans", "resource_spans") if isinstance(document, dict) else None
    )
    if not isinstance(resource_spans, list):
        b.problem("a document has no `resourceSpans` list; skipped", severity="error")
        return []
    spans: list[OtelSpan] = []
    for resource_span in resource_spans:
        if not isinstance(resource_span, dict):
            continue
        resource = key_values((resource_span.get("resource") or {}).get("attributes"))
        for scope_span in _field(resource_span, "scopeSpans", "scope_spans") or []:
            for span in (scope_span or {}).get("spans") or [] if isinstance(scope_span, dict) else []:
                if isinstance(span, dict) and _field(span, "spanId", "span_id"):
                    spans.append(otel_span(span, resource))
                else:
                    b.problem("a span without spanId; skipped", severity="warning")
    return spans


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "otlp-json")
    spans = [span for document in _documents(path, b) for span in spans_of(document, b)]
    return build_trace(spans, b)


register(
    Importer(
        "otlp-json",
        "OTLP JSON trace file (resourceSpans; OTel GenAI, OpenInference, Vercel AI attributes)",
        sniff,
        load,
    )
)
