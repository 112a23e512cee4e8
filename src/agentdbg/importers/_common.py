"""Shared plumbing for importers: building spans, collecting problems, parsing times and JSON-in-strings.

Every importer turns a foreign file into spans through ``ImportBuilder`` so step
numbering, parent linking and problem reporting work the same for every format.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

# the file readers (importers/_readers.py), under the names every importer imports them by
from agentdbg.importers._readers import first_jsonl_objects as first_jsonl_objects
from agentdbg.importers._readers import read_json_documents as read_json_documents
from agentdbg.importers._readers import read_json_file as read_json_file
from agentdbg.importers._readers import read_jsonl as read_jsonl
from agentdbg.importers._readers import sniff_json_head as sniff_json_head
from agentdbg.importers._shapes import explain_replay
from agentdbg.model.derived_tools import with_derived_tool_steps
from agentdbg.model.problems import Problem, Severity
from agentdbg.model.records import ErrorInfo, SpanKind, TraceHeader, Usage
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.store.reader import TraceBuilder

T = TypeVar("T")


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty dict (foreign files hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def parse_time(value: Any) -> float | None:
    """Unix seconds from an ISO-8601 string (naive = UTC), epoch seconds/ms/µs/ns (told apart by size, for
    times after 1973), or ``None``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        if number > 1e17:  # nanoseconds
            return number / 1e9
        if number > 1e14:  # microseconds
            return number / 1e6
        if number > 1e11:  # milliseconds
            return number / 1e3
        return number
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return parse_time(float(text))
    except ValueError:
        pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def maybe_json(value: Any, depth: int = 3) -> Any:
    """Decode a string that holds JSON (object/array/quoted string), up to ``depth`` times; else return it as is."""
    for _ in range(depth):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text or text[0] not in '{["':
            return value
        try:
            value = json.loads(text)
        except ValueError:
            return value
    return value


