"""OTLP JSON trace files (``{"resourceSpans": [...]}``, or one such document per line) as traces.

Follows the OTLP/JSON encoding: attributes as ``[{key, value: {stringValue|intValue|...}}]``
(``arrayValue``/``kvlistValue`` decoded to lists/dicts), hex ids, nanosecond times as
strings. Span meaning comes from the shared GenAI/OpenInference/Vercel interpreter;
spans exported by agentdbg carry ``agentdbg.*`` attributes and are rebuilt exactly.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_int,
    as_list,
    maybe_json,
    parents_first,
    read_json_file,
    sniff_json_head,
    text_of,
)
from agentdbg.importers._genai_attrs import interpret
from agentdbg.model.records import ErrorInfo, TraceHeader
from agentdbg.model.trace import Trace

_STATUS_ERROR = {2, "2", "STATUS_CODE_ERROR", "ERROR"}


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    return text.startswith(b"{") and (b'"resourceSpans"' in text[:4096] or b'"resource_spans"' in text[:4096])


def any_value(value: Any) -> Any:
    """A Python value from an OTLP JSON ``AnyValue``."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return as_int(value["intValue"])
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            return value["doubleValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return key_values((value["kvlistValue"] or {}).get("values") or [])
    if "bytesValue" in value:
        try:
            return base64.b64decode(value["bytesValue"]).hex()
        except (ValueError, TypeError):
            return value["bytesValue"]
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


def _error(span: dict[str, Any], attrs: dict[str, Any]) -> ErrorInfo | None:
    status = as_dict(span.get("status"))
    events = [e for e in span.get("events") or [] if isinstance(e, dict)]
    exception = next((key_values(e.get("attributes")) for e in events if e.get("name") == "exception"), None)
    if status.get("code") in _STATUS_ERROR or exception:
        exception = exception or {}
        return ErrorInfo(
            type=str(exception.get("exception.type") or attrs.get("error.type") or "error"),
            message=str(exception.get("exception.message") or status.get("message") or ""),
            traceback=exception.get("exception.stacktrace"),
        )
    return None


_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _with_event_messages(span: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
    """Older GenAI semconv put messages in span events; fold them into the message attributes."""
    events = [e for e in span.get("events") or [] if isinstance(e, dict)]
    if not events or "gen_ai.input.messages" in attrs:
        return attrs
    prompt: list[Any] = []
    answer: list[Any] = []
    for event in events:
        name = str(event.get("name") or "")
        values = key_values(event.get("attributes"))
        body = any_value(event.get("body")) if isinstance(event.get("body"), dict) else {}
        fields = {**(body if isinstance(body, dict) else {}), **values}
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
                message["tool_calls"] = [
                    {
                        "id": c.get("id"),
                        "type": "function",
                        "function": {
                            "name": as_dict(c.get("function")).get("name"),
                            "arguments": text_of(as_dict(c.get("function")).get("arguments", "{}")),
                        },
                    }
                    for c in as_list(maybe_json(fields["tool_calls"]))
                    if isinstance(c, dict)
                ]
            if fields.get("id") and message["role"] == "tool":
                message["tool_call_id"] = fields["id"]
            prompt.append(message)
        elif name == "gen_ai.choice":
            choice = as_dict(maybe_json(fields.get("message"))) or {
                "role": "assistant",
                "content": fields.get("content", ""),
            }
            answer.append({"role": "assistant", **choice})
    if not prompt and not answer:
        return attrs
    folded = dict(attrs)
    if prompt:
        folded["gen_ai.input.messages"] = prompt
    if answer:
        folded.setdefault("gen_ai.output.messages", answer)
    return folded


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "otlp-json")
    header: dict[str, Any] | None = None
    spans: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []  # (span, attributes, resource)
    for document in _documents(path, b):
        resource_spans = (
            document.get("resourceSpans", document.get("resource_spans"))
            if isinstance(document, dict)
            else None
        )
        if not isinstance(resource_spans, list):
            b.problem("a document has no `resourceSpans` list; skipped", severity="error")
            continue
        for resource_span in resource_spans:
            if not isinstance(resource_span, dict):
                continue
            resource = key_values((resource_span.get("resource") or {}).get("attributes"))
            if header is None and isinstance(maybe_json(resource.get("agentdbg.trace_header"), 1), dict):
                header = maybe_json(resource["agentdbg.trace_header"], 1)
            for scope_span in resource_span.get("scopeSpans", resource_span.get("scope_spans")) or []:
                for span in (scope_span or {}).get("spans") or [] if isinstance(scope_span, dict) else []:
                    if isinstance(span, dict) and span.get("spanId"):
                        spans.append((span, key_values(span.get("attributes")), resource))
                    else:
                        b.problem("a span without spanId; skipped", severity="warning")
    spans.sort(
        key=lambda item: (
            as_int(item[1].get("agentdbg.step")) or 0,
            as_int(item[0].get("startTimeUnixNano")) or 0,
        )
    )
    spans = parents_first(
        spans,
        lambda item: str(item[0].get("spanId")),
        lambda item: str(item[0].get("parentSpanId") or "") or None,
    )
    by_otel_id = {str(span.get("spanId")): attrs for span, attrs, _ in spans}
    trace_ids = {str(span.get("traceId")) for span, _, _ in spans if span.get("traceId")}
    for index, (span, attrs, resource) in enumerate(spans):
        step = interpret(
            _with_event_messages(span, attrs),
            name=str(span.get("name") or ""),
            kind_hint="custom",
            error=_error(span, attrs),
        )
        parent_otel = str(span.get("parentSpanId") or "")
        parent_attrs = by_otel_id.get(parent_otel)
        if parent_otel and parent_attrs is None:
            b.problem(
                f"span {span.get('spanId')} names a missing parent {parent_otel}; shown at the root",
                index + 1,
                "warning",
            )
        parent_id = (
            str(parent_attrs.get("agentdbg.span_id") or parent_otel) if parent_attrs is not None else None
        ) or None
        attributes = dict(step.attributes)
        if not step.lossless:
            attributes["otel_attributes"] = attrs
            attributes["otel"] = {
                k: span.get(k) for k in ("traceId", "spanId", "kind") if span.get(k) is not None
            }
            if resource.get("service.name"):
                attributes["service.name"] = resource["service.name"]
        incomplete = bool(attrs.get("agentdbg.incomplete"))
        start, end = _nanos(span.get("startTimeUnixNano")), _nanos(span.get("endTimeUnixNano"))
        added = b.add(
            step.kind,
            step.name or str(span.get("name") or step.kind),
            id=attrs.get("agentdbg.span_id") or span.get("spanId"),
            parent_id=parent_id,
            started_at=start,
            ended_at=None if incomplete else end,
            input=step.input,
            output=None if incomplete else step.output,
            error=step.error,
            usage=step.usage,
            attributes=attributes,
            ended=not incomplete,
            line=index + 1,
        )
        origin = attrs.get("agentdbg.origin")
        if origin in ("recorded", "patched", "cached", "live"):
            added.origin = origin
        extra = maybe_json(attrs.get("agentdbg.extra"), 1)
        if isinstance(extra, dict):
            for key, value in extra.items():
                setattr(added, key, value)
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
    return b.build(
        trace_id=next(iter(trace_ids)) if len(trace_ids) == 1 else None,
        metadata={"otel_trace_ids": sorted(trace_ids)},
    )


register(
    Importer(
        "otlp-json",
        "OTLP JSON trace file (resourceSpans; OTel GenAI, OpenInference, Vercel AI attributes)",
        sniff,
        load,
    )
)
