"""The one-pass scanner behind ``TraceIndex``: batches of lines in, small per-span fields out.

Kept apart from ``index.py`` so the hot loop reads in one sitting. Per span it
stores a dozen scalars in parallel lists/arrays (no pydantic object per span);
record validation is shared with the reader (``is_plain_span_record`` as the
fast path, ``validate_record`` as the authority).
"""

from __future__ import annotations

import bisect
import math
import sys
import uuid
from array import array
from collections.abc import Iterator
from typing import Any

import orjson

from agentdbg.model.problems import Problem, Severity
from agentdbg.model.records import DEFAULT_KIND, SpanEndRecord, SpanRecord, SpanStartRecord, TraceHeader
from agentdbg.model.span import Span, short_message
from agentdbg.model.usage import input_incl_cache_raw
from agentdbg.store.compact import COMPACT_KEY, llm_request, missing_base_message, ref_shape_problem
from agentdbg.store.index_fast import fast_lines
from agentdbg.store.reader import header_problems, is_plain_span_record, json_problem, validate_record

_loads = orjson.loads
_DecodeError = orjson.JSONDecodeError
_SPAN_TYPES = ("span_start", "span")
# Span fields no record may carry (the reader warns about them and ignores them).
_MISPLACED = {
    record.model_fields["type"].default: frozenset(Span.model_fields) - frozenset(record.model_fields)
    for record in (SpanStartRecord, SpanRecord, SpanEndRecord)
}


def _too_big(count: Any) -> bool:
    return isinstance(count, int) and not -(1 << 63) <= count < (1 << 63)


