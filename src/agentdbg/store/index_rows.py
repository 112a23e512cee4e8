"""The tree of an indexed trace as plain tuples, straight from the index's columns.

``show --print`` on a 100k-step trace prints 200k rows; building a ``StepSummary`` per row
cost more than the scan that found them. ``tree_fields`` walks the same tree as
``Trace.rows()`` (roots in start order, children depth first) and yields, per row, exactly
the values ``TraceIndex.summary`` would give, without the object (a test compares both).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import repeat
from typing import Any

# depth, step, kind, name, duration, input tokens, output tokens, status, error type, error message, origin
TreeFields = tuple[
    int, int, str, str, float | None, int | None, int | None, str, str | None, str | None, str | None
]


def tree_fields(state: Any) -> Iterator[TreeFields]:
    """Rows in tree order from a ``ScanState``."""
    kinds, names = state.kinds, state.names
    started_at, ended_at = state.started_at, state.ended_at
    input_tokens, output_tokens = state.input_tokens, state.output_tokens
    flags, errors, origins, huge = state.flags, state.errors, state.origins, state.huge_tokens
    children_get = state.children.get
    stack = [(position, 0) for position in reversed(state.roots)]
    pop, extend = stack.pop, stack.extend
    while stack:
        position, depth = pop()
        tokens_in = input_tokens[position]
        tokens_out = output_tokens[position]
        if huge and position in huge:
            huge_in, huge_out = huge[position]
            tokens_in = -1 if huge_in is None else huge_in
            tokens_out = -1 if huge_out is None else huge_out
        error = errors.get(position) if errors else None
        status = "error" if error is not None else "ok" if flags[position] & 1 else "incomplete"
        started = started_at[position]
        ended = ended_at[position]
        if started != started or ended != ended:  # NaN marks an unknown time
            duration = None
        else:
            duration = ended - started
            if not duration > 0.0:
                duration = 0.0  # max(0.0, ended - started) as the summary's, without the call (inf - inf too)
        yield (
            depth,
            position + 1,
            kinds[position],
            names[position],
            duration,
            None if tokens_in < 0 else tokens_in,
            None if tokens_out < 0 else tokens_out,
            status,
            error[0] if error else None,
            error[1] if error else None,
            origins.get(position) if origins else None,
        )
        below = children_get(position)
        if below:
            extend(zip(reversed(below), repeat(depth + 1)))


def duration(state: Any, count: int) -> float | None:
    """``Trace.totals()``'s duration: last known end minus first known start (``None`` if either is missing)."""
    starts = state.started_at[:count]
    ends = state.ended_at[:count]
    if math.isfinite(sum(starts)) and math.isfinite(sum(ends)):  # no unknown time: the arrays' own min and max
        return (max(ends) - min(starts)) if count else None
    known_starts = [t for t in starts if t == t]
    known_ends = [t for t in ends if t == t]
    return (max(known_ends) - min(known_starts)) if known_starts and known_ends else None


def positive_sum(counts: Any) -> int:
    """The sum of the counts above zero (``-1`` marks an unknown count)."""
    if not counts or min(counts) >= -1:  # only the unknown marker below zero: add those back
        return sum(counts) + counts.count(-1)
    return sum(t for t in counts if t > 0)


def incomplete(state: Any, count: int) -> int:
    """Steps with no end and no error."""
    flags = state.flags[:count]
    errors = state.errors
    if count and max(flags) <= 1:  # bit 0 (ended) is the only flag set
        return flags.count(0) - sum(1 for position in list(errors) if position < count and not flags[position] & 1)
    return sum(1 for i, f in enumerate(flags) if not f & 1 and i not in errors)


__all__ = ["TreeFields", "duration", "incomplete", "positive_sum", "tree_fields"]