def as_int(value: Any) -> int | None:
    """An int from an int, float or numeric string (token counts often arrive as strings)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None


def make_usage(
    input_tokens: Any = None,
    output_tokens: Any = None,
    total_tokens: Any = None,
    cached_input_tokens: Any = None,
    cache_creation_input_tokens: Any = None,
    reasoning_tokens: Any = None,
) -> Usage | None:
    """A ``Usage`` from loosely typed counts, or ``None`` if every count is missing."""
    counts = {
        "input_tokens": as_int(input_tokens),
        "output_tokens": as_int(output_tokens),
        "total_tokens": as_int(total_tokens),
        "cached_input_tokens": as_int(cached_input_tokens),
        "cache_creation_input_tokens": as_int(cache_creation_input_tokens),
        "reasoning_tokens": as_int(reasoning_tokens),
    }
    if all(value is None for value in counts.values()):
        return None
    if (
        counts["total_tokens"] is None
        and counts["input_tokens"] is not None
        and counts["output_tokens"] is not None
    ):
        counts["total_tokens"] = counts["input_tokens"] + counts["output_tokens"]  # type: ignore[operator]
    return Usage(**counts)


class ImportBuilder:
    """Collects spans and problems for one imported file, then assembles a ``Trace``."""

    def __init__(self, path: Path, format_name: str) -> None:
        self.path = path
        self.source = str(path)
        self.format_name = format_name
        self.spans: list[Span] = []
        self.by_id: dict[str, Span] = {}
        self.problems: list[Problem] = []
        self.unknown: Counter[str] = Counter()
        self.unknown_lines: dict[str, int] = {}

    def problem(
        self, message: str, line: int = 0, severity: Severity = "warning", field: str | None = None
    ) -> None:
        self.problems.append(
            Problem(path=self.source, line=line, message=message, field=field, severity=severity)
        )

    def keep_unknown(self, label: str, line: int = 0) -> None:
        """Count a record this importer does not understand (reported once per label at build time)."""
        self.unknown[label] += 1
        self.unknown_lines.setdefault(label, line)

    def new_id(self, wanted: Any = None) -> str:
        base = (
            str(wanted) if wanted not in (None, "") else f"step{len(self.spans) + 1}"
        )  # stable across imports
        candidate, n = base, 1
        while candidate in self.by_id:
            n += 1
            candidate = f"{base}#{n}"
        return candidate

    def add(
        self,
        kind: SpanKind,
        name: str,
        *,
        id: Any = None,
        parent_id: str | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        input: Any = None,
        output: Any = None,
        error: ErrorInfo | None = None,
        usage: Usage | None = None,
        attributes: dict[str, Any] | None = None,
        ended: bool = True,
        line: int = 0,
    ) -> Span:
        """Append a span (step number = position); ids are made unique."""
        span = Span(
            id=self.new_id(id),
            parent_id=parent_id,
            kind=kind,
            name=name,
            step=len(self.spans) + 1,
            started_at=started_at,
            ended_at=ended_at if ended_at is not None else (started_at if ended else None),
            input=input,
            output=output,
            error=error,
            usage=usage,
            attributes=dict(attributes or {}),
            ended=ended,
            line=line,
            end_line=line if ended else None,
        )
        self.spans.append(span)
        self.by_id[span.id] = span
        return span

    def finish(
        self, span: Span, *, ended_at: float | None = None, output: Any = None, error: ErrorInfo | None = None
    ) -> None:
        span.ended = True
        span.ended_at = ended_at if ended_at is not None else span.ended_at
        span.output = output
        if error is not None:
            span.error = error
        span.end_line = span.end_line or span.line

    def unpaired_result(
        self, what: str, id_field: str, call_id: str, parent_id: str | None, ts: float | None, line: int
    ) -> Span:
        """A tool step for a result whose call is not in the file (``what`` names the result record,
        ``id_field`` its call id field): named as a warning, kept as an open step for the caller to finish."""
        self.problem(f"{what} for unknown {id_field} {call_id!r}; kept as its own step", line, "warning")
        return self.add(
            "tool",
            f"unpaired {what}",
            parent_id=parent_id,
            started_at=ts,
            input={"call_id": call_id},
            ended=False,
            line=line,
        )

    def content_id(self) -> str:
        """A trace id derived from the file's bytes, so importing the same file twice gives the same id."""
        digest = hashlib.sha256()
        try:
            with open(self.path, "rb") as handle:
                digest.update(handle.read(4 * 1024 * 1024))
            digest.update(str(self.path.stat().st_size).encode())
        except OSError:
            return uuid.uuid4().hex
        return digest.hexdigest()[:32]

    def _derive_tool_steps(self) -> None:
        """Tool steps for the calls a later recorded request answered (one rule for capture and importers)."""
        spans = with_derived_tool_steps(self.spans, self.new_id)
        if spans is self.spans:
            return
        for span in spans:
            self.by_id.setdefault(span.id, span)
        self.spans[:] = spans

    def build(
        self,
        *,
        trace_id: Any = None,
        name: str = "",
        started_at: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Trace:
        """Link parents (missing parents re-attached at the root with a warning) and make the trace."""
        for label, count in sorted(self.unknown.items()):
            self.problem(
                f"kept {count} unknown record(s) of type {label} (raw JSON in the step attributes)",
                self.unknown_lines[label],
                "info",
            )
        self._derive_tool_steps()
        explain_replay(self.spans, self.format_name)
        tb = TraceBuilder(self.source)
        tb.spans = self.spans
        tb.by_id = self.by_id
        tb.link()
        self.problems.extend(tb.problems)
        if started_at is None:
            started_at = min((s.started_at for s in self.spans if s.started_at is not None), default=None)
        header = TraceHeader(
            trace_id=str(trace_id) if trace_id else self.content_id(),
            name=name or self.path.stem,
            started_at=started_at,
            metadata={"imported_from": self.format_name, **(metadata or {})},
        )
        self.problems.sort(key=lambda p: p.line)
        return Trace(
            header=header,
            spans=self.spans,
            problems=self.problems,
            source=self.source,
            format=self.format_name,
        )


def parents_first(items: list[T], id_of: Callable[[T], str], parent_of: Callable[[T], str | None]) -> list[T]:
    """``items`` in their given order, except that a parent always comes before its children."""
    by_id = {id_of(item): item for item in items}
    placed: set[str] = set()
    out: list[T] = []
    for item in items:
        chain: list[T] = []
        cursor: T | None = item
        seen: set[str] = set()
        while cursor is not None and id_of(cursor) not in placed and id_of(cursor) not in seen:
            seen.add(id_of(cursor))
            chain.append(cursor)
            parent = parent_of(cursor)
            cursor = by_id.get(parent) if parent else None
        for entry in reversed(chain):
            placed.add(id_of(entry))
            out.append(entry)
    return out


def text_of(value: Any) -> str:
    """A readable string for any JSON value (strings as is)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
