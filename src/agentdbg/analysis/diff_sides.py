"""The two runs ``diff`` compares, step by step, as small facts with whole spans on demand.

``SpanSide`` wraps an in-memory ``Trace``. ``IndexSide`` reads a trace opened through the
offset index (``store.read_indexed``) in one pass over its lines: each step's (kind, name)
signature, tokens and latency come from the index and from decoding only a tool step's
input and an ended step's usage; payloads are parsed only for pairs that may differ. Two
steps whose lines are byte for byte the same (and whose compact requests extend bases
with byte-identical start lines) are identical without being parsed: ``compare_steps`` would find
nothing, since a span is built from its lines and its request's base chain only.
"""

from __future__ import annotations

import os
from array import array
from typing import Any

import msgspec
import orjson

from agentdbg.model.records import Usage
from agentdbg.model.span import Span
from agentdbg.model.trace import LazySpans, Trace
from agentdbg.store.compact import COMPACT_KEY

Tokens = tuple[int | None, int | None] | None
_FIELDS = frozenset(  # every field a span line may carry: anything else makes a pair be compared whole
    {"type", "id", "parent_id", "kind", "name", "started_at", "input", "attributes", "origin"}
    | {"ended_at", "output", "error", "usage", COMPACT_KEY}
)
TIMED_KINDS = ("llm", "tool", "retrieval")


class _UsageOnly(msgspec.Struct):
    usage: Any = None


_decode_usage = msgspec.json.Decoder(_UsageOnly).decode


def usage_tokens(usage: Any) -> Tokens:
    """``(span.input_tokens, span.output_tokens) if span.usage else None`` from a line's raw ``usage``."""
    if usage is None:
        return None
    if type(usage) is dict:
        fresh, out = usage.get("input_tokens"), usage.get("output_tokens")
        if (fresh is None or type(fresh) is int) and (out is None or type(out) is int):
            return fresh, out
    counted = Usage.model_validate(usage)  # what the reader builds (lax numbers such as 12.0)
    return counted.input_tokens, counted.output_tokens


def tool_name(span_input: Any, span_name: str) -> str:
    """``ToolView.of(span).name`` from the raw input (the name diff aligns tool steps by)."""
    data = span_input if isinstance(span_input, dict) else {"arguments": span_input}
    return str(data.get("name") or span_name)


_NAN = float("nan")
_MISSING = -(1 << 63)  # a token count not recorded (None)


class _TokenColumn:
    """Each step's ``(input_tokens, output_tokens)`` or ``None`` in two machine-integer arrays (a tuple
    per step held 100+ bytes): ``None`` counts as ``_MISSING``, a step without usage is flagged."""

    def __init__(self, count: int) -> None:
        self._fresh = array("q", [_MISSING]) * count
        self._out = array("q", [_MISSING]) * count
        self._usage = bytearray(count)
        self._odd: dict[int, Tokens] = {}  # counts a machine integer cannot hold

    def __getitem__(self, position: int) -> Tokens:
        if not self._usage[position]:
            return None
        odd = self._odd.get(position)
        if odd is not None:
            return odd
        fresh, out = self._fresh[position], self._out[position]
        return (None if fresh == _MISSING else fresh, None if out == _MISSING else out)

    def __setitem__(self, position: int, tokens: Tokens) -> None:
        if tokens is None:
            return
        self._usage[position] = 1
        fresh, out = tokens
        try:
            self._fresh[position] = _MISSING if fresh is None else fresh
            self._out[position] = _MISSING if out is None else out
        except (OverflowError, TypeError):
            self._odd[position] = tokens


