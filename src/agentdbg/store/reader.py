"""Read a JSONL trace without ever giving up on it.

Every line that cannot be used becomes a ``Problem`` (file, line, field, reason)
and the rest still loads: bad JSON, non-objects, validation failures, duplicate
ids, ends without starts, missing parents and parent cycles (re-attached at the
root), and a truncated last line left by a writer killed mid-write.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from agentdbg.errors import TraceReadError
from agentdbg.model.plain import plain_check
from agentdbg.model.problems import Problem, Severity
from agentdbg.model.records import (
    RECORD_MODELS,
    SCHEMA_VERSION,
    SpanEndRecord,
    SpanRecord,
    SpanStartRecord,
    TraceHeader,
)
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.store import compact

_RECORD_TYPES: dict[str, type[Any]] = RECORD_MODELS  # by "type" tag, from model/records.py


def _field_of(error: ValidationError) -> tuple[str | None, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    return field, str(first.get("msg", "invalid value"))


_PLAIN = {tag: plain_check(model) for tag, model in RECORD_MODELS.items()}  # from the models' annotations


def is_plain_span_record(kind: str, data: dict[str, Any]) -> bool:
    """True when ``data`` surely validates as a span record of ``kind`` (no coercion needed).

    A conservative shortcut for hot loops: ``False`` only means "ask pydantic"
    (``validate_record``), which stays the one authority on what is valid.
    """
    return _PLAIN[kind](data)


def validate_record(data: dict[str, Any]) -> tuple[Any, str | None, str]:
    """Validate one decoded line: ``(record model, None, "")`` or ``(None, field, reason)``."""
    kind = data.get("type")
    model = _RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None, "type", f"unknown record type {kind!r}; expected one of {', '.join(_RECORD_TYPES)}"
    try:
        return model.model_validate(data), None, ""
    except ValidationError as exc:
        field, reason = _field_of(exc)
        return None, field, reason


def json_problem(exc: orjson.JSONDecodeError, raw: bytes) -> str:
    """``not valid JSON at column N: reason`` for one JSONL line, its line end not counted."""
    column = min(exc.pos, len(raw.rstrip(b"\r\n"))) + 1
    return f"not valid JSON at column {column}: {exc.msg}"


def decode_line(raw: bytes, complete: bool = True, last: bool = False) -> tuple[Any, str, Severity]:
    """Parse one line: ``(dict, "", "info")`` or ``(None, problem message, severity)``."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if last and not complete:
            return None, TRUNCATED_LAST_LINE, "warning"
        return None, json_problem(exc, raw), "error"
    if not isinstance(data, dict):
        return None, f"expected a JSON object, got {type(data).__name__}", "error"
    return data, "", "info"


TRUNCATED_LAST_LINE = "truncated last line (the writer was probably killed mid-write); skipped"


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


def header_problems(header: TraceHeader, seen_header: bool, seen_spans: bool) -> list[tuple[str, str]]:
    """Warnings (message, field) for a header line; a second header is ignored by the caller.

    Shared by the reader and the index so both judge a file alike.
    """
    if seen_header:
        return [("a second trace header; ignored", "type")]
    problems = []
    if seen_spans:
        problems.append(("the header is not the first record", "type"))
    if header.schema_version > SCHEMA_VERSION:
        problems.append(
            (
                f"schema_version {header.schema_version} is newer than this reader ({SCHEMA_VERSION}); unknown fields are kept",
                "schema_version",
            )
        )
    return problems


