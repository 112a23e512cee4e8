"""The tree of an indexed trace as plain tuples, straight from the index's columns.

``show --print`` on a 100k-step trace prints 200k rows; building a ``StepSummary`` per row
cost more than the scan that found them. ``tree_fields`` walks the same tree as
``Trace.rows()`` (roots in start order, children depth first) and yields, per row, exactly
the values ``TraceIndex.summary`` would give, without the object (a test compares both).
"""

from __future__ import annotations

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


__all__ = ["TreeFields", "tree_fields"]