class SpanSide:
    """A run held in memory: every fact read from its spans."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.spans = list(trace.spans)
        self.kinds = [span.kind for span in self.spans]
        self.names = [span.name for span in self.spans]
        self.signatures = [
            (span.kind, tool.name if (tool := span.tool) is not None else span.name) for span in self.spans
        ]

    def __len__(self) -> int:
        return len(self.spans)

    def span(self, position: int) -> Span:
        return self.spans[position]

    def step(self, position: int) -> int:
        return self.spans[position].step

    def tokens(self, position: int) -> Tokens:
        span = self.spans[position]
        return (span.input_tokens, span.output_tokens) if span.usage else None

    def duration(self, position: int) -> float | None:
        return self.spans[position].duration

    def parents(self) -> dict[int, int | None]:
        """Step number -> parent step number (``None``: no parent, or one the run does not have)."""
        by_id = {span.id: span for span in self.spans}
        out: dict[int, int | None] = {}
        for span in self.spans:
            parent = by_id.get(span.parent_id) if span.parent_id else None
            out[span.step] = parent.step if parent is not None else None
        return out

    def same_lines(self, position: int, other: Side, other_position: int) -> bool:
        """A span compared with itself is identical; lines of an in-memory run are not known."""
        return other is self and position == other_position

    def totals(self) -> dict[str, Any]:
        return self.trace.totals()

    def close(self) -> None:
        """Nothing to release: the spans are in memory."""


class _Window:
    """Line bytes read from a window of the file that moves forward as a pass does (a diff reads lines
    mostly in file order); a line behind the window is read on its own. Memory stays one window, where a
    memory map would count every page it touched in the process's RSS."""

    SIZE = 4 << 20

    def __init__(self, path: Any) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the side
        self._start = 0
        self._data = b""

    def read(self, offset: int, length: int) -> bytes:
        at = offset - self._start
        if at >= 0 and at + length <= len(self._data):
            return self._data[at : at + length]
        fd = self._file.fileno()
        if offset < self._start or length > self.SIZE // 2:
            return os.pread(fd, length, offset)
        self._data = os.pread(fd, self.SIZE, offset)
        self._start = offset
        return self._data[:length]

    def close(self) -> None:
        self._file.close()
        self._data = b""  # the side outlives the diff (its rows are built from it on access)


