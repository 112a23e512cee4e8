"""OpenTelemetry in: ``SpanExporter(path)`` writes an agentdbg trace file from any GenAI or OpenInference instrumentation.

Hand it to the tracer provider a framework instruments (pydantic-ai ``instrument``, an OpenInference
instrumentor for openai-agents, LangChain/LangGraph, CrewAI, LlamaIndex)::

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    import agentdbg.otel

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(agentdbg.otel.SpanExporter("traces/run.jsonl")))

Spans are read with the one GenAI/OpenInference mapping the OTLP importer and the backend pulls use
(``importers/_otel_spans.py``). A run (one OTel trace) is written when its root span ends, parents
before children so steps number in start order; ``force_flush``/``shutdown`` write what is still
pending. Needs ``pip install 'agentdbg[otel]'``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentdbg.errors import ExtraMissingError

try:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter as _SdkSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.trace import StatusCode
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ExtraMissingError(
        "agentdbg.otel needs the OpenTelemetry SDK", hint="pip install 'agentdbg[otel]'"
    ) from missing

from agentdbg.importers._common import ImportBuilder
from agentdbg.importers._otel_spans import OtelSpan, add_spans
from agentdbg.model.records import TraceHeader
from agentdbg.store.writer import TraceWriter

__all__ = ["SpanExporter", "otel_span_of"]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _seconds(nanos: int | None) -> float | None:
    return nanos / 1e9 if nanos else None


def otel_span_of(span: ReadableSpan) -> OtelSpan:
    """An SDK ``ReadableSpan`` in the neutral form the shared span mapping reads."""
    context = span.get_span_context()
    parent = span.parent
    return OtelSpan(
        span_id=format(context.span_id, "016x") if context else "",
        name=span.name,
        parent_id=format(parent.span_id, "016x") if parent is not None else None,
        trace_id=format(context.trace_id, "032x") if context else None,
        start=_seconds(span.start_time),
        end=_seconds(span.end_time),
        attrs={key: _plain(value) for key, value in (span.attributes or {}).items()},
        events=[
            (event.name, {k: _plain(v) for k, v in (event.attributes or {}).items()}) for event in span.events
        ],
        status_error=span.status.status_code is StatusCode.ERROR,
        status_message=span.status.description or "",
        kind=span.kind.name if span.kind is not None else None,
        resource={key: _plain(value) for key, value in span.resource.attributes.items()},
    )


class SpanExporter(_SdkSpanExporter):
    """An OpenTelemetry ``SpanExporter`` that appends the spans it is given to an agentdbg trace file.

    Args:
        path: the trace file (replaced when it exists unless ``append``); parent folders are created.
        name: the trace name in the header (default: the first root span's name).
        append: add to an existing file instead of replacing it.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, name: str | None = None, append: bool = False
    ) -> None:
        self.path = Path(path)
        self._name = name
        self._writer = TraceWriter(self.path, overwrite=not append)
        self._header_written = append and self.path.stat().st_size > 0
        self._pending: dict[str, list[OtelSpan]] = {}  # OTel trace id -> ended spans waiting for their root
        self._lock = threading.Lock()
        self._closed = False
        self.errors = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Take ended spans; a run whose root span is among them is written to the file."""
        if self._closed:
            return SpanExportResult.FAILURE
        ready: list[list[OtelSpan]] = []
        with self._lock:
            for readable in spans:
                span = otel_span_of(readable)
                key = span.trace_id or ""
                self._pending.setdefault(key, []).append(span)
                if span.parent_id is None:
                    ready.append(self._pending.pop(key))
        for run in ready:
            self._write(run)
        return SpanExportResult.SUCCESS

    def _write(self, run: list[OtelSpan]) -> None:
        b = ImportBuilder(self.path, "opentelemetry")
        add_spans(run, b)
        trace = b.build()
        try:
            with self._lock:
                if not self._header_written:
                    root = next((s for s in run if s.parent_id is None), run[0])
                    header = TraceHeader(
                        trace_id=root.trace_id or trace.header.trace_id,
                        name=self._name or root.name or "opentelemetry",
                        started_at=trace.header.started_at,
                        metadata={
                            "source": "opentelemetry",
                            "service.name": root.resource.get("service.name"),
                        },
                    )
                    self._writer.write_header(header)
                    self._header_written = True
                for step in trace.spans:
                    self._writer.write(step.to_record())
        except OSError as exc:  # the instrumented program must not fail because its trace cannot be written
            self.errors += 1
            if self.errors == 1:
                sys.stderr.write(f"agentdbg: cannot write {self.path}: {exc.strerror or exc}\n")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Write every pending run, even one whose root span has not ended (its steps are kept)."""
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for run in pending:
            self._write(run)
        return True

    def shutdown(self) -> None:
        if self._closed:
            return
        self.force_flush()
        self._closed = True
        self._writer.close()
