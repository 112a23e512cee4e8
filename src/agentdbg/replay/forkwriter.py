"""Writes a fork trace as it runs: header with ``fork_of``, recorded copies, then new steps with their ``origin``."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentdbg.model.records import ErrorInfo, ForkOf, TraceHeader, Usage
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.store.writer import TraceWriter

StepCallback = Callable[[Span], None]

SECRET_HEADERS = ("authorization", "proxy-authorization", "x-api-key", "api-key", "cookie")


def _mask_headers(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "[REDACTED]" if str(key).lower() in SECRET_HEADERS else _mask_headers(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_headers(item) for item in value]
    return value


def scrub(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with credential headers masked where a fork can carry them: a patched request's
    ``extra_headers`` and the patch in the header. (Key-shaped strings anywhere are masked by the writer.)
    """
    fork_of = record.get("fork_of")
    if isinstance(fork_of, dict) and fork_of.get("patch") is not None:
        record = {**record, "fork_of": {**fork_of, "patch": _mask_headers(fork_of["patch"])}}
    data = record.get("input")
    request = data.get("request") if isinstance(data, dict) else None
    if isinstance(request, dict) and isinstance(request.get("extra_headers"), dict):
        masked = {**request, "extra_headers": _mask_headers(request["extra_headers"])}
        record = {**record, "input": {**data, "request": masked}}  # type: ignore[dict-item]
    return record


class ForkWriter:
    """Appends the fork's records to its file and keeps the written spans in memory (in step order)."""

    def __init__(self, path: Path | None, on_step: StepCallback | None = None) -> None:
        self.writer = TraceWriter(path, overwrite=True) if path is not None else None
        self.spans: list[Span] = []
        self.on_step = on_step
        self._open_copies: list[Span] = []  # copied steps that enclose the fork: they end with the fork
        self._shift = 0.0  # seconds added to copied times, so the fork's timeline is its own

    def _write(self, record: dict[str, Any]) -> None:
        """Write one record with secrets masked (credential headers, key-shaped strings)."""
        if self.writer is not None:
            self.writer.write(scrub(record))

    def header(self, source: Trace, fork_step: str, patch: Any) -> TraceHeader:
        name = source.header.name or "run"
        header = TraceHeader(
            trace_id=uuid.uuid4().hex,
            name=f"{name} (fork at {fork_step})",
            started_at=time.time(),
            metadata={**source.header.metadata, "replay": True},
            fork_of=ForkOf(
                trace_id=source.header.trace_id, source=source.source, step=fork_step, patch=patch
            ),
        )
        self._write(header.model_dump(mode="json", exclude_none=True))
        return header

    def copy_before(self, source: Trace, fork: Span) -> None:
        """Copy every step before ``fork`` as ``recorded``, on the fork's own timeline.

        Copied times are shifted so the copies end where the fork begins (now), and a step that
        encloses the fork (its agent step, say) is copied open: the original's end, error and
        output belong to the original run, so it ends when the fork ends, with the fork's outcome.
        """
        earlier = itertools.islice(source.spans, fork.step - 1)  # streamed: a lazy trace holds none of them
        if fork.started_at is not None:
            self._shift = time.time() - fork.started_at
        enclosing: set[str] = set()
        parents = {summary.id: summary.parent_id for summary in source.summaries()}
        parent = fork.parent_id
        while parent is not None and parent not in enclosing:
            enclosing.add(parent)
            parent = parents.get(parent)
        for span in earlier:
            self.copy_recorded(span, open_until_fork=span.id in enclosing)

    def _shifted(self, value: float | None) -> float | None:
        return value + self._shift if value is not None else None

    def copy_recorded(self, span: Span, *, open_until_fork: bool = False) -> Span:
        """Copy an original step before the fork with ``origin: recorded`` (times shifted, see ``copy_before``)."""
        update: dict[str, Any] = {
            "origin": "recorded",
            "step": len(self.spans) + 1,
            "children": [],
            "started_at": self._shifted(span.started_at),
            "ended_at": self._shifted(span.ended_at),
        }
        if open_until_fork:
            update.update(ended=False, ended_at=None, error=None, output=None)
        copied = span.model_copy(update=update)
        record = copied.to_record()
        if open_until_fork:
            record["type"] = "span_start"
            for key in ("ended_at", "output", "error", "usage"):
                record.pop(key, None)
            self._open_copies.append(copied)
        self._write(record)
        self.spans.append(copied)
        return copied

    def start(
        self,
        kind: str,
        name: str,
        input: Any,
        origin: str,
        parent_id: str | None,
        attributes: dict[str, Any] | None = None,
    ) -> Span:
        """Begin a new step (``span_start`` written at once, so a crash leaves an incomplete step)."""
        span = Span(
            id=uuid.uuid4().hex[:16],
            parent_id=parent_id,
            kind=kind,  # type: ignore[arg-type]
            name=name,
            step=len(self.spans) + 1,
            started_at=time.time(),
            input=input,
            attributes=dict(attributes or {}),
            origin=origin,  # type: ignore[arg-type]
        )
        record = span.to_record()
        record["type"] = "span_start"
        self._write(record)
        self.spans.append(span)
        return span

    def end(
        self,
        span: Span,
        output: Any = None,
        *,
        error: ErrorInfo | None = None,
        usage: Usage | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Span:
        """Finish a step with its output, error, usage and extra attributes."""
        span.ended = True
        span.ended_at = time.time()
        span.output = output
        span.error = error
        span.usage = usage
        record: dict[str, Any] = {
            "type": "span_end",
            "id": span.id,
            "ended_at": span.ended_at,
            "output": output,
        }
        if error is not None:
            record["error"] = error.model_dump(exclude_none=True)
        if usage is not None:
            record["usage"] = usage.model_dump(exclude_none=True)
        if attributes:
            span.attributes.update(attributes)
            record["attributes"] = attributes
        self._write(record)
        if self.on_step is not None:
            self.on_step(span)
        return span

    def close(self, error: ErrorInfo | None = None) -> None:
        """End the copied steps that enclose the fork (with the fork's ``error``, if it failed), then the file."""
        on_step, self.on_step = self.on_step, None  # a copy is not a new step: no progress callback
        try:
            for span in reversed(self._open_copies):
                self.end(span, None, error=error)
        finally:
            self.on_step = on_step
        self._open_copies.clear()
        if self.writer is not None:
            self.writer.close()
