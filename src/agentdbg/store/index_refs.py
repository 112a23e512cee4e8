"""Rebuild one compact request from the index, reading only the lines that hold its values.

A schema-2 request names the earlier request it extends (``request_ref``), which names its own,
so in a long run every request sits at the end of one chain back to the first: rebuilding
step 100,000 the way the reader does (every request of the chain expanded in turn) reads the
whole file again. The scan keeps each compact request's ``keys`` (``ScanState.ref_keys``), so
here a value is followed back through the chain without reading the requests it only passes
through (``tools: -1`` at every step), and only the lines that wrote items of it are parsed:
the first request for the tools, the last episode's steps for the messages.

This is a shortcut for the requests our writer writes, never a second set of rules: anything it
does not recognise on the lines it reads or in the kept keys (a count that is not a plain int, a
base that is missing, broken or not a whole request, a value too short for its count, a small
non-list value, a line changed since the scan) makes ``rebuild_request`` return ``False`` with
the record untouched, and the index takes the reader's exact path (``compact.expand_record``
over the whole chain); a test compares both on every step of written runs.

A key passed on whole (``SAME``) through a run of requests is walked once: where the run ends is
kept per (position, key) in ``ScanState.same_origin``, so reading every step of a 100k-step chain
one at a time is linear, not a walk back towards the first request per step.

Known gap (like ``index_fast``'s): a request the chain only passes through is not read, so a
hand-edited line in the middle of a chain whose request no longer has a key its own
``request_ref`` names (or too few items for it) is not noticed here; the reader would mark the
requests built on it incomplete, this gives them the value from further back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentdbg.store.compact import COMPACT_KEY, MIN_VALUE, SAME, _encode, llm_request, ref_shape_problem

ReadRecord = Callable[[int], dict[str, Any]]
WHOLE = -1  # "the whole value" (a SAME reference), as opposed to the first N items of a list


_UNUSUAL: Any = object()  # something the shortcut does not handle: the caller takes the exact path


def _plain_how(how: Any) -> bool:
    return type(how) is int and (how == SAME or how >= 0)


def _value_at(state: Any, read: ReadRecord, position: int, key: str, count: int) -> Any:
    """The value ``key`` has in the rebuilt request at ``position``: whole (``count == WHOLE``) or its first
    ``count`` items, exactly as expanding the chain would give it; ``_UNUSUAL`` for the exact path."""
    pieces: list[list[Any]] = []  # item lists collected walking back; their order reversed at the end
    origins: dict[tuple[int, str], int] = state.same_origin
    passed: list[int] = []  # requests walked through that pass ``key`` on whole (SAME)
    while True:
        jump = origins.get((position, key))
        if jump is not None:
            position = jump  # the end of a run of SAME references, found by an earlier walk
        if state.kinds[position] != "llm" or position in state.broken:
            return _UNUSUAL
        keys = state.ref_keys.get(position)
        if keys is None and position in state.bases:
            return _UNUSUAL  # a compact request the scan did not keep the keys of
        how = keys.get(key) if keys is not None else None
        base = state.bases.get(position)
        if how is not None and (base is None or not _plain_how(how)):
            return _UNUSUAL
        if how == SAME:
            passed.append(position)
            position = base  # the base's value, passed on unread
            continue
        for walked in passed:  # the run of SAME references ends here: the next walk jumps
            origins[(walked, key)] = position
        passed.clear()
        if how is None:  # written whole on this line
            record = read(position)
            request = llm_request(record)
            if (keys is None and COMPACT_KEY in record) or request is None or key not in request:
                return _UNUSUAL
            value = request[key]
            if type(value) is not list:
                if count != WHOLE or len(_encode(value)) < MIN_VALUE:
                    return _UNUSUAL  # the reader keeps no part of a small non-list value to refer to
                return value
            if count != WHOLE:
                if len(value) < count:
                    return _UNUSUAL
                value = value[:count]
            pieces.append(value)
            break
        if count == WHOLE or count > how:  # some of the items were written on this line
            request = llm_request(read(position))
            written = request.get(key) if request is not None else None
            if type(written) is not list or (count != WHOLE and len(written) < count - how):
                return _UNUSUAL
            pieces.append(written if count == WHOLE else written[: count - how])
            count = how
        if count == 0:
            break
        position = base  # the first items: the base's value, passed on unread
    items: list[Any] = []
    for piece in reversed(pieces):
        items.extend(piece)
    return items


def rebuild_request(state: Any, position: int, record: dict[str, Any], read: ReadRecord) -> bool:
    """Rebuild the compact ``record`` (the start line at ``position``) in place; ``False`` if unusual.

    ``read(p)`` parses the start line at position ``p`` afresh, so no two spans share objects.
    """
    ref = record.get(COMPACT_KEY)
    request = llm_request(record)
    if ref_shape_problem(ref, request) is not None or request is None or ref is None:
        return False
    keys = ref["keys"]
    if position in state.broken or state.ref_keys.get(position) != keys:
        return False  # not linked, or the line changed since the scan
    rebuilt: dict[str, Any] = {}
    for key, value in request.items():
        how = keys.get(key)
        if how is None:
            continue
        if not _plain_how(how) or (how != SAME and type(value) is not list):
            return False
        base = state.bases.get(position)
        if base is None:
            return False
        earlier = _value_at(state, read, base, key, WHOLE if how == SAME else how)
        if earlier is _UNUSUAL:
            return False
        rebuilt[key] = earlier if how == SAME else earlier + value
    del record[COMPACT_KEY]
    request.update(rebuilt)
    return True


__all__ = ["rebuild_request"]
