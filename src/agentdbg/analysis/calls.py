"""What the analysis passes share about a step: its views, its arguments as canonical text, the run's answer.

The tool calls of a run paired with the steps that ran them live in ``facts.py``
(``ToolEvent``, built in diagnose's one streamed pass); this module keeps the small
helpers diff, search and the detectors all use.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

from agentdbg.model.run_end import declared_final_tools, is_terminal_call
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import LLMView, ToolView


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off while a run's views are built (they make no cycles; on a 100k-step run
    its full passes re-walked every view built so far, which grew the time faster than the run)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def llm_view(span: Span) -> LLMView | None:
    """``span.llm`` (the view shows odd shapes as JSON text rather than failing)."""
    return span.llm


def tool_view(span: Span) -> ToolView | None:
    """``span.tool`` (never fails on odd field types)."""
    return span.tool


def canonical(value: Any) -> str:
    """Stable text of a JSON value (sorted keys, no spaces) for comparing arguments."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value.strip()
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def final_answer(trace: Trace) -> str | None:
    """The run's final answer: the text of the last llm step, if it ended with text and no tool calls,
    or the arguments of its terminal tool call (structured output, ``final_answer``: ``model/run_end.py``)."""
    declared = declared_final_tools(trace.header.metadata)
    for span in reversed(trace.spans):  # only the last llm step is needed: no view of every step first
        view = llm_view(span)
        if view is None:
            continue
        if span.error is not None or not span.ended:
            return None
        if not view.tool_calls:
            return view.answer_text if view.answer_text.strip() else None
        final = next((c for c in view.tool_calls if is_terminal_call(c.name, view.request, declared)), None)
        if final is None:
            return None
        return final.arguments_raw or json.dumps(final.arguments, ensure_ascii=False, default=str)
    return None


__all__ = ["canonical", "final_answer", "gc_paused", "llm_view", "tool_view"]