class TraceBuilder:
    """Assembles records into a ``Trace``, collecting problems as it goes.

    Used by the file reader and by live followers (``--follow``) that feed lines as they arrive.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.header: TraceHeader | None = None
        self.bad_header_line: int | None = None  # a header line that did not validate (already reported)
        self.spans: list[Span] = []
        self.by_id: dict[str, Span] = {}
        self.problems: list[Problem] = []
        self._parts: dict[str, compact.Parts] = {}

    def problem(
        self, line: int, message: str, field: str | None = None, severity: Severity = "error"
    ) -> None:
        self.problems.append(
            Problem(path=self.source, line=line, message=message, field=field, severity=severity)
        )  # type: ignore[arg-type]

    def feed_line(self, number: int, raw: bytes, complete: bool = True, last: bool = False) -> Span | None:
        """Parse and apply one line; returns the span it created or completed, if any."""
        data, message, severity = decode_line(raw, complete, last)
        if data is None:
            self.problem(number, message, severity=severity)
            return None
        return self.feed_record(number, data)

    def _request_parts(self, span_id: str) -> compact.Parts | None:
        parts = self._parts.get(span_id)
        if parts is None:
            span = self.by_id.get(span_id)
            request = (
                compact.llm_request({"kind": span.kind, "input": span.input}) if span is not None else None
            )
            if request is not None:
                parts = self._parts[span_id] = compact.request_parts(request)
        return parts

    def _built_request(self, span_id: str) -> dict[str, Any] | None:
        span = self.by_id.get(span_id)
        return compact.llm_request({"kind": span.kind, "input": span.input}) if span is not None else None

    def feed_record(self, number: int, data: dict[str, Any]) -> Span | None:
        if compact.COMPACT_KEY in data:  # schema 2: rebuild the whole request first
            parts, message = compact.expand_record(data, self._request_parts, self._built_request)
            if message is not None:
                self.problem(number, message, field=compact.COMPACT_KEY)
                data.setdefault("attributes", {})
                if isinstance(data["attributes"], dict):
                    data["attributes"]["replayable"] = False
                if isinstance(data.get("id"), str) and data["id"] not in self.by_id:
                    self._parts[data["id"]] = compact.BROKEN  # requests built on this one are incomplete too
            elif isinstance(data.get("id"), str) and data["id"] not in self.by_id:
                self._parts[data["id"]] = parts  # type: ignore[assignment]
        record, field, reason = validate_record(data)
        if record is None:
            self.problem(number, reason, field=field)
            if data.get("type") == "trace" and self.bad_header_line is None:
                self.bad_header_line = number
            return None
        if isinstance(record, TraceHeader):
            self._header(number, record)
            return None
        if isinstance(record, SpanEndRecord):
            return self._end(number, record)
        return self._start(number, record)

    def _header(self, number: int, header: TraceHeader) -> None:
        for message, field in header_problems(header, self.header is not None, bool(self.spans)):
            self.problem(number, message, field=field, severity="warning")
        if self.header is None:
            self.header = header

    def _start(self, number: int, record: SpanStartRecord) -> Span | None:
        if record.id in self.by_id:
            self.problem(
                number,
                f"duplicate span id {record.id!r} (first seen on line {self.by_id[record.id].line}); skipped",
                field="id",
            )
            return None
        fields = {name: getattr(record, name) for name in type(record).model_fields if name != "type"}
        for key, value in (record.model_extra or {}).items():
            if key in Span.model_fields:
                self.problem(
                    number,
                    f"field {key!r} does not belong in a {record.type} record; ignored",
                    field=key,
                    severity="warning",
                )
            else:
                fields[key] = value
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
            self.problem(
                number, f"span {record.id!r} ended twice (first on line {span.end_line}); skipped", field="id"
            )
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
            if key in Span.model_fields:
                self.problem(
                    number,
                    f"field {key!r} does not belong in a span_end record; ignored",
                    field=key,
                    severity="warning",
                )
            else:
                setattr(span, key, value)
        return span

    def link(self) -> None:
        """Resolve parents: missing parents and cycles are re-attached at the root, with a warning."""
        for span in self.spans:
            span.children = []
        for span in self.spans:
            if span.parent_id is not None and span.parent_id not in self.by_id:
                self.problem(
                    span.line,
                    f"parent {span.parent_id!r} of span {span.id!r} does not exist; shown at the root",
                    field="parent_id",
                    severity="warning",
                )
                span.parent_id = None
        for span in self.spans:
            seen = {span.id}
            cursor = span.parent_id
            while cursor is not None:
                if cursor in seen and cursor != span.id:
                    break  # leads into a cycle it is not on; that cycle is cut at its own first member
                if cursor == span.id:  # the first member of a cycle (in start order) is cut loose
                    self.problem(
                        span.line,
                        f"span {span.id!r} is part of a parent cycle; shown at the root",
                        field="parent_id",
                        severity="warning",
                    )
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
            if (self.spans or self.problems) and self.bad_header_line is None:  # a bad header is named already
                self.problem(
                    1, "no trace header line; using a default header", field="type", severity="warning"
                )
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
    collecting = gc.isenabled()
    gc.disable()  # spans make no cycles; full collections re-walked every span read so far
    try:
        for item in iter_lines(file_path):
            if pending is not None:
                builder.feed_line(*pending)
            pending = item
        if pending is not None:
            builder.feed_line(*pending, last=True)
        return builder.build()
    finally:
        if collecting:
            gc.enable()
