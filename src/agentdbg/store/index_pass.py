"""Passes over every step of an indexed trace: whole ``Span`` objects, or light ``PassStep`` records.

``iter_spans`` (``TraceIndex.iter_spans``) gives each step as the reader builds it, each compact
request rebuilt whole from the parts of its base kept from earlier in the pass. ``pass_steps`` is the
pass for code that reads a few fields of every step (``diagnose``): a plain line (one the index's
msgspec structs take, as ``index_fast`` does) becomes a ``PassStep`` with the same fields a ``Span``
has, without pydantic, and a compact llm request is left as written (``PassStep.request_ref`` says
what it extends: the consumer carries what it needs of the base forward, see
``analysis/llm_facts.py``). Anything else (a line on which the reader reported a problem, a line the
structs refuse, an error or usage the models do not take as they are) is the exact ``Span`` from
``read_span``, so a consumer handles both.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec
import orjson
from pydantic import ValidationError

from agentdbg.model.records import ErrorInfo, Usage
from agentdbg.model.span import Span, StepOutcome
from agentdbg.store import compact, index_spans
from agentdbg.store.record_structs import SpanEndLine, SpanLine, SpanStartLine

if TYPE_CHECKING:
    from agentdbg.model.views import ToolView
    from agentdbg.store.index import TraceIndex

_decode_start = msgspec.json.Decoder(SpanStartLine | SpanLine).decode
_decode_end = msgspec.json.Decoder(SpanEndLine).decode
_NOT_PLAIN = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, orjson.JSONDecodeError)


def _payload(raw: msgspec.Raw) -> Any:
    """A payload field's value (``None`` when the line has none, as the record models default it)."""
    return orjson.loads(memoryview(raw)) if len(raw) else None


class PassStep(StepOutcome):
    """One step's fields as ``Span`` has them (same names and values), read without pydantic.

    ``request_ref`` is set on an llm step whose request is compact: its ``input`` is then the request
    as the line wrote it (only what it adds to its base), not the rebuilt one, and ``base`` the position
    of the request it extends as the scan linked it (``None`` if the scan found it broken or missing).
    """

    __slots__ = (
        "attributes",
        "base",
        "children",
        "end_line",
        "ended",
        "ended_at",
        "error",
        "id",
        "input",
        "kind",
        "line",
        "name",
        "origin",
        "output",
        "parent_id",
        "request_ref",
        "started_at",
        "step",
        "tool_view",
        "usage",
    )

    def __init__(
        self, start: Any, span_id: str, step: int, line: int, parent_id: str | None, children: list[str]
    ) -> None:
        self.id = span_id  # the index's own string (equal to the line's): a pass's records share it
        self.parent_id = parent_id
        self.kind: str = start.kind
        self.name: str = start.name
        self.step = step
        self.started_at: float | None = start.started_at
        self.input: Any = _payload(start.input)
        self.attributes: dict[str, Any] = start.attributes
        self.origin: str | None = start.origin
        self.request_ref: Any = start.request_ref
        self.base: int | None = None
        self.line = line
        self.children = children
        self.ended = False
        self.end_line: int | None = None
        self.ended_at: float | None = None
        self.output: Any = None
        self.error: ErrorInfo | None = None
        self.usage: Usage | None = None
        self.tool_view: ToolView | None = None

    def end(self, end: Any, line: int) -> None:
        """Apply the end half (a ``span_end`` line, or the start line itself for a ``span`` line)."""
        self.ended = True
        self.end_line = line
        self.ended_at = end.ended_at
        self.output = _payload(end.output)
        self.error = None if end.error is None else ErrorInfo.model_validate(end.error)
        self.usage = None if end.usage is None else Usage.model_validate(end.usage)

    @property
    def tool(self) -> ToolView | None:
        """As ``Span.tool`` (made once: a pass's consumers each ask, and a step is not edited)."""
        if self.kind != "tool":
            return None
        if self.tool_view is None:
            from agentdbg.model.views import ToolView

            self.tool_view = ToolView.of(self)  # type: ignore[arg-type]  # reads the fields a Span has
        return self.tool_view