class IndexSide:
    """A run read through its offset index: facts from one pass over its lines, spans parsed on demand."""

    def __init__(self, trace: Trace, index: Any) -> None:
        self.trace = trace
        self.index = index
        state = index._state  # the index's per-step arrays (offsets, kinds, times); read only
        self._state = state
        count = len(index)
        self.kinds: list[str] = state.kinds[:count]
        self.names: list[str] = state.names[:count]
        self._tokens = _TokenColumn(count)
        self._durations = array("d", [_NAN]) * count  # NaN: not recorded
        self._signatures: list[tuple[str, str]] | None = None
        self._lines = _Window(index.path)
        self._same: dict[tuple[int, int], bool] = {}  # pairs of request bases already compared
        self._scan(count)

    def _start(self, position: int) -> bytes:
        state = self._state
        return self._lines.read(state.start_off[position], state.start_len[position])

    def _end(self, position: int) -> bytes | None:
        state = self._state
        if not state.flags[position] & 1:
            return None
        return self._lines.read(state.end_off[position], state.end_len[position])

    def _scan(self, count: int) -> None:
        """Tokens and latencies of every step: an ended step's usage decoded, unless its end line cannot
        hold a ``usage`` key (no ``"usage"``, no ``\\u`` escape)."""
        state = self._state
        flags, end_off, end_len = state.flags, state.end_off, state.end_len
        started_at, ended_at = state.started_at, state.ended_at
        read = self._lines.read
        tokens, durations = self._tokens, self._durations
        for position in range(count):
            started, ended = started_at[position], ended_at[position]
            if started == started and ended == ended:  # NaN: not recorded
                durations[position] = max(0.0, ended - started)
            if not flags[position] & 1:
                continue
            end = read(end_off[position], end_len[position])
            if b'"usage"' in end or b"\\u" in end:
                try:
                    tokens[position] = usage_tokens(_decode_usage(end).usage)
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
                    span = self.span(position)  # an odd line: the reader's own rules decide
                    tokens[position] = (span.input_tokens, span.output_tokens) if span.usage else None

    @property
    def signatures(self) -> list[tuple[str, str]]:
        """(kind, name) of every step, a tool step named by its input (read when alignment needs them)."""
        if self._signatures is None:
            self._signatures = self._read_signatures()
        return self._signatures

    def _read_signatures(self) -> list[tuple[str, str]]:
        state = self._state
        start_off, start_len = state.start_off, state.start_len
        read = self._lines.read
        shared: dict[tuple[str, str], tuple[str, str]] = {}
        signatures: list[tuple[str, str]] = []
        for position, (kind, name) in enumerate(zip(self.kinds, self.names, strict=True)):
            signature = (kind, name)
            if kind == "tool":
                try:
                    record = orjson.loads(read(start_off[position], start_len[position]))
                    signature = ("tool", tool_name(record.get("input"), name))
                except (orjson.JSONDecodeError, ValueError):
                    tool = self.span(position).tool  # an odd line: the reader's own rules decide
                    signature = ("tool", tool.name if tool is not None else name)
            signatures.append(shared.setdefault(signature, signature))
        return signatures

    def __len__(self) -> int:
        return len(self.kinds)

    def span(self, position: int) -> Span:
        return self.index.read_span(position)

    def step(self, position: int) -> int:
        return position + 1

    def tokens(self, position: int) -> Tokens:
        return self._tokens[position]

    def duration(self, position: int) -> float | None:
        duration = self._durations[position]
        return None if duration != duration else duration

    def parents(self) -> dict[int, int | None]:
        parent_of = self._state.parent_pos_of
        out: dict[int, int | None] = {}
        for position in range(len(self.kinds)):
            parent = parent_of(position)
            out[position + 1] = None if parent is None else parent + 1
        return out

    def same_lines(self, position: int, other: Side, other_position: int) -> bool:
        """Whether ``compare_steps`` would find the two steps identical, told without building them: the
        same bytes on their lines or, failing that, the same content but for times, origin and usage (a
        replay fork writes its recorded steps anew); and the bases their requests extend alike too."""
        if other is self and position == other_position:
            return True
        if not isinstance(other, IndexSide):
            return False
        same_bytes = self._start(position) == other._start(other_position) and self._end(
            position
        ) == other._end(other_position)
        if not same_bytes:
            mine = self._content(position)
            if mine is None or mine != other._content(other_position):
                return False
        return self._same_bases(position, other, other_position)

    def _same_bases(self, position: int, other: IndexSide, other_position: int) -> bool:
        """Down both base chains (a loop: chains are long), each pair of bases lending the same request."""
        pending: list[tuple[int, int]] = []
        answer = True
        mine, theirs = position, other_position
        while True:
            base, other_base = self._state.bases.get(mine), other._state.bases.get(theirs)
            if base is None or other_base is None:
                answer = base is None and other_base is None
                break
            known = self._same.get((base, other_base))
            if known is not None:
                answer = known
                break
            if self._start(base) != other._start(other_base):
                request = self._request(base)
                if request is None or request != other._request(other_base):
                    answer = False
                    break
            pending.append((base, other_base))
            mine, theirs = base, other_base
        for pair in pending:
            self._same[pair] = answer
        return answer

    def _records(self, position: int) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """The start record and the end record (the same one for a ``span`` line), if plainly shaped."""
        try:
            start = orjson.loads(self._start(position))
            state = self._state
            if not state.flags[position] & 1:
                end = None
            elif state.end_off[position] == state.start_off[position]:
                end = start
            else:
                end = orjson.loads(self._end(position) or b"")
        except orjson.JSONDecodeError:
            return None
        for record in (start, end):
            if record is not None and (type(record) is not dict or not _FIELDS.issuperset(record)):
                return None
        return start, end

    def _request(self, position: int) -> bytes | None:
        """What a step lends the requests that extend it: its input and its own reference."""
        records = self._records(position)
        if records is None:
            return None
        start = records[0]
        try:
            return orjson.dumps([start.get("input"), start.get(COMPACT_KEY)])
        except TypeError:
            return None

    def _content(self, position: int) -> bytes | None:
        """Everything a span is built from but its ids, times, origin and usage (``compare_steps`` reads
        none of them), as bytes: ``None`` for a line with fields the reader would keep apart."""
        records = self._records(position)
        if records is None:
            return None
        start, end = records
        attributes = start.get("attributes") or {}
        ended_with = (end.get("attributes") or {}) if end is not None and end is not start else {}
        if type(attributes) is not dict or type(ended_with) is not dict:
            return None
        kept = [start.get("kind"), start.get("name"), start.get("input"), start.get(COMPACT_KEY)]
        kept.append({**attributes, **ended_with})
        kept.extend(
            [end is not None, None, None] if end is None else [True, end.get("output"), end.get("error")]
        )
        try:
            return orjson.dumps(kept)
        except TypeError:
            return None

    def totals(self) -> dict[str, Any]:
        return self.trace.totals()

    def close(self) -> None:
        self._lines.close()


Side = SpanSide | IndexSide


def side_of(trace: Trace) -> Side:
    """The index-backed side for a trace read through ``store.read_indexed``, else the in-memory one."""
    spans = trace.spans
    if isinstance(spans, LazySpans) and spans.positions is None and hasattr(spans.store, "_state"):
        return IndexSide(trace, spans.store)
    return SpanSide(trace)


def step_latency(side: Side) -> float | None:
    """The summed duration of llm, tool and retrieval steps (``run_totals``' latency)."""
    durations = [
        duration
        for position, kind in enumerate(side.kinds)
        if kind in TIMED_KINDS and (duration := side.duration(position)) is not None
    ]
    return round(sum(durations), 6) if durations else None


__all__ = ["IndexSide", "Side", "SpanSide", "side_of", "step_latency", "tool_name", "usage_tokens"]
