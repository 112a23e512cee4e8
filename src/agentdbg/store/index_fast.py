"""The hot loop of the index scan: plain, valid span lines handled inline, anything else handed on.

A 1 GB trace has about a million lines, so every attribute lookup per line
counts. This loop takes only records that are surely valid and need no
problem report (the same conservative test as ``is_plain_span_record``, with no
pending parent, duplicate id or misplaced field); every other line goes to
``index_scan.index_line``, which applies the reader's rules one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from agentdbg.store.compact import COMPACT_KEY

_loads = orjson.loads
_NAN = math.nan
_KINDS = frozenset(("llm", "tool", "retrieval", "agent", "custom"))
_ORIGINS = frozenset(("recorded", "patched", "cached", "live"))
_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cached_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_tokens",
)
_EMPTY: dict[str, Any] = {}
# Span fields no record may carry: the slow path warns about them as the reader does.
_MISPLACED_START = frozenset(
    ("line", "step", "children", "ended", "end_line", "ended_at", "output", "error", "usage")
)
_MISPLACED_END = frozenset(
    (
        "line",
        "step",
        "children",
        "ended",
        "end_line",
        "parent_id",
        "kind",
        "name",
        "started_at",
        "input",
        "origin",
    )
)

Slow = Callable[[bytes, int, Any], None]
_UNPARSED: Any = None  # "not parsed yet" for the slow path


def _usage_plain(usage: Any) -> bool:
    if type(usage) is not dict:
        return False
    for value in usage.values():  # usually every count is an int: done
        if type(value) is not int:
            break
    else:
        return True
    for key in _USAGE_KEYS:
        value = usage.get(key)
        if value is not None and type(value) is not int:
            return False
    return True


def fast_lines(
    state: Any, lines: Iterator[bytes], base: int, changed: list[int], slow: Slow, limit: int
) -> tuple[int, bytes | None, bool]:
    """Index lines (with their newlines) read at byte ``base`` until ``limit`` bytes are consumed.

    Returns (bytes consumed, an unterminated last line left for the caller, whether ``lines`` ran out).
    """
    by_id = state.by_id
    by_id_get = by_id.get
    waiting = state.waiting
    setdefault = state._strings.setdefault
    capacity = len(state.flags)
    ids_append = state.ids.append
    kinds_append = state.kinds.append
    names_append = state.names.append
    models_append = state.models.append
    started_append = state.started_at.append
    flags = state.flags
    lines_append = state.lines.append
    start_off_append = state.start_off.append
    start_len_append = state.start_len.append
    parent_pos_append = state.parent_pos.append
    children = state.children
    roots_append = state.roots.append
    ended_at = state.ended_at
    input_tokens = state.input_tokens
    output_tokens = state.output_tokens
    end_lines = state.end_lines
    end_off = state.end_off
    end_len = state.end_len
    bases = state.bases
    broken = state.broken
    number = state.line_no
    cursor = 0
    for raw in lines:
        length = len(raw)
        if raw[-1] != 10:  # no newline: the last line, perhaps still being written
            state.line_no = number
            return cursor, raw, True
        number += 1
        offset = base + cursor
        cursor += length
        if cursor >= limit:
            state.line_no = number
            if not raw.isspace():
                slow(raw, offset, _UNPARSED)
            return cursor, None, False
        if raw[0] != 123:  # not "{": blank, or something for the slow path to name
            if not raw.isspace():
                state.line_no = number
                slow(raw, offset, _UNPARSED)
            continue
        try:
            data = _loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if type(data) is not dict:
            state.line_no = number
            slow(raw, offset, data)
            continue
        kind = data.get("type")
        if kind == "span_end":
            span_id = data.get("id")
            position = by_id_get(span_id) if type(span_id) is str else None
            ended = data.get("ended_at")
            usage = data.get("usage")
            if (
                position is None
                or flags[position]
                or not (ended is None or type(ended) is float or type(ended) is int)
                or data.get("error") is not None
                or not (usage is None or _usage_plain(usage))
                or type(data.get("attributes", _EMPTY)) is not dict
                or not _MISPLACED_END.isdisjoint(data)
            ):
                state.line_no = number
                slow(raw, offset, data)
                continue
            flags[position] = 1
            if ended is not None:
                ended_at[position] = ended
            if usage:
                value = usage.get("input_tokens")
                if value is not None:
                    input_tokens[position] = value
                value = usage.get("output_tokens")
                if value is not None:
                    output_tokens[position] = value
            end_lines[position] = number
            end_off[position] = offset
            end_len[position] = length
            changed.append(position)
            continue
        if kind != "span_start":
            state.line_no = number
            slow(raw, offset, data)
            continue
        span_id = data.get("id")
        parent = data.get("parent_id")
        span_kind = data.get("kind", "custom")
        name = data.get("name", "")
        started = data.get("started_at")
        attributes = data.get("attributes", _EMPTY)
        origin = data.get("origin")
        ref = data.get(COMPACT_KEY)
        parent_position = by_id_get(parent) if type(parent) is str else None
        base_position = None
        if ref is not None:
            base_id = ref.get("base") if type(ref) is dict else None
            base_position = by_id_get(base_id) if type(base_id) is str else None
        if (
            type(span_id) is not str
            or span_id in by_id
            or (parent is not None and parent_position is None)
            or (waiting and span_id in waiting)
            or type(span_kind) is not str
            or span_kind not in _KINDS
            or type(name) is not str
            or not (started is None or type(started) is float or type(started) is int)
            or type(attributes) is not dict
            or not (origin is None or (type(origin) is str and origin in _ORIGINS))
            or (ref is not None and (base_position is None or base_position in broken))
            or not _MISPLACED_START.isdisjoint(data)
        ):
            state.line_no = number
            slow(raw, offset, data)
            continue
        position = len(by_id)
        model = attributes.get("model") if attributes else None
        if model is None and span_kind == "llm":
            given = data.get("input")
            request = given.get("request") if type(given) is dict else None
            model = request.get("model") if type(request) is dict else None
        kinds_append(span_kind)
        names_append(setdefault(name, name))
        models_append(setdefault(model, model) if type(model) is str else None)
        started_append(_NAN if started is None else started)
        lines_append(number)
        start_off_append(offset)
        start_len_append(length)
        if position >= capacity:
            capacity = state.grow()
        if base_position is not None:
            bases[position] = base_position
        if parent_position is None:
            parent_pos_append(-1)
            roots_append(position)
        else:
            parent_pos_append(parent_position)
            siblings = children.get(parent_position)
            if siblings is None:
                children[parent_position] = [position]
            else:
                siblings.append(position)
        by_id[span_id] = position
        ids_append(span_id)
    state.line_no = number
    return cursor, None, True