class _Window:
    """Lines read ahead in blocks for a pass in step order: the start lines come in file order and most
    end lines a little after theirs, so one ``pread`` serves many lines (a line outside the block is read
    alone, or moves the block forward when it is a start line)."""

    BLOCK = 1 << 20

    def __init__(self, index: TraceIndex) -> None:
        self.index = index
        self.start = self.end = 0
        self.data = memoryview(b"")

    def line(self, offset: int, length: int, forward: bool) -> Any:
        if self.start <= offset and offset + length <= self.end:
            return self.data[offset - self.start : offset - self.start + length]
        if not forward or length > self.BLOCK:
            return self.index._read_line(offset, length)
        data = self.index._read_line(offset, self.BLOCK)
        self.start, self.end, self.data = offset, offset + len(data), memoryview(data)
        return self.data[:length] if len(data) >= length else self.index._read_line(offset, length)


def _plain_step(index: TraceIndex, position: int, window: _Window | None = None) -> PassStep | None:
    """The step at ``position`` as a ``PassStep``, or ``None`` when its lines are not plain."""
    s = index._state
    window = window or _Window(index)
    try:
        start: Any = _decode_start(window.line(s.start_off[position], s.start_len[position], True))
        if start.id != s.ids[position]:
            return None  # the file changed since the scan: the exact path says so
        children = [s.ids[c] for c in s.children.get(position, ())]
        step = PassStep(
            start, s.ids[position], position + 1, s.lines[position], s.parent_of(position), children
        )
        if type(start) is SpanLine:
            step.end(start, s.lines[position])
        elif s.end_lines[position] > 0:
            end: Any = _decode_end(window.line(s.end_off[position], s.end_len[position], False))
            if end.id != start.id:
                return None
            step.end(end, s.end_lines[position])
            if end.attributes:
                step.attributes = {**step.attributes, **end.attributes}
    except _NOT_PLAIN:
        return None
    except ValidationError:  # an error or usage the model does not take as it is
        return None
    if step.request_ref is not None:
        if compact.llm_request({"kind": step.kind, "input": step.input}) is None:
            return None  # the reader names what is wrong with it
        step.base = None if position in s.broken else s.bases.get(position)
    return step


def pass_steps(index: TraceIndex, problem_lines: set[int]) -> Iterator[PassStep | Span]:
    """Every step in order: a ``PassStep`` where its lines are plain, else the exact ``Span`` (see the module doc)."""
    s = index._state
    window = _Window(index)
    for position in range(len(index)):
        plain = None
        if s.lines[position] not in problem_lines and s.end_lines[position] not in problem_lines:
            plain = _plain_step(index, position, window)
        yield plain if plain is not None else index.read_span(position)


def iter_spans(index: TraceIndex) -> Iterator[Span]:
    """Every span in order, each parsed afresh and not cached: one pass over the steps.

    A compact request is rebuilt (the reader's exact path) from the parts of its base kept from
    earlier in the same pass, where a base nearly always is, so the pass parses each line once;
    ``read_span`` per step would follow each request's chain back to its start (quadratic).
    """
    s = index._state
    kept: OrderedDict[str, compact.Parts | None] = OrderedDict()  # the pass's latest requests

    def base_parts(span_id: str) -> compact.Parts | None:
        return kept[span_id] if span_id in kept else index_spans.base_parts(index, span_id)

    for position in range(len(index)):
        start = index_spans.record(index, s.start_off[position], s.start_len[position])
        problem: str | None = None
        if compact.COMPACT_KEY in start:
            parts, problem = compact.expand_record(start, base_parts)
        else:
            parts = compact.record_parts(start, None) if s.kinds[position] == "llm" else None
        if s.kinds[position] == "llm":
            kept[s.ids[position]] = parts
            if len(kept) > 64:
                kept.popitem(last=False)
        yield index_spans.span_from(index, position, start, problem)[0]


def positions_of_kind(index: TraceIndex, kind: str) -> list[int]:
    """Positions of the spans of one kind, in start order (no summary built)."""
    kinds = index._state.kinds
    return [position for position in range(len(index)) if kinds[position] == kind]


__all__ = ["PassStep", "iter_spans", "pass_steps", "positions_of_kind"]
