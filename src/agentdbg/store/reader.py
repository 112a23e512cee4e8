"""Read a JSONL trace without ever giving up on it.

Every line that cannot be used becomes a ``Problem`` (file, line, field, reason)
and the rest still loads: bad JSON, non-objects, validation failures, duplicate
ids, ends without starts, missing parents and parent cycles (re-attached at the
root), and a truncated last line left by a writer killed mid-write.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from agentdbg.errors import TraceReadError
from agentdbg.model.problems import Problem
from agentdbg.model.records import (
    SCHEMA_VERSION,
    SpanEndRecord,
    SpanRecord,
    SpanStartRecord,
    TraceHeader,
)
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_RECORD_TYPES: dict[str, type[Any]] = {
    "trace": TraceHeader,
    "span_start": SpanStartRecord,
    "span_end": SpanEndRecord,
    "span": SpanRecord,
}


def _field_of(error: ValidationError) -> tuple[str | None, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    return field, str(first.get("msg", "invalid value"))


def iter_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """Yield (line number, raw bytes, ends-with-newline) for every non-empty line."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise TraceReadError(f"cannot open {path}: {exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            complete = raw.endswith(b"\n")
            stripped = raw.strip()
            if stripped:
                yield number, stripped, complete


class TraceBuilder:
    """Assembles records into a ``Trace``, collecting problems as it goes.

    Used by the file reader and by live followers (``--follow``) that feed lines as they arrive.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.header: TraceHeader | None = None
        self.spans: list[Span] = []
        self.by_id: dict[str, Span] = {}
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str, field: str | None = None, severity: str = "error") -> None:
        self.problems.append(Problem(path=self.source, line=line, message=message, field=field, severity=severity))  # type: ignore[arg-type]

    def feed_line(self, number: int, raw: bytes, complete: bool = True, last: bool = False) -> Span | None:
        """Parse and apply one line; returns the span it created or completed, if any."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if last and not complete:
                self.problem(number, "truncated last line (the writer was probably killed mid-write); skipped", severity="warning")
            else:
                self.problem(number, f"not valid JSON: {exc}")
            return None
        if not isinstance(data, dict):
            self.problem(number, f"expected a JSON object, got {type(data).__name__}")
            return None
        return self.feed_record(number, data)

    def feed_record(self, number: int, data: dict[str, Any]) -> Span | None:
        kind = data.get("type")
        model = _RECORD_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            self.problem(number, f"unknown record type {kind!r}; expected one of {', '.join(_RECORD_TYPES)}", field="type")
            return None
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            field, reason = _field_of(exc)
            self.problem(number, reason, field=field)
            return None
        if isinstance(record, TraceHeader):
            self._header(number, record)
            return None
        if isinstance(record, SpanEndRecord):
            return self._end(number, record)
        return self._start(number, record)

    def _header(self, number: int, header: TraceHeader) -> None:
        if self.header is not None:
            self.problem(number, "a second trace header; ignored", field="type", severity="warning")
            return
        if self.spans:
            self.problem(number, "the header is not the first record", field="type", severity="warning")
        if header.schema_version > SCHEMA_VERSION:
            self.problem(
                number,
                f"schema_version {header.schema_version} is newer than this reader ({SCHEMA_VERSION}); unknown fields are kept",
                field="schema_version",
                severity="warning",
            )
        self.header = header

    def _start(self, number: int, record: SpanStartRecord) -> Span | None:
        if record.id in self.by_id:
            self.problem(number, f"duplicate span id {record.id!r} (first seen on line {self.by_id[record.id].line}); skipped", field="id")
            return None
        fields = record.model_dump()
        fields.pop("type", None)
        span = Span(**fields, line=number, step=len(self.spans) + 1)
        if isinstance(record, SpanRecord):
            span.ended = True
            span.end_line = number
        self.spans.append(span)
        self.by_id[span.id] = span
        return span

    def _end(self, number: int, record: SpanEndRecord) -> Span | None:
        span = self.by_id.get(record.id)
        if span is None:
            self.problem(number, f"span_end for unknown span id {record.id!r}; skipped", field="id")
            return None
        if span.ended:
            self.problem(number, f"span {record.id!r} ended twice (first on line {span.end_line}); skipped", field="id")
            return None
        span.ended = True
        span.end_line = number
        span.ended_at = record.ended_at
        span.output = record.output
        span.error = record.error
        span.usage = record.usage
        if record.attributes:
            span.attributes = {**span.attributes, **record.attributes}
        for key, value in (record.model_extra or {}).items():
            setattr(span, key, value)
        return span

    def link(self) -> None:
        """Resolve parents: missing parents and cycles are re-attached at the root, with a warning."""
        for span in self.spans:
            span.children = []
        for span in self.spans:
            if span.parent_id is not None and span.parent_id not in self.by_id:
                self.problem(span.line, f"parent {span.parent_id!r} of span {span.id!r} does not exist; shown at the root", field="parent_id", severity="warning")
                span.parent_id = None
        for span in self.spans:
            seen = {span.id}
            cursor = span.parent_id
            while cursor is not None:
                if cursor in seen:
                    self.problem(span.line, f"span {span.id!r} is part of a parent cycle; shown at the root", field="parent_id", severity="warning")
                    span.parent_id = None
                    break
                seen.add(cursor)
                cursor = self.by_id[cursor].parent_id
        for span in self.spans:
            if span.parent_id is not None:
                self.by_id[span.parent_id].children.append(span.id)

    def build(self) -> Trace:
        self.link()
        header = self.header
        if header is None:
            if self.spans or self.problems:
                self.problem(1, "no trace header line; using a default header", field="type", severity="warning")
            started = min((s.started_at for s in self.spans if s.started_at is not None), default=None)
            header = TraceHeader(trace_id=uuid.uuid4().hex, name=Path(self.source).stem, started_at=started)
        self.problems.sort(key=lambda p: p.line)
        return Trace(header=header, spans=self.spans, problems=self.problems, source=self.source)


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """Load an agentdbg JSONL trace; unusable lines become ``trace.problems``.

    Raises:
        TraceReadError: if the file cannot be opened at all.
    """
    file_path = Path(path)
    if file_path.is_dir():
        raise TraceReadError(f"{file_path} is a directory, not a trace file")
    builder = TraceBuilder(str(file_path))
    pending: tuple[int, bytes, bool] | None = None
    for item in iter_lines(file_path):
        if pending is not None:
            builder.feed_line(*pending)
        pending = item
    if pending is not None:
        builder.feed_line(*pending, last=True)
    return builder.build()
