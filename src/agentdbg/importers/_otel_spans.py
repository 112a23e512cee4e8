"""OpenTelemetry spans, from wherever they come, as agentdbg steps: the one span mapping.

The OTLP JSON importer, the live ``agentdbg.otel.SpanExporter`` and the backend pulls
(``agentdbg.sources``: Phoenix, MLflow) each decode their own wire shape into ``OtelSpan``
(plain attribute values, times in seconds, hex ids) and hand the list to ``build_trace``, which
orders parents first, reads each span's meaning with the shared GenAI/OpenInference interpreter
(``_genai_attrs.interpret``) and links the steps. Spans exported by agentdbg carry ``agentdbg.*``
attributes and are rebuilt exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from agentdbg.importers._call_links import link_call_ids
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_int,
    as_list,
    maybe_json,
    parents_first,
    text_of,
)
from agentdbg.importers._genai_attrs import interpret
from agentdbg.model.records import ErrorInfo, Origin, TraceHeader
from agentdbg.model.trace import Trace
from agentdbg.store.compact import COMPACT_KEY, StreamExpander


@dataclass
class OtelSpan:
    """One span in a neutral form: what every source of OTel spans decodes into."""

    span_id: str
    name: str = ""
    parent_id: str | None = None
    trace_id: str | None = None
    start: float | None = None  # Unix seconds
    end: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (name, attributes + body)
    status_error: bool = False
    status_message: str = ""
    kind: Any = None
    resource: dict[str, Any] = field(default_factory=dict)


def span_error(span: OtelSpan) -> ErrorInfo | None:
    """The error a span reports through its status or an ``exception`` event."""
    exception = next((fields for name, fields in span.events if name == "exception"), None)
    if span.status_error or exception:
        exception = exception or {}
        return ErrorInfo(
            type=str(exception.get("exception.type") or span.attrs.get("error.type") or "error"),
            message=str(exception.get("exception.message") or span.status_message or ""),
            traceback=exception.get("exception.stacktrace"),
        )
    return None


_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _event_tool_calls(value: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.get("id"),
            "type": "function",
            "function": {
                "name": as_dict(c.get("function")).get("name"),
                "arguments": text_of(as_dict(c.get("function")).get("arguments", "{}")),
            },
        }
        for c in as_list(maybe_json(value))
        if isinstance(c, dict)
    ]


def _attribute_events(attrs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """pydantic-ai's ``events`` attribute (its ``event_mode='attributes'``): the same GenAI events as a JSON
    list, each named by its ``event.name`` or, as pydantic-ai writes them, by its role (a choice by ``message``)."""
    if attrs.get("gen_ai.operation.name") != "chat" or not isinstance(attrs.get("events"), (str, list)):
        return []
    events = []
    for item in as_list(maybe_json(attrs["events"], depth=1)):
        if not isinstance(item, dict):
            continue
        name = item.get("event.name")
        if not name:
            name = "gen_ai.choice" if "message" in item else f"gen_ai.{item.get('role') or 'user'}.message"
        events.append((str(name), item))
    return events


def with_event_messages(span: OtelSpan) -> dict[str, Any]:
    """Older GenAI semconv put messages in span events; fold them into the message attributes."""
    attrs = span.attrs
    events = span.events or _attribute_events(attrs)
    if not events or "gen_ai.input.messages" in attrs:
        return attrs
    prompt: list[Any] = []
    answer: list[Any] = []
    for name, fields in events:
        if name == "gen_ai.content.prompt" and fields.get("gen_ai.prompt") is not None:
            prompt.extend(as_list(maybe_json(fields["gen_ai.prompt"])))
        elif name == "gen_ai.content.completion" and fields.get("gen_ai.completion") is not None:
            answer.extend(as_list(maybe_json(fields["gen_ai.completion"])))
        elif name in _MESSAGE_EVENTS:
            message = {
                "role": fields.get("role") or _MESSAGE_EVENTS[name],
                "content": maybe_json(fields.get("content", "")),
            }
            if fields.get("tool_calls"):
                message["tool_calls"] = _event_tool_calls(fields["tool_calls"])
            if fields.get("id") and message["role"] == "tool":
                message["tool_call_id"] = fields["id"]
            prompt.append(message)
        elif name == "gen_ai.choice":
            choice = as_dict(maybe_json(fields.get("message"))) or {
                "role": "assistant",
                "content": fields.get("content", ""),
            }
            if choice.get("tool_calls"):  # arguments as the chat API's JSON text
                choice = {**choice, "tool_calls": _event_tool_calls(choice["tool_calls"])}
            answer.append({"role": "assistant", **choice})
    if not prompt and not answer:
        return attrs
    folded = dict(attrs)
    if prompt:
        folded["gen_ai.input.messages"] = prompt
    if answer:
        folded.setdefault("gen_ai.output.messages", answer)
    return folded


def add_spans(spans: list[OtelSpan], b: ImportBuilder) -> None:
    """Add ``spans`` to ``b`` as steps: ordered by agentdbg step, then start time, parents first."""
    spans = sorted(spans, key=lambda s: (as_int(s.attrs.get("agentdbg.step")) or 0, s.start or 0.0))
    spans = parents_first(spans, lambda s: s.span_id, lambda s: s.parent_id or None)
    by_otel_id = {span.span_id: span.attrs for span in spans}
    requests = StreamExpander()  # agentdbg's own export writes an llm request relative to an earlier one
    for index, span in enumerate(spans):
        attrs = span.attrs
        step = interpret(
            with_event_messages(span), name=span.name, kind_hint="custom", error=span_error(span)
        )
        if step.lossless and step.kind == "llm":
            step.input = _whole_request(requests, attrs, step.input, b, index + 1)
        parent_attrs = by_otel_id.get(span.parent_id) if span.parent_id else None
        if span.parent_id and parent_attrs is None:
            b.problem(
                f"span {span.span_id} names a missing parent {span.parent_id}; shown at the root",
                index + 1,
                "warning",
            )
        parent_id = (
            str(parent_attrs.get("agentdbg.span_id") or span.parent_id) if parent_attrs is not None else None
        ) or None
        attributes = dict(step.attributes)
        if not step.lossless:
            attributes["otel_attributes"] = attrs
            otel = {"traceId": span.trace_id, "spanId": span.span_id, "kind": span.kind}
            attributes["otel"] = {k: v for k, v in otel.items() if v is not None}
            if span.resource.get("service.name"):
                attributes["service.name"] = span.resource["service.name"]
        incomplete = bool(attrs.get("agentdbg.incomplete"))
        added = b.add(
            step.kind,
            step.name or span.name or step.kind,
            id=attrs.get("agentdbg.span_id") or span.span_id,
            parent_id=parent_id,
            started_at=span.start,
            ended_at=None if incomplete else span.end,
            input=step.input,
            output=None if incomplete else step.output,
            error=step.error,
            usage=step.usage,
            attributes=attributes,
            ended=not incomplete,
            line=index + 1,
        )
        origin = attrs.get("agentdbg.origin")
        if origin in get_args(Origin):
            added.origin = origin
        extra = maybe_json(attrs.get("agentdbg.extra"), 1)
        if isinstance(extra, dict):
            for key, value in extra.items():
                setattr(added, key, value)


def _whole_request(
    requests: StreamExpander, attrs: dict[str, Any], given: Any, b: ImportBuilder, line: int
) -> Any:
    """An llm step's input with the history its ``agentdbg.request_ref`` names rebuilt (as a trace file's)."""
    record: dict[str, Any] = {"type": "span_start", "id": str(attrs.get("agentdbg.span_id")), "kind": "llm"}
    record["input"] = given
    ref = maybe_json(attrs.get("agentdbg.request_ref"), 1)
    if ref is not None:
        record[COMPACT_KEY] = ref
    problem = requests.feed(record)
    if problem is not None:
        b.problem(f"span {record['id']}: {problem}", line, "warning")
    return record["input"]


def agentdbg_header(spans: list[OtelSpan]) -> Any:
    """The trace header agentdbg's exporters put on the resource (``agentdbg.trace_header``), if any."""
    for span in spans:
        header = maybe_json(span.resource.get("agentdbg.trace_header"), 1)
        if isinstance(header, dict):
            return header
    return None


def build_trace(spans: list[OtelSpan], b: ImportBuilder, header: Any = None, **defaults: Any) -> Trace:
    """A ``Trace`` from ``spans``; ``header`` (agentdbg's own, if the spans carried it) wins over ``defaults``."""
    add_spans(spans, b)
    header = header if header is not None else agentdbg_header(spans)
    if header is None:  # agentdbg's own export keeps its steps exactly as written
        link_call_ids(b.spans)
    if header is not None:
        try:
            parsed = TraceHeader.model_validate(header)
        except ValueError as exc:
            b.problem(
                f"agentdbg.trace_header does not validate ({text_of(exc)[:200]}); using a default header",
                severity="warning",
            )
        else:
            trace = b.build(
                trace_id=parsed.trace_id,
                name=parsed.name,
                started_at=parsed.started_at,
                metadata=parsed.metadata,
            )
            trace.header = parsed
            return trace
    trace_ids = sorted({span.trace_id for span in spans if span.trace_id})
    metadata = {"otel_trace_ids": trace_ids, **defaults.pop("metadata", {})}
    return b.build(trace_id=trace_ids[0] if len(trace_ids) == 1 else None, metadata=metadata, **defaults)
