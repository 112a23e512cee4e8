"""Spans a backend returned (OTLP-shaped JSON) as a ``Trace``, through the one span mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers._common import ImportBuilder
from agentdbg.importers._otel_spans import OtelSpan, build_trace
from agentdbg.importers.otlp import otel_span
from agentdbg.model.trace import Trace


def trace_from_spans(source: str, spans: list[dict[str, Any]], format_name: str) -> Trace:
    """``spans`` (OTLP JSON spans, camelCase or snake_case, hex ids) of one run as a ``Trace``."""
    b = ImportBuilder(Path(source), format_name)
    b.source = source
    otel = [otel_span(span, {}) for span in spans if isinstance(span, dict)]
    name = _run_name(otel)
    trace = build_trace(otel, b, name=name)
    trace.source = source
    return trace


def _run_name(spans: list[OtelSpan]) -> str:
    for span in spans:
        if span.attrs.get("agentdbg.trace_name"):
            return str(span.attrs["agentdbg.trace_name"])
    root = next((s for s in spans if not s.parent_id), None)
    return root.name if root is not None else ""


def run_facts(spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Name, step count and token sums of a run from its spans (for search listings)."""
    otel = [otel_span(span, {}) for span in spans if isinstance(span, dict)]
    return {"name": _run_name(otel), "steps": len(otel)}