class ScanState:
    """Everything the index knows so far; appended to by ``scan_chunk`` only."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.offset = 0  # bytes consumed (always at a line start)
        self.line_no = 0  # lines consumed
        self.header: TraceHeader | None = None
        self.bad_header_line: int | None = None  # a header line that did not validate (reported already)
        self.default_id = uuid.uuid4().hex
        self.problems: list[Problem] = []
        self.finished = False
        self.tail_open = False  # the last line was consumed without its newline
        self.pending_tail: int | None = None  # line number of an unparsable unterminated last line
        self.ids: list[str] = []
        self.by_id: dict[str, int] = {}
        self.kinds: list[str] = []
        self.names: list[str] = []
        self.models: list[str | None] = []
        self.started_at = array("d")
        self.ended_at = array("d")
        self.input_tokens = array("q")
        self.output_tokens = array("q")
        self.flags = bytearray()  # bit 0: ended
        self.errors: dict[int, tuple[str, str]] = {}
        self.origins: dict[int, str] = {}  # only steps with an origin (most have none)
        self.cached_input: dict[int, int] = {}  # only steps that read from a prompt cache
        self.huge_tokens: dict[int, tuple[Any, Any]] = {}  # token counts beyond int64 (hostile files)
        self.lines = array("q")
        self.end_lines = array("q")
        self.start_off = array("q")
        self.start_len = array("q")
        self.end_off = array("q")
        self.end_len = array("q")
        self.parent_pos = array("q")
        self.children: dict[int, list[int]] = {}
        self.roots: list[int] = []
        self.waiting: dict[str, list[int]] = {}  # parent id not seen yet -> child positions
        self.bases: dict[int, int] = {}
        self.broken: set[int] = (
            set()
        )  # compact requests whose base is missing (or broken itself)  # compact llm request -> position of the span it extends
        self.ref_keys: dict[int, dict[str, int]] = {}  # a linked compact request -> its plain 'keys' (index_refs)
        # (position, key) -> the first request back along its chain that does not pass key on whole
        # (index_refs: a long run of ``tools: -1`` is walked once, not once per step read)
        self.same_origin: dict[tuple[int, str], int] = {}
        self._keys_seen: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}
        self._strings: dict[str, str] = {}

    def grow(self, extra: int = 4096) -> int:
        """Pre-size the per-span arrays that start out "unknown" (cheaper than appending to each)."""
        self.ended_at.extend(array("d", [math.nan]) * extra)
        self.input_tokens.extend(array("q", [-1]) * extra)
        self.output_tokens.extend(array("q", [-1]) * extra)
        self.flags.extend(bytes(extra))
        self.end_lines.extend(array("q", [0]) * extra)
        self.end_off.extend(array("q", [-1]) * extra)
        self.end_len.extend(array("q", [0]) * extra)
        return len(self.flags)

    def note_ref(self, position: int, keys: Any) -> None:
        """Keep the ``keys`` of the linked compact request at ``position`` for ``index_refs``, if plain
        (str keys naming int counts); interned, since most requests' keys are alike."""
        if type(keys) is not dict:
            return
        for key, how in keys.items():
            if type(key) is not str or type(how) is not int:
                return
        self.ref_keys[position] = self._keys_seen.setdefault(tuple(keys.items()), keys)

    def problem(
        self, line: int, message: str, field: str | None = None, severity: Severity = "error"
    ) -> None:
        self.problems.append(
            Problem(path=self.source, line=line, message=message, field=field, severity=severity)
        )  # type: ignore[arg-type]

    def intern(self, text: Any) -> str:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        return self._strings.setdefault(text, text) if len(text) < 64 else text

    def parent_pos_of(self, position: int) -> int | None:
        parent = self.parent_pos[position]
        return None if parent < 0 else parent

    def parent_of(self, position: int) -> str | None:
        parent = self.parent_pos[position]
        return None if parent < 0 else self.ids[parent]

    def root_positions(self) -> list[int]:
        return list(self.roots)

    def orphan_problems(self) -> list[Problem]:
        if not self.finished:
            return []
        return [
            Problem(
                path=self.source,
                line=self.lines[child],
                message=f"parent {parent!r} of span {self.ids[child]!r} does not exist; shown at the root",
                field="parent_id",
                severity="warning",
            )
            for parent, children in self.waiting.items()
            for child in children
        ]

    def finish(self, total: int) -> None:
        self.finished = self.offset >= total or self.pending_tail is not None

    # -- records ------------------------------------------------------------------------------

    def ref_base(self, data: dict[str, Any]) -> int | None:
        """Position of the span a compact record's ``request_ref`` names, if indexed."""
        ref = data.get(COMPACT_KEY)
        base_id = ref.get("base") if isinstance(ref, dict) else None
        return self.by_id.get(base_id) if isinstance(base_id, str) else None

    def ref_problem(self, data: dict[str, Any]) -> str | None:
        """The reader's complaint about a ``request_ref``, as far as it shows without payloads."""
        message = ref_shape_problem(data.get(COMPACT_KEY), llm_request(data))
        if message is not None:
            return message
        base = self.ref_base(data)
        base_id = data[COMPACT_KEY]["base"]
        if base is None or self.kinds[base] != "llm":
            return missing_base_message(base_id, False)
        if base in self.broken:
            return missing_base_message(base_id, True)
        return None

    def add_header(self, number: int, data: dict[str, Any]) -> None:
        record, field, reason = validate_record(data)
        if record is None:
            self.problem(number, reason, field=field)
            if self.bad_header_line is None:
                self.bad_header_line = number
            return
        for message, field_name in header_problems(record, self.header is not None, bool(self.ids)):
            self.problem(number, message, field=field_name, severity="warning")
        if self.header is None:
            self.header = record

    def add_start(
        self, kind: str, number: int, data: dict[str, Any], offset: int, length: int, ref_broken: bool = False
    ) -> int | None:
        span_id = data["id"]
        first = self.by_id.get(span_id)
        if first is not None:
            self.problem(
                number,
                f"duplicate span id {span_id!r} (first seen on line {self.lines[first]}); skipped",
                field="id",
            )
            return None
        self.misplaced(number, kind, data)
        position = len(self.ids)
        attributes = data.get("attributes") or {}
        span_kind = data.get("kind", DEFAULT_KIND)
        model = attributes.get("model")
        if model is None and span_kind == "llm":
            given = data.get("input")
            request = given.get("request") if isinstance(given, dict) else None
            model = request.get("model") if isinstance(request, dict) else None
        started = data.get("started_at")
        if data.get("origin") is not None:
            self.origins[position] = data["origin"]
        self.kinds.append(span_kind)
        self.names.append(self.intern(data.get("name", "")))
        self.models.append(self.intern(model) if model is not None else None)
        self.started_at.append(math.nan if started is None else float(started))
        self.lines.append(number)
        self.start_off.append(offset)
        self.start_len.append(length)
        if position >= len(self.flags):
            self.grow()
        if COMPACT_KEY in data:
            base = self.ref_base(data)
            if base is not None:
                self.bases[position] = base
            if ref_broken:
                self.broken.add(position)
        if kind == "span":
            self.apply_end(position, number, data, offset, length)
        self._link(position, span_id, data.get("parent_id"))
        self.by_id[span_id] = position
        self.ids.append(sys.intern(span_id) if len(span_id) < 40 else span_id)
        return position

    def _link(self, position: int, span_id: str, parent: str | None) -> None:
        parent_position = self.by_id.get(parent) if parent is not None else None
        if parent_position is None:
            self.parent_pos.append(-1)
            self.roots.append(position)
            if parent is not None:
                self.waiting.setdefault(parent, []).append(position)
        else:
            self.parent_pos.append(parent_position)
            self.children.setdefault(parent_position, []).append(position)
        waiters = self.waiting.pop(span_id, None)
        for child in waiters or ():
            self.parent_pos[child] = position
            self._adopt(position, child)
            self.roots.remove(child)
            cycle = self._cycle_through(position)
            if cycle:  # cut the cycle where the reader cuts it: at its first member in start order
                first = min(cycle)
                self.children[self.parent_pos[first]].remove(first)
                self.parent_pos[first] = -1
                bisect.insort(self.roots, first)
                name = span_id if first == position else self.ids[first]
                self.problem(
                    self.lines[first],
                    f"span {name!r} is part of a parent cycle; shown at the root",
                    field="parent_id",
                    severity="warning",
                )

    def _cycle_through(self, position: int) -> list[int]:
        """The members of the parent cycle ``position`` is on, or ``[]``."""
        members = [position]
        cursor = self.parent_pos[position]
        while cursor >= 0 and cursor != position and len(members) <= len(self.parent_pos):
            members.append(cursor)
            cursor = self.parent_pos[cursor]
        return members if cursor == position else []

    def _adopt(self, parent: int, child: int) -> None:
        siblings = self.children.setdefault(parent, [])
        siblings.append(child)
        siblings.sort()

    def apply_end(self, position: int, number: int, data: dict[str, Any], offset: int, length: int) -> None:
        self.flags[position] |= 1
        ended = data.get("ended_at")
        if ended is not None:
            self.ended_at[position] = float(ended)
        usage = data.get("usage")
        if usage:
            tokens_in = input_incl_cache_raw(usage)
            if usage.get("cached_input_tokens"):
                self.cached_input[position] = usage["cached_input_tokens"]
            tokens_out = usage.get("output_tokens")
            if _too_big(tokens_in) or _too_big(tokens_out):  # absurd counts: kept aside, not in int64 arrays
                self.huge_tokens[position] = (tokens_in, tokens_out)
                tokens_in = tokens_out = None
            if tokens_in is not None:
                self.input_tokens[position] = tokens_in
            if tokens_out is not None:
                self.output_tokens[position] = tokens_out
        error = data.get("error")
        if error is not None:
            self.errors[position] = (
                self.intern(error.get("type", "Error")),
                short_message(error.get("message", "")),
            )
        self.end_lines[position] = number
        self.end_off[position] = offset
        self.end_len[position] = length

    def add_end(self, number: int, data: dict[str, Any], offset: int, length: int) -> int | None:
        span_id = data["id"]
        position = self.by_id.get(span_id)
        if position is None:
            self.problem(number, f"span_end for unknown span id {span_id!r}; skipped", field="id")
            return None
        if self.flags[position] & 1:
            self.problem(
                number,
                f"span {span_id!r} ended twice (first on line {self.end_lines[position]}); skipped",
                field="id",
            )
            return None
        self.misplaced(number, "span_end", data)
        self.apply_end(position, number, data, offset, length)
        return position

    def misplaced(self, number: int, kind: str, data: dict[str, Any]) -> None:
        """Warn, as the reader does, about span fields no record may carry (they are ignored)."""
        found = _MISPLACED[kind].intersection(data)
        for key in sorted(found, key=list(data).index):
            self.problem(
                number,
                f"field {key!r} does not belong in a {kind} record; ignored",
                field=key,
                severity="warning",
            )


