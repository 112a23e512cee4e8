"""Arize Phoenix span exports (OpenInference spans as JSON records, not OTLP) as traces.

Phoenix and the tools around it write spans as flat records::

    {"name": ..., "context": {"trace_id": ..., "span_id": ...}, "span_kind": "LLM", "parent_id": ...,
     "start_time": "<ISO 8601>", "end_time": ..., "status_code": "OK", "status_message": "",
     "attributes": {"llm.token_count.prompt": 10, ...}, "events": [...]}

in a JSON array, a ``{"data": [...]}`` page (Phoenix's REST ``/v1/projects/{project}/spans``, Arize's
``ax spans export``), or JSON lines; and ``px.Client().get_spans_dataframe()`` saved with pandas'
``to_json(orient="records")``: ``context.span_id`` and ``attributes.llm.input_messages`` columns, times
in epoch milliseconds. Attributes may be nested objects (``{"llm": {"token_count": ...}}``) or lists of
message objects; all are flattened to OpenInference's dotted keys and read by the one span mapping
(``_otel_spans``), as OTLP files are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    first_jsonl_objects,
    parse_time,
    read_json_documents,
    sniff_json_head,
)
from agentdbg.importers._otel_spans import OtelSpan, build_trace
from agentdbg.importers.otlp import span_id_hex
from agentdbg.model.trace import Trace

_WRAPPERS = ("data", "spans")  # Phoenix/Arize REST pages, other span-list exports


def _looks_like_span(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    context = record.get("context")
    has_id = (isinstance(context, dict) and "span_id" in context) or "context.span_id" in record
    return has_id and any(key in record for key in ("span_kind", "parent_id", "attributes", "start_time"))


def _console_opening(head: bytes) -> bool:
    """OpenTelemetry's ``ConsoleSpanExporter`` output: indented ``ReadableSpan.to_json()`` documents one after
    another, ids as ``0x``-prefixed hex, ``kind`` as ``SpanKind.X``."""
    compact = sniff_json_head(head)[:4096].translate(None, b" \n\r\t")
    return compact.startswith(b'{"name":') and b'"context":{"trace_id":"0x' in compact


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if _console_opening(text):
        return False  # the otel-console importer's
    for record in first_jsonl_objects(text, limit=2):  # JSON lines (or a one-line document)
        if _looks_like_span(record):
            return True
        if any(
            isinstance(record.get(k), list) and _looks_like_span(next(iter(record[k]), None))
            for k in _WRAPPERS
        ):
            return True
    compact = text[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    opens = compact.startswith((b'[{"name":', b'[{"context":', b'{"data":[{', b'{"spans":[{'))
    return opens and (
        b'"context":{"trace_id"' in compact
        or b'"context":{"span_id"' in compact
        or b'"context.span_id"' in compact
    )


def flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """``value`` under ``prefix`` as dotted OpenInference keys: objects by key, lists of objects by index
    (``llm.input_messages.0.message.role``); scalars and lists of scalars as they are."""
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            flatten(item, f"{prefix}.{index}", out)
    elif prefix:
        out[prefix] = value


def _attributes(record: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    flatten(as_dict(record.get("attributes")), "", attrs)
    for key, value in record.items():  # pandas records: one ``attributes.*`` column per key prefix
        if key.startswith("attributes.") and value is not None:
            flatten(value, key[len("attributes.") :], attrs)
    kind = record.get("span_kind") or record.get("kind")
    if kind and not str(kind).startswith("SpanKind.") and "openinference.span.kind" not in attrs:
        attrs["openinference.span.kind"] = str(kind).upper()
    return attrs


def _events(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events = record.get("events")
    if isinstance(events, str):  # a dataframe column written as text
        try:
            events = orjson.loads(events)
        except orjson.JSONDecodeError:
            events = []
    out = []
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict):
            fields: dict[str, Any] = {}
            flatten(as_dict(event.get("attributes")), "", fields)
            out.append((str(event.get("name") or ""), fields))
    return out


def phoenix_span(record: dict[str, Any]) -> OtelSpan | None:
    """One exported span record as an ``OtelSpan`` (``None`` when it names no span id)."""
    context = as_dict(record.get("context"))
    span_id = _hex(context.get("span_id") or record.get("context.span_id") or record.get("span_id"))
    if not span_id:
        return None
    trace_id = _hex(context.get("trace_id") or record.get("context.trace_id") or record.get("trace_id"))
    parent = _hex(record.get("parent_id") or record.get("parent_span_id"))
    status_of = as_dict(record.get("status"))  # OTel's console exporter: {status_code, description}
    status = str(record.get("status_code") or status_of.get("status_code") or status_of.get("code") or "")
    status = status.upper().removeprefix("STATUSCODE.")
    return OtelSpan(
        span_id=span_id_hex(span_id),
        name=str(record.get("name") or ""),
        parent_id=span_id_hex(parent) if parent else None,
        trace_id=span_id_hex(trace_id) if trace_id else None,
        start=parse_time(record.get("start_time")),
        end=parse_time(record.get("end_time")),
        attrs=_attributes(record),
        events=_events(record),
        status_error=status in ("ERROR", "STATUS_CODE_ERROR", "2"),
        status_message=str(record.get("status_message") or status_of.get("description") or ""),
        kind=record.get("span_kind") or record.get("kind"),
        resource=as_dict(as_dict(record.get("resource")).get("attributes")),
    )


def _hex(value: Any) -> str | None:
    """An id as plain hex (the console exporter writes ``0x5b8aa5a2...``)."""
    text = str(value) if value not in (None, "") else ""
    return text[2:] if text.lower().startswith("0x") else (text or None)


def _records(path: Path, b: ImportBuilder) -> list[tuple[int, Any]]:
    """(line, record) for each span record: of one JSON document (an array or a page), else one per line."""
    documents = read_json_documents(path, b)
    if (
        len(documents) != 1
        or documents[0][0] != 1
        or isinstance(documents[0][1], dict)
        and _looks_like_span(documents[0][1])
    ):
        return documents
    data = documents[0][1]
    if isinstance(data, dict):
        data = next((data[k] for k in _WRAPPERS if isinstance(data.get(k), list)), [data])
    if not isinstance(data, list):
        b.problem(f"expected a list of spans, got {type(data).__name__}", 1, "error", "data")
        return []
    return [(1, record) for record in data]


def load(path: Path, format_name: str = "phoenix") -> Trace:
    b = ImportBuilder(path, format_name)
    spans: list[OtelSpan] = []
    for line, record in _records(path, b):
        span = phoenix_span(record) if isinstance(record, dict) else None
        if span is None:
            b.problem("not a span record (no context.span_id); skipped", line, "warning", "context.span_id")
            continue
        spans.append(span)
    return build_trace(spans, b)


register(
    Importer(
        "phoenix",
        "Arize Phoenix span export (OpenInference span records: JSON, {data: [...]}, JSONL, spans dataframe)",
        sniff,
        load,
    )
)
register(
    Importer(
        "otel-console",
        "OpenTelemetry ConsoleSpanExporter output (indented span JSON one after another)",
        lambda head, path: _console_opening(head),
        lambda path: load(path, "otel-console"),
    )
)
