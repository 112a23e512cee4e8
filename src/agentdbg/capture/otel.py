"""Hand captured steps to an existing OpenTelemetry ``TracerProvider`` (``pip install 'agentdbg[otel]'``).

The JSONL file stays the local default; this bridge is for fleets that already run a collector.
``OTelSink`` takes the same records ``TraceWriter`` writes (header, ``span_start``, ``span_end``,
``span``) and mirrors each step as an OTel span with the GenAI semantic-convention attributes
of ``agentdbg.exporters.genai`` (structured values as JSON strings, the SDK's attribute form).
A span starts when its step starts, so parents and children link through real OTel contexts.

Wiring: ``enable_otel(provider)`` registers a sink; the capture writer calls
``mirror_record(record)`` for every record it writes (and with ``AGENTDBG_EXPORT=otlp`` hands it
to the background OTLP pusher of ``capture/otlp_push.py``). ``export_trace_to_otel`` sends a whole
recorded trace, e.g. one loaded from a file.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from typing import Any

from agentdbg.exporters.genai import (
    SPAN_KIND_CLIENT,
    STRUCTURED_ATTRIBUTES,
    span_attributes,
    span_kind,
    span_name,
)
from agentdbg.model.records import ErrorInfo, SpanEndRecord, SpanRecord, SpanStartRecord, TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

SCOPE_NAME = "agentdbg"
MAX_REMEMBERED_PARENTS = 65536  # span contexts kept so late children still find their parent
_PRIMITIVES = (str, bool, int, float)


def sdk_attribute(key: str, value: Any) -> Any:
    """``value`` in a form the OTel SDK accepts: primitives, homogeneous primitive lists, else JSON text."""
    if key in STRUCTURED_ATTRIBUTES and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and value:
        first = type(value[0])
        if first in _PRIMITIVES and all(type(item) is first for item in value):
            return list(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _nanos(seconds: float | None) -> int | None:
    return round(seconds * 1_000_000_000) if seconds is not None else None


def _span_from(start: SpanStartRecord, end: SpanEndRecord | None, step: int) -> Span:
    ended = end is not None or isinstance(start, SpanRecord)
    source: Any = end if end is not None else start
    return Span(
        id=start.id,
        parent_id=start.parent_id,
        kind=start.kind,
        name=start.name,
        step=step,
        started_at=start.started_at,
        ended_at=getattr(source, "ended_at", None),
        input=start.input,
        output=getattr(source, "output", None),
        error=getattr(source, "error", None),
        usage=getattr(source, "usage", None),
        attributes={**start.attributes, **(end.attributes if end is not None else {})},
        origin=start.origin,
        ended=ended,
    )


def trace_id_number(trace_id: str) -> int | None:
    """An agentdbg trace id (32 hex digits, as ``trace()`` makes them) as an OTel trace id; else ``None``."""
    text = trace_id.replace("-", "")
    if len(text) != 32:
        return None
    try:
        number = int(text, 16)
    except ValueError:
        return None
    return number or None


class TraceIdGenerator:
    """Settable OTel trace ids, so a run's OTel trace id is its ``trace_id`` (see ``id_generator()``).

    Only ``OTelSink`` starts spans on the providers it is given to (under the sink's lock), so the id
    set just before a root span starts is the one that span gets; otherwise ids are random.
    """

    next_trace_id: int | None = None


def id_generator() -> TraceIdGenerator:
    """A ``TraceIdGenerator`` that is also the SDK's ``IdGenerator`` (pass it as ``TracerProvider(id_generator=)``)."""
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class _SettableIds(RandomIdGenerator, TraceIdGenerator):
        def generate_trace_id(self) -> int:
            forced, self.next_trace_id = self.next_trace_id, None
            return forced if forced is not None else super().generate_trace_id()

        def is_trace_id_random(self) -> bool:
            return False  # some ids are ours, not random (the W3C "random" trace flag stays off)

    return _SettableIds()


class _TraceState:
    """What the sink knows about one trace: its header and how many steps have started."""

    def __init__(self) -> None:
        self.header: TraceHeader | None = None
        self.steps = 0


class OTelSink:
    """Mirrors trace records onto OTel spans of ``tracer_provider``. Thread-safe.

    Records of several traces may be interleaved when each call names its ``trace_id``; without
    it a record belongs to the trace of the latest header. Invalid records are counted in
    ``skipped``, never raised: the agent being recorded must not fail because of telemetry.
    """

    def __init__(self, tracer_provider: Any, trace_ids: TraceIdGenerator | None = None) -> None:
        from agentdbg import __version__

        self._tracer = tracer_provider.get_tracer(SCOPE_NAME, __version__)
        self._trace_ids = trace_ids  # the provider's id generator, when OTel trace ids follow ours
        self._lock = threading.Lock()
        self._traces: dict[str, _TraceState] = {}
        self._current = ""  # trace id of the latest header
        self._open: dict[tuple[str, str], tuple[SpanStartRecord, Any, int]] = {}
        self._contexts: OrderedDict[tuple[str, str], Any] = (
            OrderedDict()
        )  # (trace, span id) -> OTel SpanContext
        self.skipped = 0
        self.errors = 0

    @property
    def header(self) -> TraceHeader | None:
        """The header of the latest trace seen."""
        state = self._traces.get(self._current)
        return state.header if state else None

    def write_header(self, header: TraceHeader) -> None:
        self.write(header.model_dump(mode="json", exclude_none=True))

    def write(self, record: dict[str, Any], trace_id: str | None = None) -> None:
        """Take one record (as written to the JSONL file) of trace ``trace_id`` (default: the latest header's)."""
        kind = record.get("type")
        try:
            if kind == "trace":
                header = TraceHeader.model_validate(record)
                with self._lock:
                    self._current = trace_id or header.trace_id
                    state = self._traces.setdefault(self._current, _TraceState())
                    state.header, state.steps = header, 0
                return
            key = trace_id if trace_id is not None else self._current
            if kind == "span_start":
                self._start(key, SpanStartRecord.model_validate(record))
            elif kind == "span_end":
                self._end(key, SpanEndRecord.model_validate(record))
            elif kind == "span":
                combined = SpanRecord.model_validate(record)
                self._start(key, combined)
                self._finish(key, combined, None)
        except ValueError:  # pydantic's ValidationError
            self.skipped += 1

    def _start(self, key: str, record: SpanStartRecord) -> None:
        from opentelemetry import trace as otel_trace
        from opentelemetry.trace import NonRecordingSpan, SpanKind

        with self._lock:
            state = self._traces.setdefault(key, _TraceState())
            state.steps += 1
            parent = self._contexts.get((key, record.parent_id)) if record.parent_id else None
            client = span_kind(Span(id=record.id, kind=record.kind)) == SPAN_KIND_CLIENT
            context = otel_trace.set_span_in_context(NonRecordingSpan(parent)) if parent is not None else None
            if parent is None and self._trace_ids is not None:
                self._trace_ids.next_trace_id = trace_id_number(key)
            otel_span = self._tracer.start_span(
                record.name or record.kind,
                context=context,
                kind=SpanKind.CLIENT if client else SpanKind.INTERNAL,
                start_time=_nanos(record.started_at),
            )
            self._open[(key, record.id)] = (record, otel_span, state.steps)
            self._contexts[(key, record.id)] = otel_span.get_span_context()
            while len(self._contexts) > MAX_REMEMBERED_PARENTS:
                self._contexts.popitem(last=False)

    def _end(self, key: str, record: SpanEndRecord) -> None:
        with self._lock:
            opened = self._open.get((key, record.id))
        if opened is not None:
            self._finish(key, opened[0], record)

    def _finish(self, key: str, start: SpanStartRecord, end: SpanEndRecord | None) -> None:
        from opentelemetry.trace import Status, StatusCode

        with self._lock:
            opened = self._open.pop((key, start.id), None)
            state = self._traces.get(key)
        if opened is None:
            return
        _, otel_span, step = opened
        span = _span_from(start, end, step)
        otel_span.update_name(span_name(span))
        attributes = span_attributes(span)
        header = state.header if state else None
        if header is not None:
            attributes["agentdbg.trace_id"] = header.trace_id
            if header.name:
                attributes["agentdbg.trace_name"] = header.name
        otel_span.set_attributes(
            {name: sdk_attribute(name, value) for name, value in attributes.items() if value is not None}
        )
        if span.error is not None:
            _record_error(otel_span, span.error, span.ended_at)
            otel_span.set_status(Status(StatusCode.ERROR, span.error.message or span.error.type))
        otel_span.end(end_time=_nanos(span.ended_at if span.ended_at is not None else span.started_at))

    def failed(self, error: Exception) -> None:
        """Count a record the OTel side could not take; say so once on stderr (the trace file is unaffected)."""
        self.errors += 1
        if self.errors == 1:
            sys.stderr.write(
                f"agentdbg: cannot hand a step to OpenTelemetry: {type(error).__name__}: {error}\n"
            )

    def close(self) -> None:
        """End the spans still open (their steps never ended), marked ``agentdbg.incomplete``."""
        with self._lock:
            pending = [(key[0], record) for key, (record, _, _) in self._open.items()]
        for key, record in pending:
            self._finish(key, record, None)


def _record_error(otel_span: Any, error: ErrorInfo, when: float | None) -> None:
    attributes = {"exception.type": error.type, "exception.message": error.message}
    if error.traceback:
        attributes["exception.stacktrace"] = error.traceback
    otel_span.add_event("exception", attributes, timestamp=_nanos(when))


# ------------------------------------------------------------ capture wiring

_SINKS: list[OTelSink] = []
_SINKS_LOCK = threading.Lock()


def enable_otel(tracer_provider: Any) -> OTelSink:
    """Send every step captured from now on to ``tracer_provider`` as well as to the trace file.

    Args:
        tracer_provider: an OpenTelemetry ``TracerProvider`` (the SDK's, or any API-compatible one).

    Returns:
        The sink; pass it to ``disable_otel`` to stop.
    """
    sink = OTelSink(tracer_provider)
    with _SINKS_LOCK:
        _SINKS.append(sink)
    return sink


def disable_otel(sink: OTelSink | None = None) -> None:
    """Stop mirroring to one sink (or to all), ending the spans it still holds open."""
    with _SINKS_LOCK:
        removed = [s for s in _SINKS if sink is None or s is sink]
        _SINKS[:] = [s for s in _SINKS if s not in removed]
    for item in removed:
        item.close()


_env_push: Any = None  # ``otlp_push.env_push`` once looked up (lazily: it imports the OTel SDK only if asked)


def mirroring() -> bool:
    """True when records written are also sent on (an OTel sink or ``AGENTDBG_EXPORT=otlp``): they must be whole."""
    global _env_push
    if _SINKS:
        return True
    if _env_push is None:
        from agentdbg.capture.otlp_push import env_push

        _env_push = env_push
    return _env_push() is not None


def mirror_record(record: dict[str, Any], trace_id: str | None = None) -> None:
    """Called by the capture writer for every record it writes (already redacted); a no-op when OTel is off."""
    global _env_push
    if _env_push is None:
        from agentdbg.capture.otlp_push import env_push

        _env_push = env_push
    push = _env_push()
    if push is not None:
        push.offer(record, trace_id)  # AGENTDBG_EXPORT=otlp: a queue put; a background thread sends
    if not _SINKS:
        return
    with _SINKS_LOCK:
        sinks = list(_SINKS)
    for sink in sinks:
        try:
            sink.write(record, trace_id)
        except Exception as exc:  # noqa: BLE001 - telemetry must never break the agent it records
            sink.failed(exc)


def export_trace_to_otel(trace: Trace, tracer_provider: Any, trace_ids: TraceIdGenerator | None = None) -> int:
    """Send a whole recorded trace to ``tracer_provider``; returns the number of spans sent.

    With ``trace_ids`` (the provider's ``TraceIdGenerator``) the OTel trace id is the trace's ``trace_id``.
    """
    sink = OTelSink(tracer_provider, trace_ids)
    sink.write_header(trace.header)
    for span in trace.spans:
        sink.write(span.to_record(), trace.header.trace_id)  # a ``span`` line, or ``span_start`` for a step that never ended
    sink.close()
    return len(trace.spans)
