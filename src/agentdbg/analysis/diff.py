"""Compare two runs step by step: align them (fork-aware), classify each pair, and diff what changed.

A fork (``fork_of`` in its header) shares every step before its fork point with
the original, so those pair one to one; the rest (or two unrelated runs) align
by the sequence of (kind, name) (``alignment.opcodes``: difflib for small runs, anchored above).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from agentdbg.analysis.alignment import opcodes
from agentdbg.analysis.calls import canonical, final_answer, gc_paused, llm_view, tool_view
from agentdbg.analysis.diff_result import StepDiff, StepRows, StepStatus, TraceDiff
from agentdbg.analysis.diff_sides import Side, SpanSide, side_of, step_latency
from agentdbg.model.messages import Message
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_STEP = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)
DIFF_CONTEXT = 1


# ----------------------------------------------------------------- comparing


def _message_lines(messages: list[Message]) -> list[str]:
    lines: list[str] = []
    for message in messages:
        head = f"[{message.role}]"
        text_lines = message.text.splitlines() or [""]
        lines.append(f"{head} {text_lines[0]}".rstrip())
        lines.extend(f"    {line}" for line in text_lines[1:])
        lines.extend(f"    → {call.name}({canonical(call.arguments)})" for call in message.tool_calls)
    return lines


def _neutral(messages: list[Message]) -> list[str]:
    """Messages without call ids (a live re-run gets fresh ids for the same calls)."""
    return [
        canonical(
            {
                "role": m.role,
                "text": m.text,
                "calls": [(c.name, canonical(c.arguments)) for c in m.tool_calls],
                "error": m.is_error,
            }
        )
        for m in messages
    ]


def text_diff(a_lines: list[str], b_lines: list[str]) -> list[str]:
    """A compact unified diff (``-``/``+``/`` `` lines, one line of context, ``@@`` between hunks)."""
    out = []
    for line in difflib.unified_diff(a_lines, b_lines, lineterm="", n=DIFF_CONTEXT):
        if line.startswith(("---", "+++")):
            continue
        out.append("@@" if line.startswith("@@") else line)
    return out


def _error_text(span: Span) -> str | None:
    return f"{span.error.type}: {span.error.message}" if span.error else None


def compare_steps(a: Span, b: Span) -> StepDiff:
    """Classify one aligned pair and describe what changed."""
    changes: list[str] = []
    prompt_diff: list[str] = []
    response_diff: list[str] = []
    va, vb = llm_view(a), llm_view(b)
    ta, tb = tool_view(a), tool_view(b)
    if va is not None and vb is not None:
        if va.model != vb.model:
            changes.append("model")
        if canonical(va.params) != canonical(vb.params):
            changes.append("params")
        if canonical([t.model_dump() for t in va.tools]) != canonical([t.model_dump() for t in vb.tools]):
            changes.append("tools")
        if _neutral(va.prompt) != _neutral(vb.prompt):
            changes.append("prompt")
            prompt_diff = text_diff(_message_lines(va.prompt), _message_lines(vb.prompt))
        if _neutral(va.answer) != _neutral(vb.answer):
            changes.append("response")
            response_diff = text_diff(_message_lines(va.answer), _message_lines(vb.answer))
    elif ta is not None and tb is not None:
        if ta.name != tb.name:
            changes.append("name")
        if canonical(ta.arguments) != canonical(tb.arguments):
            changes.append("arguments")
            prompt_diff = text_diff([canonical(ta.arguments)], [canonical(tb.arguments)])
        if canonical(ta.result) != canonical(tb.result):
            changes.append("result")
            response_diff = text_diff(ta.result_text.splitlines(), tb.result_text.splitlines())
    else:
        if a.kind != b.kind or a.name != b.name:
            changes.append("kind" if a.kind != b.kind else "name")
        if canonical(a.input) != canonical(b.input):
            changes.append("input")
        if canonical(a.output) != canonical(b.output):
            changes.append("output")
    if _error_text(a) != _error_text(b):
        changes.append("error")
    if a.status != b.status and "error" not in changes:
        changes.append("status")
    return StepDiff(
        status="changed" if changes else "identical",
        a_step=a.step,
        b_step=b.step,
        kind=a.kind,
        name=a.name if a.name == b.name else f"{a.name} → {b.name}",
        changes=changes,
        prompt_diff=prompt_diff,
        response_diff=response_diff,
        a_tokens=(a.input_tokens, a.output_tokens) if a.usage else None,
        b_tokens=(b.input_tokens, b.output_tokens) if b.usage else None,
        a_latency=a.duration,
        b_latency=b.duration,
    )


def _pair(rows: StepRows, a: Side, i: int, b: Side, j: int) -> None:
    """``compare_steps`` of step ``i`` of ``a`` and ``j`` of ``b``; a pair with the same lines is identical
    without parsing either (``diff_sides.IndexSide.same_lines``) and held as its two positions."""
    if a.same_lines(i, b, j):
        rows.identical(i, j)
    else:
        rows.held(compare_steps(a.span(i), b.span(j)))


# ------------------------------------------------------------------ aligning


def _fork_point(a: Trace, b: Trace) -> int | None:
    """Steps before this one are shared, when one run is a fork of the other (or both of one original)."""
    fa, fb = a.header.fork_of, b.header.fork_of
    candidates = []
    if fb is not None and fb.trace_id == a.header.trace_id:
        candidates.append(fb.step)
    if fa is not None and fa.trace_id == b.header.trace_id:
        candidates.append(fa.step)
    if fa is not None and fb is not None and fa.trace_id == fb.trace_id:
        candidates.extend([fa.step, fb.step])
    numbers = []
    for step in candidates:
        match = _STEP.match(str(step or "").strip())
        if match:
            numbers.append(int(match.group(1)))
    return min(numbers) if numbers else None


def align(a_spans: list[Span], b_spans: list[Span]) -> list[StepDiff]:
    """Align two step lists by their (kind, name) sequence and compare the pairs."""
    a = SpanSide(Trace.model_construct(header=TraceHeader(trace_id="a"), spans=a_spans))
    b = SpanSide(Trace.model_construct(header=TraceHeader(trace_id="b"), spans=b_spans))
    rows = StepRows(a, b)
    _align(rows, a, b, 0)
    return list(rows)


def _align(rows: StepRows, a: Side, b: Side, start: int) -> None:
    """Align the steps of both sides from position ``start`` by their (kind, name) sequence into ``rows``."""
    if a is b:  # one run against itself: every step pairs with itself, identical
        rows.identical_run(start, len(a))
        return
    codes = opcodes(a.signatures[start:], b.signatures[start:])  # O(n log n)
    for tag, i1, i2, j1, j2 in codes:
        i1, i2, j1, j2 = i1 + start, i2 + start, j1 + start, j2 + start
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                _pair(rows, a, i, b, j)
            continue
        paired = 0
        while paired < min(i2 - i1, j2 - j1) and a.kinds[i1 + paired] == b.kinds[j1 + paired]:
            _pair(rows, a, i1 + paired, b, j1 + paired)
            paired += 1
        for i in range(i1 + paired, i2):
            rows.only_a(i)
        for j in range(j1 + paired, j2):
            rows.only_b(j)


def run_totals(trace: Trace) -> dict[str, Any]:
    """``trace.totals()`` plus ``latency``: the summed duration of llm, tool and retrieval steps.

    Wall-clock duration misleads for a fork, whose recorded steps keep the original run's times.
    """
    return _totals(side_of(trace))


def _totals(side: Side) -> dict[str, Any]:
    totals = side.totals()
    totals["latency"] = step_latency(side)
    return totals


_OUTCOME = frozenset({"output", "error", "status"})


def _first_divergence(a: Side, b: Side, steps: StepRows) -> int | None:
    """The first non-identical pair, skipping a container whose only change is how it ended when a
    step inside it diverges too (the agent step around a loop ends differently because its children did)."""
    differing = list(steps.differing())  # the rows that differ; identical ones are never built
    containing: set[tuple[str, int]] = set()  # ("a"|"b", step) of every ancestor of a divergent step
    for run, side, numbers in (
        ("a", a, [s.a_step for _, s in differing]),
        ("b", b, [s.b_step for _, s in differing]),
    ):
        if not numbers:
            continue
        parent_of = side.parents()
        for number in numbers:
            parent = parent_of.get(number) if number is not None else None
            while parent is not None and (run, parent) not in containing:
                containing.add((run, parent))
                parent = parent_of.get(parent)
    first = None
    for index, step in differing:
        first = index if first is None else first
        inherited = step.status == "changed" and set(step.changes) <= _OUTCOME
        if not (inherited and (("a", step.a_step) in containing or ("b", step.b_step) in containing)):
            return index
    return first


def diff_traces(a: Trace, b: Trace) -> TraceDiff:
    """See ``diff_sides``; a trace read through ``store.read_indexed`` is compared from its index, parsing
    only the steps whose lines differ. Runs with the cyclic collector paused (the pairs make no cycles)."""
    with gc_paused():
        side_a = side_of(a)
        side_b = side_a if b is a else side_of(b)
        try:
            return diff_sides(side_a, side_b)
        finally:
            side_a.close()
            side_b.close()


def diff_sides(a: Side, b: Side) -> TraceDiff:
    """Compare run ``a`` with run ``b`` (typically the original and its fork).

    Returns:
        A ``TraceDiff``: every aligned step with its status, the first divergence,
        both final answers, and both runs' totals (tokens, step latency, steps).
    """
    fork_step = _fork_point(a.trace, b.trace)
    steps = StepRows(a, b)
    shared = 0
    if fork_step is not None:
        shared = max(0, min(fork_step - 1, len(a), len(b)))
        if a is b:
            steps.identical_run(0, shared)
        else:
            for i in range(shared):
                _pair(steps, a, i, b, i)
    _align(steps, a, b, shared)
    final_a = final_answer(a.trace)
    return TraceDiff(
        a_source=a.trace.source,
        b_source=b.trace.source,
        a_trace_id=a.trace.header.trace_id,
        b_trace_id=b.trace.header.trace_id,
        fork_step=fork_step,
        steps=steps,
        first_divergence=_first_divergence(a, b, steps),
        final_a=final_a,
        final_b=final_a if b is a else final_answer(b.trace),
        totals_a=_totals(a),
        totals_b=_totals(a) if b is a else _totals(b),
    )


__all__ = [
    "StepDiff",
    "StepStatus",
    "TraceDiff",
    "align",
    "compare_steps",
    "diff_sides",
    "diff_traces",
    "text_diff",
]
