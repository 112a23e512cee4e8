"""Push captured steps to an OpenTelemetry collector or backend: ``AGENTDBG_EXPORT=otlp`` (explicit, never implied).

Every record the capture writer writes (already redacted) is also put on a bounded queue; one
background thread turns the records into GenAI semantic-convention spans (``OTelSink``) and sends
them in batches with the official OTLP/HTTP exporter, configured by the standard variables
(``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_RESOURCE_ATTRIBUTES``). The agent only pays for a queue put: a slow or dead collector fills
the queue, the records that do not fit are dropped and counted, and the count is reported once on
stderr. The JSONL file stays the source of truth. The OTel trace id is the trace file's ``trace_id``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from agentdbg.capture.otel import OTelSink, TraceIdGenerator, id_generator

EXPORT_ENV = "AGENTDBG_EXPORT"
QUEUE_SIZE = 4096  # records waiting for the background thread; more are dropped
BATCH_SIZE = 256  # spans per OTLP request
BATCH_DELAY = 0.5  # seconds a span may wait for its batch
THREAD_NAME = "agentdbg-otlp-export"
EXIT_WAIT = 5.0  # seconds the process may wait at exit for the queue to drain into a live collector
EXIT_WAIT_ENV = "AGENTDBG_EXPORT_EXIT_WAIT"  # overrides EXIT_WAIT (seconds)


class _NotFromPusher(logging.Filter):
    """Hides the exporter's retry logs from the pusher's thread, noting when nothing listens at the collector."""

    def __init__(self, pusher: OtlpPush) -> None:
        super().__init__()
        self._pusher = pusher

    def filter(self, record: logging.LogRecord) -> bool:
        if record.threadName != THREAD_NAME:
            return True
        message = record.getMessage()
        self._pusher.last_error = message.splitlines()[0][:300] if message else None
        if any(sign in message for sign in _CANNOT_CONNECT):
            self._pusher.collector_down = True  # nothing listens there: waiting at exit cannot help
        return False


_CANNOT_CONNECT = ("Connection refused", "Failed to establish a new connection", "Name or service not known")


class _Collect:
    """A span processor that hands ended spans to the pusher's batch (the pusher's thread only)."""

    def __init__(self, batch: list[Any]) -> None:
        self._batch = batch

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: Any) -> None:
        self._batch.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def _on_ending(self, span: Any) -> None:  # newer SDKs call this on every processor
        pass


def tracer_provider_for(exporter: Any) -> tuple[Any, TraceIdGenerator, list[Any]]:
    """A ``TracerProvider`` whose ended spans collect in the returned list, with settable trace ids."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "agentdbg"}
    ids = id_generator()
    provider = TracerProvider(resource=Resource.create(attributes), id_generator=ids, shutdown_on_exit=False)  # type: ignore[arg-type]
    batch: list[Any] = []
    provider.add_span_processor(_Collect(batch))  # type: ignore[arg-type]
    return provider, ids, batch


