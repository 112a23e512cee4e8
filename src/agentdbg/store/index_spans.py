"""One step of an indexed trace read whole: its lines parsed again, a compact request rebuilt, a ``Span``.

``TraceIndex.load_span``/``read_span`` come here: the start line is parsed with the reader's
``decode_line``, a compact request rebuilt by ``index_refs.rebuild_request`` (only the lines that
wrote its values) or, when that shortcut declines, by ``compact.expand_record`` over the whole chain
(``base_parts``, with the index's bounded cache of parts), and the span assembled by the reader's
``TraceBuilder`` from the start and end records, so a step reads exactly as ``read_trace`` gives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentdbg.errors import TraceReadError
from agentdbg.model.span import Span
from agentdbg.store import compact
from agentdbg.store.index_refs import rebuild_request
from agentdbg.store.reader import TraceBuilder, decode_line

if TYPE_CHECKING:
    from agentdbg.store.index import TraceIndex

KEPT_PARTS = 64  # requests' parts the index keeps for the chains it rebuilds


def record(index: TraceIndex, offset: int, length: int) -> dict[str, Any]:
    """The line at ``offset`` parsed as the reader parses it.

    Raises:
        TraceReadError: the line no longer parses (the file changed since the scan).
    """
    data, message, _ = decode_line(index._read_line(offset, length))
    if data is None:
        raise TraceReadError(
            f"{index.source}: line at byte {offset} no longer parses ({message}); re-open the trace"
        )
    return data


def parse_span(index: TraceIndex, position: int) -> tuple[Span, int]:
    """The span at ``position`` and the bytes its lines take."""
    s = index._state
    start = record(index, s.start_off[position], s.start_len[position])
    problem: str | None = None
    if compact.COMPACT_KEY in start and not rebuild_request(s, position, start, index._start_record):
        _, problem = compact.expand_record(start, index._base_parts)  # the exact path over the whole chain
    return span_from(index, position, start, problem)


def span_from(
    index: TraceIndex, position: int, start: dict[str, Any], problem: str | None
) -> tuple[Span, int]:
    """The span at ``position`` from its start record (request rebuilt) and its end line."""
    s = index._state
    cost = s.start_len[position]
    builder = TraceBuilder(index.source)
    span = builder.feed_record(s.lines[position], start)
    if span is None:
        raise TraceReadError(
            f"{index.source}:{s.lines[position]}: the line of step-{position + 1} changed since it was indexed"
        )
    if s.end_lines[position] > 0 and s.end_off[position] != s.start_off[position]:
        builder.feed_record(s.end_lines[position], record(index, s.end_off[position], s.end_len[position]))
        cost += s.end_len[position]
    span.step = position + 1
    span.parent_id = s.parent_of(position)
    span.children = [s.ids[c] for c in s.children.get(position, ())]
    if problem is not None:
        span.attributes = {**span.attributes, "replayable": False}
    return span, cost


def base_parts(index: TraceIndex, span_id: str) -> compact.Parts | None:
    """The expanded request parts of an earlier llm span (resolving its own base chain)."""
    state = index._state
    position = state.by_id.get(span_id)
    if position is None:
        return None
    chain: list[int] = []
    cursor: int | None = position
    parts: compact.Parts | None = None
    kept = index._parts
    while cursor is not None:
        with index._lock:
            if cursor in kept:
                parts = kept[cursor]
                break
        chain.append(cursor)
        cursor = state.bases.get(cursor)
    for pos in reversed(chain):
        parts = compact.record_parts(record(index, state.start_off[pos], state.start_len[pos]), parts)
        with index._lock:
            kept[pos] = parts
            while len(kept) > KEPT_PARTS:
                kept.popitem(last=False)
    return parts


__all__ = ["base_parts", "parse_span", "record", "span_from"]
