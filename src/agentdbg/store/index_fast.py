"""The hot loop of the index scan: plain, valid span lines handled inline, anything else handed on.

A 1 GB trace has about a million lines, so per-line cost decides. Lines are
decoded with msgspec into small structs that name only the fields the index
keeps: the JSON is still checked whole, but payloads (``input``, ``output``) are
skipped as raw bytes instead of being built into Python objects, which makes
the pass cheaper than a bare ``orjson.loads`` of every line. The structs are
built from the record models (``store/record_structs.py``) and check the small
fields' types themselves (a kind or origin against the models' Literals). They
refuse unknown fields, so a line with anything unusual (misplaced or extra
fields, an odd type, a header) goes to ``index_scan._line``, which applies the
reader's rules with orjson and pydantic, exactly as ``read_trace`` does.

Known gap: msgspec reads a number too large for a float (``1e400``) as infinity
where orjson rejects the line, so such a line is indexed, not reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import orjson

from agentdbg.model.records import START_EXTENSIONS, Usage
from agentdbg.model.usage import input_incl_cache_raw
from agentdbg.store.compact import COMPACT_KEY
from agentdbg.store.record_structs import SpanEndLine, SpanLine, SpanStartLine

_NAN = math.nan
# A compact request's line holds its request as a JSON object (``compact.llm_request``); the key
# comes early in the input. Not found (or written with spaces): the slow path decides. The only
# miss: a line whose input has no request but some nested object has one (then, as before, no problem).
_REQUEST_KEY = b'"request":{'
_LOW, _HIGH = -(1 << 63), 1 << 63
_USAGE_KEYS = tuple(Usage.model_fields)


# Built from the record models (store/record_structs.py): same fields, tags, defaults and (but nested models) types.
_Start, _End, _Span = SpanStartLine, SpanEndLine, SpanLine
assert COMPACT_KEY in START_EXTENSIONS  # the struct field names the compact key
_decode = msgspec.json.Decoder(_Start | _End | _Span).decode
_NOT_PLAIN = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)

Slow = Callable[[bytes, int, Any], None]
_UNPARSED: Any = None  # "not parsed yet" for the slow path


def _usage_plain(usage: Any) -> bool:
    if type(usage) is not dict:
        return False
    for value in usage.values():  # usually every count is an int that fits the index's int64 arrays: done
        if type(value) is not int or not _LOW <= value < _HIGH:
            break
    else:
        return True
    for key in _USAGE_KEYS:
        value = usage.get(key)
        if value is not None and (type(value) is not int or not _LOW <= value < _HIGH):
            return False  # the slow path keeps counts too big for int64 aside (``ScanState.apply_end``)
    return True


def _model_of(raw_input: msgspec.Raw) -> Any:
    """The request's model, parsed from the raw input (only when attributes do not name it)."""
    try:
        given = orjson.loads(bytes(raw_input)) if len(raw_input) else None
    except orjson.JSONDecodeError:
        return None
    request = given.get("request") if type(given) is dict else None
    return request.get("model") if type(request) is dict else None


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
    kinds = state.kinds
    broken = state.broken
    ref_keys = state.ref_keys
    keys_seen = state._keys_seen.setdefault
    low, high = _LOW, _HIGH
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
        if not raw.isascii():
            try:
                raw.decode()  # msgspec does not check UTF-8 inside skipped strings; orjson (the reader) does
            except UnicodeDecodeError:
                state.line_no = number
                slow(raw, offset, _UNPARSED)
                continue
        try:
            record = _decode(raw)
        except _NOT_PLAIN:
            state.line_no = number
            slow(raw, offset, _UNPARSED)
            continue
        cls = record.__class__
        if cls is _End:
            position = by_id_get(record.id)
            usage = record.usage
            if position is None or flags[position] or record.error is not None:
                state.line_no = number
                slow(raw, offset, _UNPARSED)
                continue
            if usage is not None:
                plain = type(usage) is dict
                if plain:
                    for value in usage.values():  # usually every count is an int that fits: _usage_plain inline
                        if type(value) is not int or not low <= value < high:
                            plain = _usage_plain(usage)
                            break
                if not plain:
                    state.line_no = number
                    slow(raw, offset, _UNPARSED)
                    continue
            ended = record.ended_at
            flags[position] = 1
            if ended is not None:
                ended_at[position] = ended
            if usage:
                value = usage.get("input_tokens")
                if type(value) is not int or "cache_creation_input_tokens" in usage:
                    value = input_incl_cache_raw(usage)  # the rule in one place; inline above: its common case
                if value is not None:
                    input_tokens[position] = value
                value = usage.get("cached_input_tokens")
                if value:
                    state.cached_input[position] = value
                value = usage.get("output_tokens")
                if value is not None:
                    output_tokens[position] = value
            end_lines[position] = number
            end_off[position] = offset
            end_len[position] = length
            changed.append(position)
            continue
        span_id = record.id
        parent = record.parent_id
        span_kind = record.kind
        name = record.name
        started = record.started_at
        attributes = record.attributes
        origin = record.origin
        ref = record.request_ref
        parent_position = by_id_get(parent) if parent is not None else None
        base_position = None
        if ref is not None:
            base_id = ref.get("base") if type(ref) is dict else None
            base_position = by_id_get(base_id) if type(base_id) is str else None
        if (
            span_id in by_id
            or (parent is not None and parent_position is None)
            or (waiting and span_id in waiting)
            or (
                ref is not None
                and (
                    base_position is None
                    or base_position in broken
                    or span_kind != "llm"
                    or kinds[base_position] != "llm"
                    or type(ref.get("keys")) is not dict
                    or _REQUEST_KEY not in raw  # no request object: the reader names the ref's problem
                )
            )
            or (
                cls is _Span
                and not (
                    record.error is None
                    and (record.usage is None or _usage_plain(record.usage))
                )
            )
        ):
            state.line_no = number
            slow(raw, offset, _UNPARSED)
            continue
        position = len(by_id)
        model = attributes.get("model") if attributes else None
        if model is None and span_kind == "llm":
            model = _model_of(record.input)
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
            keys = ref["keys"]  # for index_refs: one request rebuilt without its chain (state.note_ref inline)
            for how in keys.values():  # JSON keys are str: the counts must be ints
                if type(how) is not int:
                    break
            else:
                ref_keys[position] = keys_seen(tuple(keys.items()), keys)
        if origin is not None:
            state.origins[position] = origin
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
        if cls is _Span:  # a whole step on one line: its end too
            flags[position] = 1
            if record.ended_at is not None:
                ended_at[position] = record.ended_at
            usage = record.usage
            if usage:
                value = input_incl_cache_raw(usage)
                if value is not None:
                    input_tokens[position] = value
                value = usage.get("cached_input_tokens")
                if value:
                    state.cached_input[position] = value
                value = usage.get("output_tokens")
                if value is not None:
                    output_tokens[position] = value
            end_lines[position] = number
            end_off[position] = offset
            end_len[position] = length
        by_id[span_id] = position
        ids_append(span_id)
    state.line_no = number
    return cursor, None, True
