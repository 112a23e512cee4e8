"""Compare two runs step by step: align them (fork-aware), classify each pair, and diff what changed.

A fork (``fork_of`` in its header) shares every step before its fork point with
the original, so those pair one to one; the rest (or two unrelated runs) align
by the sequence of (kind, name) (``alignment.opcodes``: difflib for small runs, anchored above).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentdbg.analysis.alignment import opcodes
from agentdbg.analysis.calls import canonical, final_answer, gc_paused, llm_view, tool_view
from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_STEP = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)
StepStatus = Literal["identical", "changed", "only-in-a", "only-in-b"]
DIFF_CONTEXT = 1


class StepDiff(BaseModel):
    """One aligned pair of steps (or a step only one run has), with what changed."""

    status: StepStatus
    a_step: int | None = None
    b_step: int | None = None
    kind: str
    name: str
    changes: list[str] = Field(default_factory=list)
    prompt_diff: list[str] = Field(default_factory=list)
    response_diff: list[str] = Field(default_factory=list)
    a_tokens: tuple[int | None, int | None] | None = None
    b_tokens: tuple[int | None, int | None] | None = None
    a_latency: float | None = None
    b_latency: float | None = None

    def label(self) -> str:
        """``step-3 ↔ step-3``, ``step-4 →  —`` and so on."""
        a = f"step-{self.a_step}" if self.a_step else "—"
        b = f"step-{self.b_step}" if self.b_step else "—"
        return f"{a} ↔ {b}"


class TraceDiff(BaseModel):
    """Two runs side by side: aligned steps, the first divergence, final answers and deltas."""

    a_source: str | None
    b_source: str | None
    a_trace_id: str
    b_trace_id: str
    fork_step: int | None = None
    steps: list[StepDiff]
    first_divergence: int | None = Field(
        default=None, description="Index into steps of the first non-identical pair."
    )
    final_a: str | None = None
    final_b: str | None = None
    totals_a: dict[str, Any] = Field(default_factory=dict)
    totals_b: dict[str, Any] = Field(default_factory=dict)

    @property
    def divergent(self) -> StepDiff | None:
        return self.steps[self.first_divergence] if self.first_divergence is not None else None

    @property
    def identical(self) -> bool:
        return self.first_divergence is None and self.final_a == self.final_b

    def deltas(self) -> dict[str, float | int | None]:
        """B minus A for tokens in/out, step latency, step count and errors."""
        out: dict[str, float | int | None] = {}
        for key in ("input_tokens", "output_tokens", "latency", "steps", "errors"):
            a, b = self.totals_a.get(key), self.totals_b.get(key)
            out[key] = (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
        return out

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump()
        data["first_divergence"] = self.divergent.model_dump() if self.divergent else None
        data["final_answers_equal"] = self.final_a == self.final_b
        data["deltas"] = self.deltas()
        return data


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


def _only(span: Span, side: str) -> StepDiff:
    tokens = (span.input_tokens, span.output_tokens) if span.usage else None
    return StepDiff(
        status="only-in-a" if side == "a" else "only-in-b",
        a_step=span.step if side == "a" else None,
        b_step=span.step if side == "b" else None,
        kind=span.kind,
        name=span.name,
        a_tokens=tokens if side == "a" else None,
        b_tokens=tokens if side == "b" else None,
        a_latency=span.duration if side == "a" else None,
        b_latency=span.duration if side == "b" else None,
    )


# ------------------------------------------------------------------ aligning


def _signature(span: Span) -> tuple[str, str]:
    tool = tool_view(span)
    return (span.kind, tool.name if tool else span.name)


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
    out: list[StepDiff] = []
    codes = opcodes([_signature(s) for s in a_spans], [_signature(s) for s in b_spans])  # O(n log n)
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            out.extend(compare_steps(a, b) for a, b in zip(a_spans[i1:i2], b_spans[j1:j2], strict=True))
            continue
        a_part, b_part = a_spans[i1:i2], b_spans[j1:j2]
        paired = 0
        while paired < min(len(a_part), len(b_part)) and a_part[paired].kind == b_part[paired].kind:
            out.append(compare_steps(a_part[paired], b_part[paired]))
            paired += 1
        out.extend(_only(span, "a") for span in a_part[paired:])
        out.extend(_only(span, "b") for span in b_part[paired:])
    return out


_TIMED_KINDS = ("llm", "tool", "retrieval")


def run_totals(trace: Trace) -> dict[str, Any]:
    """``trace.totals()`` plus ``latency``: the summed duration of llm, tool and retrieval steps.

    Wall-clock duration misleads for a fork, whose recorded steps keep the original run's times.
    """
    totals = trace.totals()
    durations = [
        span.duration for span in trace.spans if span.kind in _TIMED_KINDS and span.duration is not None
    ]
    totals["latency"] = round(sum(durations), 6) if durations else None
    return totals


_OUTCOME = frozenset({"output", "error", "status"})


def _first_divergence(a: Trace, b: Trace, steps: list[StepDiff]) -> int | None:
    """The first non-identical pair, skipping a container whose only change is how it ended when a
    step inside it diverges too (the agent step around a loop ends differently because its children did)."""
    containing: set[tuple[str, int]] = set()  # ("a"|"b", step) of every ancestor of a divergent step
    for run, trace, numbers in (
        ("a", a, [s.a_step for s in steps if s.status != "identical"]),
        ("b", b, [s.b_step for s in steps if s.status != "identical"]),
    ):
        by_id = {span.id: span for span in trace.spans}
        by_step = {span.step: span for span in trace.spans}
        for number in numbers:
            span = by_step.get(number) if number is not None else None
            parent = by_id.get(span.parent_id) if span is not None and span.parent_id else None
            while parent is not None and (run, parent.step) not in containing:
                containing.add((run, parent.step))
                parent = by_id.get(parent.parent_id) if parent.parent_id else None
    first = None
    for index, step in enumerate(steps):
        if step.status == "identical":
            continue
        first = index if first is None else first
        inherited = step.status == "changed" and set(step.changes) <= _OUTCOME
        if not (inherited and (("a", step.a_step) in containing or ("b", step.b_step) in containing)):
            return index
    return first


def diff_traces(a: Trace, b: Trace) -> TraceDiff:
    """See ``_diff_traces``; run with the cyclic collector paused (the pairs make no cycles)."""
    with gc_paused():
        return _diff_traces(a, b)


def _diff_traces(a: Trace, b: Trace) -> TraceDiff:
    """Compare run ``a`` with run ``b`` (typically the original and its fork).

    Returns:
        A ``TraceDiff``: every aligned step with its status, the first divergence,
        both final answers, and both runs' totals (tokens, step latency, steps).
    """
    fork_step = _fork_point(a, b)
    steps: list[StepDiff] = []
    shared = 0
    if fork_step is not None:
        shared = max(0, min(fork_step - 1, len(a.spans), len(b.spans)))
        steps.extend(compare_steps(x, y) for x, y in zip(a.spans[:shared], b.spans[:shared], strict=True))
    steps.extend(align(a.spans[shared:], b.spans[shared:]))
    return TraceDiff(
        a_source=a.source,
        b_source=b.source,
        a_trace_id=a.header.trace_id,
        b_trace_id=b.header.trace_id,
        fork_step=fork_step,
        steps=steps,
        first_divergence=_first_divergence(a, b, steps),
        final_a=final_answer(a),
        final_b=final_answer(b),
        totals_a=run_totals(a),
        totals_b=run_totals(b),
    )


__all__ = ["StepDiff", "TraceDiff", "align", "compare_steps", "diff_traces", "text_diff"]
