"""Jaeger's trace JSON (the UI's "Download JSON", ``/api/traces``): OTel spans in Jaeger's own model, as traces.

``{"data": [{"traceID", "spans": [...], "processes": {...}}]}``; a span has ``spanID``, ``operationName``,
``references`` (``CHILD_OF`` names the parent), ``startTime`` and ``duration`` in microseconds, ``tags``
(``[{key, type, value}]``: the OTel attributes, with ``otel.status_code`` / ``error`` for the status and
``span.kind``) and ``logs`` (the span events, their name in the ``event`` field). Each span is mapped to an
``OtelSpan`` and read by the one span mapping (``_otel_spans``), as OTLP files are; several traces in one
file each keep their spans (a trace's root spans stay roots).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import ImportBuilder, as_dict, as_list, read_json_file, sniff_json_head
from agentdbg.importers._otel_spans import OtelSpan, build_trace
from agentdbg.importers.otlp import span_id_hex
from agentdbg.model.trace import Trace


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    compact = text[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    opens = compact.startswith((b'{"data":[{"traceID":', b'{"traceID":', b'[{"traceID":'))
    return opens and (b'"spanID"' in compact or b'"spans":' in compact)


def _tags(items: Any) -> dict[str, Any]:
    """Jaeger ``[{key, type, value}]`` tags as attributes (an int64 written as text read as a number)."""
    out: dict[str, Any] = {}
    for item in as_list(items):
        item = as_dict(item)
        if "key" not in item:
            continue
        value = item.get("value")
        if item.get("type") == "int64" and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        out[str(item["key"])] = value
    return out


def _span(span: dict[str, Any], process: dict[str, Any]) -> OtelSpan | None:
    span_id = span.get("spanID")
    if not span_id:
        return None
    attrs = _tags(span.get("tags"))
    parent = next(
        (
            as_dict(ref).get("spanID")
            for ref in as_list(span.get("references"))
            if as_dict(ref).get("refType") in (None, "CHILD_OF") and as_dict(ref).get("spanID")
        ),
        None,
    )
    start = span.get("startTime")
    duration = span.get("duration")
    start_s = start / 1e6 if isinstance(start, (int, float)) and not isinstance(start, bool) else None
    end_s = (
        start_s + duration / 1e6
        if start_s is not None and isinstance(duration, (int, float)) and not isinstance(duration, bool)
        else None
    )
    events = []
    for log in as_list(span.get("logs")):
        fields = _tags(as_dict(log).get("fields"))
        events.append((str(fields.pop("event", "") or ""), fields))
    status = str(attrs.get("otel.status_code") or "").upper()
    return OtelSpan(
        span_id=span_id_hex(span_id),
        name=str(span.get("operationName") or ""),
        parent_id=span_id_hex(parent) if parent else None,
        trace_id=span_id_hex(span.get("traceID")) if span.get("traceID") else None,
        start=start_s,
        end=end_s,
        attrs=attrs,
        events=events,
        status_error=status == "ERROR" or attrs.get("error") in (True, "true"),
        status_message=str(attrs.get("otel.status_description") or ""),
        kind=attrs.get("span.kind"),
        resource=_tags(process.get("tags")) | {"service.name": process.get("serviceName")},
    )


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "jaeger")
    data = read_json_file(path, b)
    if data is None:
        return b.build()
    traces = data.get("data") if isinstance(data, dict) and "data" in data else data
    traces = traces if isinstance(traces, list) else [traces]
    spans: list[OtelSpan] = []
    for t, trace in enumerate(traces):
        if not isinstance(trace, dict) or not isinstance(trace.get("spans"), list):
            b.problem("a trace without a `spans` list; skipped", 1, "warning", f"data[{t}].spans")
            continue
        processes = as_dict(trace.get("processes"))
        for s, span in enumerate(trace["spans"]):
            otel = (
                _span(span, as_dict(processes.get(str(span.get("processID")))))
                if isinstance(span, dict)
                else None
            )
            if otel is None:
                b.problem("a span without spanID; skipped", 1, "warning", f"data[{t}].spans[{s}]")
                continue
            spans.append(otel)
    return build_trace(spans, b)


register(
    Importer(
        "jaeger",
        "Jaeger trace JSON (UI download / /api/traces: OTel GenAI, OpenInference attributes as tags)",
        sniff,
        load,
    )
)
