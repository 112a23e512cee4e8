"""The tool calls of a run in order, each tied to the llm step that asked and the tool step that ran it.

Traces differ: some record tool steps, some only the model's requests for them
(imported runs), some both. Detectors read this one list instead.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agentdbg.model.messages import Message, ToolCallRef, ToolSpec
from agentdbg.model.run_end import declared_final_tools, is_terminal_call
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import LLMView, ToolView

_ERROR_PREFIXES = ("error", "exception", "traceback", "failed", "failure")


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


@dataclass
class ToolEvent:
    """One tool call: who asked (``llm_span``), what ran (``tool_span``), with which arguments."""

    name: str
    arguments: Any
    call: ToolCallRef | None = None
    llm_span: Span | None = None
    tool_span: Span | None = None
    offered: list[ToolSpec] = field(default_factory=list)
    user_request: str = ""
    user_turn: int = 0

    @property
    def step(self) -> int:
        """The step to point at: the tool step when it ran, else the llm step that asked."""
        span = self.tool_span or self.llm_span
        return span.step if span else 0

    @property
    def span_id(self) -> str | None:
        span = self.tool_span or self.llm_span
        return span.id if span else None

    @property
    def result_text(self) -> str:
        if self.tool_span is None or not self.tool_span.ended:
            return ""
        tool = tool_view(self.tool_span)
        return tool.result_text if tool else ""

    @property
    def failed(self) -> bool:
        """The tool raised, or its result reads as an error."""
        if self.tool_span is not None and self.tool_span.error is not None:
            return True
        text = self.result_text.strip().lower()
        return text.startswith(_ERROR_PREFIXES)

    def canonical_arguments(self) -> str:
        return canonical(self.arguments)


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


def last_user_text(messages: list[Message]) -> str:
    """The latest user message with text: the request the model is working on."""
    for message in reversed(messages):
        if message.role == "user" and message.text.strip():
            return message.text
    return ""


def user_turns(messages: list[Message]) -> int:
    return sum(1 for message in messages if message.role == "user" and message.text.strip())


def _tool_input_name(span: Span) -> str:
    tool = tool_view(span)
    return tool.name if tool else span.name


def llm_views(trace: Trace) -> dict[str, LLMView]:
    """The neutral view of every llm step, computed once (views are rebuilt on each ``span.llm``)."""
    views = {}
    for span in trace.spans:
        view = llm_view(span)
        if view is not None:
            views[span.id] = view
    return views


def tool_events(trace: Trace, views: dict[str, LLMView] | None = None) -> list[ToolEvent]:
    """Every tool call in step order, llm requests paired with the tool steps that ran them."""
    views = views if views is not None else llm_views(trace)
    events: list[ToolEvent] = []
    spans = list(trace.spans)  # one pass, even over a lazily read trace
    unmatched_tools = [span for span in spans if span.kind == "tool"]
    by_call_id = {}
    by_name: dict[str, list[Span]] = {}  # tool steps of each name, in step order
    for span in unmatched_tools:
        tool = tool_view(span)
        if tool is not None and tool.call_id:
            by_call_id[tool.call_id] = span
        by_name.setdefault(_tool_input_name(span), []).append(span)
    cursor: dict[str, int] = {}  # per name: candidates before this are claimed or too early for good
    claimed: set[str] = set()
    for span in spans:
        if span.kind != "llm":
            continue
        view = views.get(span.id)
        if view is None:
            continue
        request = last_user_text(view.prompt)
        turn = user_turns(view.prompt)
        for call in view.tool_calls:
            tool_span = by_call_id.get(call.id) if call.id else None
            if tool_span is None:  # no call id recorded: the next tool step of that name after this llm step
                # llm steps come in step order, so a candidate skipped here is never taken later: the
                # cursor only moves forward (linear, where scanning every tool step was quadratic)
                named = by_name.get(call.name, [])
                at = cursor.get(call.name, 0)
                while at < len(named) and (named[at].id in claimed or named[at].step <= span.step):
                    at += 1
                cursor[call.name] = at
                tool_span = named[at] if at < len(named) else None
            if tool_span is not None:
                claimed.add(tool_span.id)
            events.append(
                ToolEvent(
                    name=call.name,
                    arguments=call.arguments,
                    call=call,
                    llm_span=span,
                    tool_span=tool_span,
                    offered=view.tools,
                    user_request=request,
                    user_turn=turn,
                )
            )
    for span in unmatched_tools:
        if span.id not in claimed:
            tool = tool_view(span)
            events.append(
                ToolEvent(
                    name=_tool_input_name(span),
                    arguments=tool.arguments if tool else span.input,
                    tool_span=span,
                )
            )
    events.sort(key=lambda event: (event.llm_span.step if event.llm_span else event.step, event.step))
    return events


@dataclass
class RunFacts:
    """What every detector reads, computed once per trace."""

    trace: Trace
    views: dict[str, LLMView]
    events: list[ToolEvent]

    @classmethod
    def of(cls, trace: Trace) -> RunFacts:
        with gc_paused():
            views = llm_views(trace)
            return cls(trace=trace, views=views, events=tool_events(trace, views))

    _problem_lines: set[int] | None = None
    _llm_steps: list[tuple[Span, LLMView]] | None = None
    _served: dict[str | None, tuple[list[int], list[str]]] | None = None

    def damaged(self, span: Span) -> bool:
        """Whether the reader reported a problem on this span's lines (its request may be incomplete)."""
        if self._problem_lines is None:
            self._problem_lines = {problem.line for problem in self.trace.problems}
        lines = self._problem_lines
        return span.line in lines or (span.end_line is not None and span.end_line in lines)

    def llm_steps(self) -> list[tuple[Span, LLMView]]:
        """(span, view) of every llm step in step order, computed once."""
        if self._llm_steps is None:
            self._llm_steps = [(span, self.views[span.id]) for span in self.trace.spans if span.id in self.views]
        return self._llm_steps

    def user_requests(self, parent_id: str | None) -> tuple[list[int], list[str]]:
        """Step numbers of the llm steps under ``parent_id`` and the last user text each saw (once per run)."""
        if self._served is None:
            served: dict[str | None, tuple[list[int], list[str]]] = {}
            for span, view in self.llm_steps():
                steps, texts = served.setdefault(span.parent_id, ([], []))
                steps.append(span.step)
                texts.append(last_user_text(view.prompt))
            self._served = served
        return self._served.get(parent_id, ([], []))


def final_answer(trace: Trace, views: dict[str, LLMView] | None = None) -> str | None:
    """The run's final answer: the text of the last llm step, if it ended with text and no tool calls,
    or the arguments of its terminal tool call (structured output, ``final_answer``: ``model/run_end.py``)."""
    declared = declared_final_tools(trace.header.metadata)
    for span in reversed(trace.spans):  # only the last llm step is needed: no view of every step first
        view = views.get(span.id) if views is not None else llm_view(span)
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


__all__ = [
    "RunFacts",
    "ToolEvent",
    "canonical",
    "final_answer",
    "last_user_text",
    "llm_views",
    "tool_events",
    "user_turns",
]
