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

from agentdbg.importers import Importer, register
from agentdbg.importers._common import ImportBuilder, as_dict, as_int, read_json_documents, sniff_json_head
from agentdbg.importers._otel_spans import OtelSpan, build_trace
from agentdbg.model.trace import Trace

_STATUS_ERROR = {2, "2", "STATUS_CODE_ERROR", "ERROR"}


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if not text.startswith(b"{"):
        return False
    first = text[:4096]
    if b'"resourceSpans"' in first or b'"resource_spans"' in first:
        return True
    # Tempo's v1 trace API: ``{"batches": [{resource, scopeSpans | instrumentationLibrarySpans}]}``
    return b'"batches"' in first and (b'"scopeSpans"' in first or b'"instrumentationLibrarySpans"' in first)


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


_HEX = frozenset("0123456789abcdefABCDEF")


def span_id_hex(value: Any) -> str:
    """An id as lowercase hex: OTLP/JSON writes hex, the protobuf JSON mapping (Tempo's API) base64."""
    text = str(value)
    if text and not _HEX.issuperset(text) and len(text) in (12, 24):  # 8- or 16-byte ids in base64
        try:
            return base64.b64decode(text, validate=True).hex()
        except ValueError:
            return text
    return text.lower() if _HEX.issuperset(text) else text


def otel_span(span: dict[str, Any], resource: dict[str, Any]) -> OtelSpan:
    """One OTLP JSON span (camelCase or snake_case fields, hex or base64 ids) as an ``OtelSpan``."""
    status = as_dict(span.get("status"))
    parent = _field(span, "parentSpanId", "parent_span_id")
    trace_id = _field(span, "traceId", "trace_id")
    return OtelSpan(
        span_id=span_id_hex(_field(span, "spanId", "span_id")),
        name=str(span.get("name") or ""),
        parent_id=span_id_hex(parent) if parent and span_id_hex(parent).strip("0") else None,  # zeros: none
        trace_id=span_id_hex(trace_id) if trace_id else None,
        start=_nanos(_field(span, "startTimeUnixNano", "start_time_unix_nano")),
        end=_nanos(_field(span, "endTimeUnixNano", "end_time_unix_nano")),
        attrs=key_values(span.get("attributes")),
        events=_events(span),
        status_error=status.get("code") in _STATUS_ERROR,
        status_message=str(status.get("message") or ""),
        kind=span.get("kind"),
        resource=resource,
    )


def _resource_spans(document: Any) -> Any:
    """The ``resourceSpans`` list of a document: bare, or as trace APIs wrap it (Tempo v2
    ``{"trace": {...}}``, Jaeger's api/v3 ``{"result": {...}}``, Tempo v1 ``{"batches": [...]}``)."""
    if not isinstance(document, dict):
        return None
    for wrapper in ("trace", "result"):
        if isinstance(document.get(wrapper), dict) and "resourceSpans" not in document:
            document = document[wrapper]
    found = _field(document, "resourceSpans", "resource_spans")
    return found if found is not None else document.get("batches")


def _scope_spans(resource_span: dict[str, Any]) -> tuple[str, Any]:
    """The scope groups of a resource and the field holding them: ``scopeSpans``, or
    ``instrumentationLibrarySpans`` (OTLP before 0.15); ``("scopeSpans", [])`` when there are none."""
    for camel, snake in (
        ("scopeSpans", "scope_spans"),
        ("instrumentationLibrarySpans", "instrumentation_library_spans"),
    ):
        groups = _field(resource_span, camel, snake)
        if groups is not None:
            return camel, groups
    return "scopeSpans", []


def _bad_fields(span: dict[str, Any]) -> list[str]:
    """What in one span is of the wrong shape (and so was ignored), each naming its field."""
    complaints = []
    for camel, snake in (
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("endTimeUnixNano", "end_time_unix_nano"),
    ):
        value = _field(span, camel, snake)
        if value is not None and as_int(value) is None:
            complaints.append(f"`{camel}` is {str(value)[:40]!r}, not a number of nanoseconds; time unknown")
    for name in ("attributes", "events"):
        if span.get(name) is not None and not isinstance(span[name], list):
            complaints.append(f"`{name}` is a {type(span[name]).__name__}, not a list; ignored")
    return complaints


_JSON_TYPES = {"dict": "an object", "list": "a list", "str": "a string", "int": "a number", "float": "a number"}


def _not_a(value: Any, what: str) -> str:
    """``is a string, not a list; skipped``: what a field of the wrong shape holds, in JSON's words."""
    found = "true/false" if isinstance(value, bool) else _JSON_TYPES.get(type(value).__name__, "null")
    return f"is {found}, not {what}; skipped"


def spans_of(document: Any, b: ImportBuilder, line: int = 1) -> list[OtelSpan]:
    """Every span of one OTLP JSON ``{resourceSpans: [...]}`` document (starting at ``line``); an entry of
    the wrong shape is reported to ``b`` with its field path and skipped."""
    resource_spans = _resource_spans(document)
    if not isinstance(resource_spans, list):
        b.problem("a document has no `resourceSpans` list; skipped", line, "error", "resourceSpans")
        return []
    spans: list[OtelSpan] = []
    for r, resource_span in enumerate(resource_spans):
        where = f"resourceSpans[{r}]"
        if not isinstance(resource_span, dict):
            b.problem(_not_a(resource_span, "an object"), line, "warning", where)
            continue
        resource = key_values(as_dict(resource_span.get("resource")).get("attributes"))
        name, groups = _scope_spans(resource_span)
        if not isinstance(groups, list):
            b.problem(_not_a(groups, "a list"), line, "warning", f"{where}.{name}")
            continue
        for g, scope_span in enumerate(groups):
            group = f"{where}.{name}[{g}]"
            if not isinstance(scope_span, dict):
                b.problem(_not_a(scope_span, "an object"), line, "warning", group)
                continue
            raw_spans = scope_span.get("spans")
            if raw_spans is not None and not isinstance(raw_spans, list):
                b.problem(_not_a(raw_spans, "a list"), line, "warning", f"{group}.spans")
                continue
            for k, span in enumerate(raw_spans or []):
                if isinstance(span, dict) and _field(span, "spanId", "span_id"):
                    spans.append(otel_span(span, resource))
                    for complaint in _bad_fields(span):
                        b.problem(
                            f"span {spans[-1].span_id} ({spans[-1].name!r}): {complaint}",
                            line,
                            "warning",
                            f"{group}.spans[{k}]",
                        )
                else:
                    b.problem("a span without spanId; skipped", line, "warning", f"{group}.spans[{k}]")
    return spans


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "otlp-json")
    documents = read_json_documents(path, b)
    if len(documents) == 1 and isinstance(documents[0][1], list):  # a JSON array of OTLP documents
        documents = [(1, document) for document in documents[0][1]]
    spans = [span for line, document in documents for span in spans_of(document, b, line)]
    return build_trace(spans, b)


register(
    Importer(
        "otlp-json",
        "OTLP JSON trace file (resourceSpans; OTel GenAI, OpenInference, Vercel AI attributes)",
        sniff,
        load,
    )
)