_UNPARSED: Any = object()


def _line(
    state: ScanState, raw: bytes, offset: int, changed: list[int], complete: bool, data: Any = _UNPARSED
) -> bool:
    """Index one non-blank line by the reader's rules; False if it is an unfinished last line."""
    number = state.line_no
    if data is _UNPARSED or data is None:
        try:
            data = _loads(raw)
        except _DecodeError as exc:
            if not complete:
                return False
            state.problem(number, json_problem(exc, raw))
            return True
    if type(data) is not dict:
        state.problem(number, f"expected a JSON object, got {type(data).__name__}")
        return True
    ref_broken = False
    ref = data.get(COMPACT_KEY)
    if COMPACT_KEY in data:  # checked before the record itself, as the reader does
        message = state.ref_problem(data)
        if message is not None:
            state.problem(number, message, field=COMPACT_KEY)
            ref_broken = True
    kind = data.get("type")
    if kind == "trace":
        state.add_header(number, data)
        return True
    if kind not in _SPAN_TYPES and kind != "span_end":
        _, field, reason = validate_record(data)
        state.problem(number, reason, field=field)
        return True
    if not is_plain_span_record(kind, data):
        record, field, reason = validate_record(data)
        if record is None:
            state.problem(number, reason, field=field)
            return True
        data = record.model_dump()
    if kind == "span_end":
        position = state.add_end(number, data, offset, len(raw))
        if position is not None:
            changed.append(position)
    else:
        position = state.add_start(kind, number, data, offset, len(raw), ref_broken)
        if position is not None and position in state.bases and type(ref) is dict:
            state.note_ref(position, ref.get("keys"))
    return True


def scan_batch(state: ScanState, lines: Iterator[bytes], batch_bytes: int) -> tuple[list[int], bool]:
    """Index about ``batch_bytes`` of ``lines`` (read from ``state.offset``): (positions that ended, at end)."""
    changed: list[int] = []

    def slow(raw: bytes, offset: int, data: Any) -> None:
        _line(state, raw, offset, changed, True, data)

    consumed, tail, exhausted = fast_lines(state, lines, state.offset, changed, slow, batch_bytes)
    state.offset += consumed
    if tail is not None:  # the last line has no newline (yet)
        state.line_no += 1
        if tail.isspace() or _line(state, tail, state.offset, changed, False):
            state.offset += len(tail)
            state.tail_open = True
        else:  # not whole yet: leave it for refresh()
            state.line_no -= 1
            state.pending_tail = state.line_no + 1
    return changed, exhausted
