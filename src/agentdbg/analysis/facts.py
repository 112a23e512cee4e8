"""The facts the detectors share, gathered in one streamed pass over a run's steps.

Each step is read once (a lazily read trace parses it from the file and drops it), its llm view is
built once, and every detector sees it in step order (``StepDetector.step``), keeping only the compact
facts it needs. What needs the whole run (tool calls paired with the steps that ran them, the last llm
step) is assembled from compact records at the end (``PassFacts``), so memory is bounded by the largest
step plus a few small records per step, not by the file, and the work by the number of steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentdbg.analysis.call_records import Offered, StepRef, ToolEvent, ToolRun, digest, pack
from agentdbg.analysis.calls import gc_paused
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.analysis.llm_facts import ChainFacts, LlmFacts
from agentdbg.model.messages import ToolSpec
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.trace import LazySpans, Trace
from agentdbg.model.views import LLMView
from agentdbg.store.index import TraceIndex
from agentdbg.store.index_pass import PassStep

Step = Span | PassStep  # a step as the pass gives it: light where its lines are plain (store/index_pass.py)

_ERROR_PREFIXES = ("error", "exception", "traceback", "failed", "failure")
RESULT_SNIPPET = 200  # the longest snippet of a tool result a finding quotes


@dataclass(slots=True)
class _LlmCalls:
    ref: StepRef
    calls: list[tuple[str, str | None, Any]]  # (name, call id, arguments)
    offered: tuple[Offered, ...]
    user_request: str
    user_turn: int


@dataclass
class PassFacts:
    """What the whole-run detectors read once the pass is over."""

    header: TraceHeader
    events: list[ToolEvent]
    llm_count: int
    last_llm: tuple[Step, LlmFacts] | None


class StepDetector(Protocol):
    """One detector: sees every step in order (an llm step with its facts), then reports.

    A consumer that sets ``LIGHT = True`` reads no ``LlmFacts.prompt`` (it may be ``None``: the facts
    carried along a compact request's chain); when any consumer of a pass does not, every llm step's
    facts come from its whole view. ``SEES`` says which steps ``step`` is called with: ``"all"`` (when
    not set), ``"llm"`` (only those with facts) or ``"none"`` (it reads only ``PassFacts``).
    """

    def step(self, span: Step, view: LlmFacts | None) -> None: ...

    def finish(self, facts: PassFacts) -> list[Finding]: ...


class StepFindings:
    """Base of a detector whose findings come as it sees the steps: ``step`` appends, ``finish`` returns them."""

    LIGHT = True  # reads no LlmFacts.prompt (see StepDetector)
    SEES = "llm"  # step() returns at once for a step without llm facts (see StepDetector)

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.options = context.options
        self.findings: list[Finding] = []

    def finish(self, facts: PassFacts) -> list[Finding]:
        return self.findings


@dataclass
class RunContext:
    """What detectors know before the pass: the header, the reader's problems, how to look steps up."""

    trace: Trace
    options: DiagnoseOptions
    view_of: Callable[[Span], LLMView | None]
    problem_lines: set[int] = field(default_factory=set)

    @property
    def header(self) -> TraceHeader:
        return self.trace.header

    def damaged(self, span: Step) -> bool:
        """Whether the reader reported a problem on this span's lines (its request may be incomplete)."""
        lines = self.problem_lines
        return span.line in lines or (span.end_line is not None and span.end_line in lines)

    def reread(self, step: int) -> tuple[Span, LLMView | None]:
        """A step again, with its view (a finding that quotes an earlier step; rare)."""
        span = self.trace.spans[step - 1]
        return span, self.view_of(span)

    def tree(self) -> Iterator[tuple[str, str | None, str | None, bool]]:
        """(id, parent id, origin, ended) of every step, without payloads for a lazy trace."""
        spans = self.trace.spans
        if isinstance(spans, LazySpans):
            for summary in self.trace.summaries():
                yield summary.id, summary.parent_id, summary.origin, summary.status != "incomplete"
        else:
            for span in spans:
                yield span.id, span.parent_id, span.origin, span.ended

    def node(self, span_id: str) -> tuple[str | None, str | None, bool, str] | None:
        """(parent id, origin, ended, address) of one step, or ``None`` if there is no such step."""
        spans = self.trace.spans
        if isinstance(spans, LazySpans):
            position = spans.store.position_of(span_id)
            if position is None:
                return None
            summary = spans.store.summary(position)
            return summary.parent_id, summary.origin, summary.status != "incomplete", summary.address
        span = self.trace.by_id.get(span_id)
        return None if span is None else (span.parent_id, span.origin, span.ended, span.address)


class _Collector:
    """Compact records of every llm step's calls and every tool step, paired at the end."""

    def __init__(self) -> None:
        self.llm: list[_LlmCalls] = []
        self.tools: list[ToolRun] = []
        self.llm_count = 0
        self.last_llm: tuple[Step, LlmFacts] | None = None
        self._offered: dict[tuple[Offered, ...], tuple[Offered, ...]] = {}
        # the offered tools by the ids of their specs (held, so the ids stay theirs): a chain passes the
        # same ToolSpec objects on from step to step (llm_facts.ChainFacts)
        self._offered_by_ids: dict[tuple[int, ...], tuple[list[ToolSpec], tuple[Offered, ...]]] = {}
        self._requests: dict[str | None, str] = {}  # per agent: its last user text (one object per text)
        self._names: dict[str, str] = {}  # parent ids and tool names, each held once

    def _offered_of(self, specs: list[ToolSpec]) -> tuple[Offered, ...]:
        ids = tuple(map(id, specs))
        known = self._offered_by_ids.get(ids)
        if known is not None:
            return known[1]
        offered = tuple(Offered(spec.name, spec.description) for spec in specs)
        offered = self._offered.setdefault(offered, offered)
        if len(self._offered_by_ids) >= 256:
            self._offered_by_ids.clear()
        self._offered_by_ids[ids] = (list(specs), offered)
        return offered

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is not None:
            self.llm_count += 1
            self.last_llm = (span, view)
            calls = view.tool_calls
            if not calls:
                return
            offered = self._offered_of(view.tools)
            names = self._names
            request, turns = view.user_text, view.user_turns
            if self._requests.get(span.parent_id) == request:
                request = self._requests[span.parent_id]
            else:
                self._requests[span.parent_id] = request
            self.llm.append(
                _LlmCalls(
                    StepRef.of(span, names),
                    [
                        (names.setdefault(call.name, call.name), call.id, pack(call.arguments))
                        for call in calls
                    ],
                    offered,
                    request,
                    turns,
                )
            )
        elif span.kind == "tool":
            tool = span.tool
            text = tool.result_text if tool is not None and span.ended else ""
            failed = span.error is not None or text.strip().lower().startswith(_ERROR_PREFIXES)
            name = tool.name if tool else span.name
            self.tools.append(
                ToolRun(
                    ref=StepRef.of(span, self._names),
                    name=self._names.setdefault(name, name),
                    call_id=tool.call_id if tool else None,
                    failed=failed,
                    result_digest=digest(text.strip()),
                    result_snippet=snippet(text, RESULT_SNIPPET) if failed else "",
                    has_result=bool(text),
                )
            )

    def events(self, reread: Callable[[int], Step]) -> list[ToolEvent]:
        """Every tool call in step order, llm requests paired with the tool steps that ran them
        (``reread(step)``: a step again, for the arguments of a tool step no llm step asked for)."""
        by_call_id: dict[str, ToolRun] = {}
        by_name: dict[str, list[ToolRun]] = {}  # tool steps of each name, in step order
        for run in self.tools:
            if run.call_id:
                by_call_id[run.call_id] = run
            by_name.setdefault(run.name, []).append(run)
        cursor: dict[str, int] = {}  # per name: candidates before this are claimed or too early for good
        claimed: set[str] = set()
        events: list[ToolEvent] = []
        for asked in self.llm:
            for name, call_id, arguments in asked.calls:
                tool: ToolRun | None = by_call_id.get(call_id) if call_id else None
                if tool is None:  # no call id recorded: the next tool step of that name after this llm step
                    named = by_name.get(name, [])
                    at = cursor.get(name, 0)
                    while at < len(named) and (
                        named[at].ref.id in claimed or named[at].ref.step <= asked.ref.step
                    ):
                        at += 1
                    cursor[name] = at
                    tool = named[at] if at < len(named) else None
                if tool is not None:
                    claimed.add(tool.ref.id)
                events.append(
                    ToolEvent(
                        name, arguments, asked.ref, tool, asked.offered, asked.user_request, asked.user_turn
                    )
                )
        events.extend(
            ToolEvent(run.name, _arguments(reread(run.ref.step)), tool=run)
            for run in self.tools
            if run.ref.id not in claimed
        )
        events.sort(key=lambda event: (event.llm_span.step if event.llm_span else event.step, event.step))
        return events


def _arguments(span: Step) -> Any:
    """A tool step's arguments, packed (``pack``)."""
    tool = span.tool
    return pack(tool.arguments if tool else span.input)


def run_pass(context: RunContext, detectors: list[StepDetector]) -> PassFacts:
    """Feed every step to the detectors (and the event collector) once, in step order."""
    collector = _Collector()
    seen = [(detector.step, getattr(detector, "SEES", "all")) for detector in detectors]
    every = [step for step, sees in seen if sees == "all"]
    llm = [step for step, sees in seen if sees in ("all", "llm")]
    with gc_paused():  # views make no cycles; a full collection would re-walk what the pass holds
        light = all(getattr(detector, "LIGHT", False) for detector in detectors)
        for span, facts in pass_steps(context, light):
            collector.step(span, facts)
            for step in every if facts is None else llm:
                step(span, facts)
        events = collector.events(lambda step: context.trace.spans[step - 1])
    return PassFacts(context.header, events, collector.llm_count, collector.last_llm)


def pass_steps(context: RunContext, light: bool = True) -> Iterator[tuple[Step, LlmFacts | None]]:
    """Every step in order with the facts of an llm step: a trace read through the index streams light
    steps, each compact request's facts carried from its base (``ChainFacts``); anything else, and every
    step that path does not take, and every step when not ``light``, goes the exact way (the whole
    ``Span`` and its view)."""
    spans = context.trace.spans
    view_of = context.view_of
    if (
        not light
        or not isinstance(spans, LazySpans)
        or spans.positions is not None
        or not isinstance(spans.store, TraceIndex)
    ):
        for span in spans:  # an in-memory trace
            view = view_of(span) if span.kind == "llm" else None
            yield span, (LlmFacts.of_view(view) if view is not None else None)
        return
    store = spans.store
    chains = ChainFacts()
    for step in store.pass_steps(context.problem_lines):  # each step parsed once, then dropped
        if step.kind != "llm":
            yield step, None
            continue
        position = step.step - 1
        if isinstance(step, PassStep) and step.request_ref is not None:
            facts = chains.facts(step, step.base)
            if facts is not None:
                yield step, facts
                continue
            step = store.read_span(position)  # the exact path: the request rebuilt whole
        view = view_of(step)  # type: ignore[arg-type]  # a PassStep of a whole request has the fields a view reads
        if view is None:
            yield step, None
            continue
        facts = LlmFacts.of_view(view)
        chains.seed(position, view.request, facts)
        yield step, facts


__all__ = [
    "Offered",
    "RunContext",
    "PassFacts",
    "StepDetector",
    "Step",
    "StepRef",
    "ToolEvent",
    "ToolRun",
    "digest",
    "pass_steps",
    "run_pass",
]