class OtlpPush:
    """The background pipeline: bounded record queue -> OTelSink -> batches -> OTLP/HTTP exporter."""

    def __init__(self, exporter: Any = None, queue_size: int = QUEUE_SIZE) -> None:
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        # the exporter's retry warnings, from our thread only, would repeat on every batch; we report once
        logging.getLogger(type(exporter).__module__).addFilter(_NotFromPusher(self))
        self._exporter = exporter
        self._provider, ids, self._batch = tracer_provider_for(exporter)
        self._sink = OTelSink(self._provider, ids)
        self._queue: queue.Queue[tuple[dict[str, Any], str | None] | None] = queue.Queue(queue_size)
        self.rejected = 0  # step records the full queue turned away
        self.accepted = 0  # step records (span, span_end) queued: each becomes one span
        self.failed = 0  # spans whose export failed
        self.failed_exports = 0
        self.sent = 0
        self._closed = False
        self.collector_down = False  # the collector refused the connection (nothing listens)
        self.last_error: str | None = None  # the exporter's last complaint (shown with the drop count)
        self._reported = False
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def offer(self, record: dict[str, Any], trace_id: str | None) -> None:
        """Called in the agent's thread for each written record: a queue put, never blocking."""
        step_end = record.get("type") in ("span", "span_end")  # a start alone is no span yet
        try:
            self._queue.put_nowait((record, trace_id))
        except queue.Full:
            if step_end:
                self.rejected += 1
        else:
            if step_end:
                self.accepted += 1

    def _run(self) -> None:
        deadline = None
        while True:
            try:
                item = self._queue.get(timeout=BATCH_DELAY)
            except queue.Empty:
                item = ()  # type: ignore[assignment]
            if item is None:  # close(): send what is left and stop
                self._flush()
                return
            if item:
                record, trace_id = item
                try:
                    self._sink.write(record, trace_id)  # a span is exported when its step ends
                except Exception as exc:  # noqa: BLE001 - telemetry must never break the agent it records
                    self._sink.failed(exc)
                deadline = deadline or time.monotonic() + BATCH_DELAY
            if self._batch and (len(self._batch) >= BATCH_SIZE or time.monotonic() >= (deadline or 0)):
                self._flush()
                deadline = None

    def _flush(self) -> None:
        spans: Sequence[Any] = list(self._batch)
        self._batch.clear()
        if not spans:
            return
        try:
            ok = self._exporter.export(spans).name == "SUCCESS"
        except Exception:  # noqa: BLE001 - telemetry must never break the agent it records
            ok = False
        if ok:
            self.sent += len(spans)
        else:
            self.failed_exports += 1
            self.failed += len(spans)

    def close(self, wait: float = EXIT_WAIT) -> None:
        """Send what is queued, waiting at most ``wait`` seconds, and not at all once nothing is seen listening
        at the collector (a dead collector must not hold the program's exit); then report drops once."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=wait)
        while self._thread.is_alive() and time.monotonic() < deadline:
            if self.collector_down:
                break
            self._thread.join(0.02)
        self._closed = True
        with contextlib.suppress(Exception):  # a broken exporter must not fail the exit
            self._exporter.shutdown()
        self.report()

    @property
    def dropped(self) -> int:
        """Spans that never reached the collector: turned away by the full queue, failed, or (once closed)
        still waiting or in flight."""
        if self._closed:
            return self.rejected + max(0, self.accepted - self.sent)
        return self.rejected + self.failed

    def report(self) -> None:
        if self.dropped and not self._reported:
            self._reported = True
            why = f"; last error: {self.last_error}" if self.last_error else ""
            sys.stderr.write(
                f"agentdbg: OTLP export dropped {self.dropped} span(s) (collector unreachable or too slow{why}); "
                "the trace files are complete\n"
            )


_PUSH: OtlpPush | None = None
_PUSH_LOCK = threading.Lock()
_CHECKED = False


def _exit_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(EXIT_WAIT_ENV, EXIT_WAIT)))
    except ValueError:
        return EXIT_WAIT


def env_push() -> OtlpPush | None:
    """The process's pusher when ``AGENTDBG_EXPORT=otlp`` (created on first use), else ``None``."""
    global _PUSH, _CHECKED
    if _CHECKED:
        return _PUSH
    with _PUSH_LOCK:
        if not _CHECKED:
            mode = os.environ.get(EXPORT_ENV, "").strip().lower()
            if mode == "otlp":
                try:
                    _PUSH = OtlpPush()
                except ImportError:
                    sys.stderr.write(
                        "agentdbg: AGENTDBG_EXPORT=otlp needs the OTLP exporter: pip install 'agentdbg[otel]'\n"
                    )
                else:
                    atexit.register(_PUSH.close, _exit_wait())
            elif mode:
                sys.stderr.write(
                    f"agentdbg: unknown AGENTDBG_EXPORT={mode!r} (use 'otlp'); nothing is sent\n"
                )
            _CHECKED = True
    return _PUSH


def traces_endpoint(url: str) -> str:
    """An OTLP/HTTP traces URL: ``http://host:4318`` gets the standard ``/v1/traces`` path."""
    from urllib.parse import urlsplit

    return url if urlsplit(url).path.strip("/") else url.rstrip("/") + "/v1/traces"


def send_trace(trace: Any, url: str, timeout: float | None = None) -> int:
    """Send a recorded trace to ``url`` with the OTLP/HTTP exporter (headers from ``OTEL_EXPORTER_OTLP_HEADERS``,
    ``timeout`` default ``OTEL_EXPORTER_OTLP_TIMEOUT``, else 10 s).

    Returns:
        The number of spans sent.

    Raises:
        SourceError: the collector is unreachable or refused the spans.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from agentdbg.capture.otel import export_trace_to_otel
    from agentdbg.errors import SourceError

    endpoint = traces_endpoint(url)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=timeout)
    logger = logging.getLogger(OTLPSpanExporter.__module__)
    provider, ids, batch = tracer_provider_for(exporter)
    export_trace_to_otel(trace, provider, ids)
    previous = logger.level
    logger.setLevel(logging.CRITICAL)  # its retry warnings; the outcome is said once below
    try:
        result = exporter.export(batch)
    finally:
        logger.setLevel(previous)
        exporter.shutdown()
    if result.name != "SUCCESS":
        raise SourceError(f"cannot send the trace to {endpoint} (collector unreachable or it refused the spans)")
    return len(batch)


def use_push(push: OtlpPush | None) -> None:
    """Make ``push`` this process's pusher (``None``: none), whatever ``AGENTDBG_EXPORT`` says (benches, tests)."""
    global _PUSH, _CHECKED
    with _PUSH_LOCK:
        _PUSH, _CHECKED = push, True
