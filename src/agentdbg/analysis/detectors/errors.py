"""Errors: tool exceptions, API errors, exceptions that ended the run, steps that never ended, and runs
without a final answer (a terminal tool call, e.g. structured output, counts as one)."""

from __future__ import annotations

import re

from agentdbg.analysis.detectors.context import is_overflow_error
from agentdbg.analysis.facts import PassFacts, RunContext, Step, StepRef
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.analysis.llm_facts import LlmFacts
from agentdbg.model.records import ErrorInfo
from agentdbg.model.run_end import RUN_ERROR, declared_final_tools, is_terminal_call, submitted

_MAX_STEPS = re.compile(
    r"max(imum)?[ _-]?(steps|turns|iterations)|recursion limit|step limit|too many (steps|turns|iterations)",
    re.IGNORECASE,
)
_LIMIT_KEYS = ("max_steps", "max_turns", "max_iterations", "step_limit")
_RETRYABLE = {408, 409, 429, 500, 502, 503, 504, 529}


def _api_fix(status: int | None) -> str:
    if status in (401, 403):
        return "Check the API key and its permissions (the key itself is never stored in the trace)."
    if status in _RETRYABLE:
        return "A transient provider error: retry with backoff (the SDK's max_retries), and handle the failure in the agent loop."
    if status == 400 or status == 422:
        return "The provider rejected the request: read the error body, fix the request (replay with a patch to try it)."
    return "Handle API failures in the agent loop (retry, fall back, or stop with a clear message)."


def stale_spans(context: RunContext) -> set[str]:
    """In a fork, recorded spans that enclose re-run steps: their end (output, error) is the original run's."""
    if context.header.fork_of is None:
        return set()
    stale: set[str] = set()
    for _, parent_id, origin, _ in context.tree():
        if origin in (None, "recorded"):
            continue
        cursor = parent_id
        while cursor is not None and cursor not in stale and (node := context.node(cursor)) is not None:
            if node[1] in (None, "recorded"):
                stale.add(cursor)
            cursor = node[0]
    return stale


FORMAT_ERROR = "format_error"  # an llm step whose answer the agent refused (no action in it: mini-swe-agent)


def _format_error(span: StepRef, error: ErrorInfo) -> Finding:
    return Finding(
        severity="warning",
        pattern="error",
        step=span.step,
        span_id=span.id,
        title="the agent refused the model's answer (format error)",
        evidence=f"the call succeeded, but its answer did not have the form the agent parses: {snippet(error.message, 200)}",
        fix=(
            "Compare the answer with the format the system prompt asks for; restate the format with an example, "
            "or have the model call a tool (tool_choice) instead of writing the action as text."
        ),
        details={"kind": "format", "type": error.type},
    )


def _api_error(span: StepRef, recovered: bool) -> Finding:
    error = span.error
    assert error is not None
    if error.type == FORMAT_ERROR:
        return _format_error(span, error)
    status = f" (HTTP {error.status_code})" if error.status_code else ""
    return Finding(
        severity="warning" if recovered else "error",
        pattern="error",
        step=span.step,
        span_id=span.id,
        title=f"API error{status}" + (", retried" if recovered else ""),
        evidence=f"{error.type}: {snippet(error.message, 200)}{status}",
        fix=_api_fix(error.status_code),
        details={"kind": "api", "type": error.type, "status_code": error.status_code},
    )


def _span_error(span: Step) -> Finding | None:
    """The finding of a failed non-llm step (an llm step's waits for the steps after it: ``_api_error``)."""
    error = span.error
    assert error is not None
    if span.attributes.get(RUN_ERROR):
        return Finding(
            severity="error",
            pattern="error",
            step=span.step,
            span_id=span.id,
            title=f"the run raised {error.type}",
            evidence=f"{error.type}: {snippet(error.message, 200)} (escaped agentdbg.trace(); traceback in the step)",
            fix="Read the traceback in this step; the step before it is where the run went wrong. Catch the error in the agent if it can recover.",
            details={"kind": "run-error", "type": error.type},
        )
    tool = span.tool
    what = f"tool {tool.name}" if tool else f"{span.kind} step {span.name}"
    fix = (
        "Catch the exception in the tool and return a short error the model can act on (what failed, what to change)."
        if span.kind == "tool"
        else "Look at the steps inside it for the first failure; that is where this error starts."
    )
    return Finding(
        severity="error",
        pattern="error",
        step=span.step,
        span_id=span.id,
        title=f"{what} raised {error.type}",
        evidence=f"{error.type}: {snippet(error.message, 200)}",
        fix=fix,
        details={"kind": "exception", "type": error.type},
    )


def _open_ancestors(context: RunContext, span: Step) -> list[str]:
    found: list[str] = []
    cursor = span.parent_id
    while cursor is not None and len(found) < 50 and (node := context.node(cursor)) is not None:
        if not node[2]:
            found.append(node[3])
        cursor = node[0]
    return found


def _incomplete(context: RunContext, span: Step) -> Finding | None:
    for child in span.children:
        node = context.node(child)
        if node is not None and not node[2]:
            return None  # an open parent of an open child: the child is where it stopped
    parents = _open_ancestors(context, span)
    return Finding(
        severity="error",
        pattern="error",
        step=span.step,
        span_id=span.id,
        title=f"{span.kind} step never ended",
        evidence=(
            f"{span.kind} {snippet(span.name, 60)!r} started but has no end record: the run crashed, was killed, "
            "or is still running" + (f" (open around it: {', '.join(parents)})" if parents else "")
        ),
        fix="Look at the last lines of the process log; run it again with the trace open (`agentdbg show -f`) to watch where it stops.",
        details={"kind": "incomplete"},
    )


def _final_answer(
    facts: PassFacts, max_steps_error: bool, options: DiagnoseOptions, was_submitted: bool = False
) -> Finding | None:
    if facts.last_llm is None:
        return None
    span, view = facts.last_llm
    metadata = facts.header.metadata
    limit = next((metadata.get(key) for key in _LIMIT_KEYS if isinstance(metadata.get(key), int)), None)
    hit_limit = (limit is not None and facts.llm_count >= limit) or max_steps_error
    declared = declared_final_tools(metadata, options.final_tools)
    terminal = bool(view.tool_calls) and any(
        is_terminal_call(call.name, view.request, declared) for call in view.tool_calls
    )
    has_answer = was_submitted or (  # a submitted run answered with its submit action
        span.ended
        and span.error is None
        and (terminal or (bool(view.answer_text.strip()) and not view.tool_calls))
    )
    if has_answer and not hit_limit:
        return None
    if hit_limit and not has_answer:
        reason = (
            f"the run stopped at its max-steps limit ({limit} llm steps)"
            if limit
            else "the run stopped at a max-steps limit"
        )
    elif hit_limit:
        reason = f"the run used all {limit} allowed llm steps" if limit else "a max-steps error was raised"
    elif view.tool_calls:
        reason = f"the run ended after the last llm step (step-{span.step}) asked for {', '.join(c.name for c in view.tool_calls)}: no model call read the result"
    elif not span.ended or span.error is not None:
        reason = f"the last llm step (step-{span.step}) {'failed' if span.error else 'never ended'}"
    else:
        reason = f"the last llm step (step-{span.step}) returned no text"
    return Finding(
        severity="error" if not has_answer else "warning",
        pattern="error",
        step=span.step,
        span_id=span.id,
        title="run ended without a final answer" if not has_answer else "run hit its max-steps limit",
        evidence=reason,
        fix=(
            "Find the first finding before this step: the cause is usually earlier (a loop, a failed tool, a lost instruction). "
            "If the task needs more steps, raise the limit."
        ),
        details={"kind": "max-steps" if hit_limit else "no-final-answer", "limit": limit},
    )


class Detector:
    """Failed steps as they pass (an API error waits to see whether its agent's next call succeeded), open
    steps, tool results that read as errors, and how the run ended."""

    LIGHT = True  # reads no LlmFacts.prompt (facts.StepDetector)

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.stale = stale_spans(context)
        self.span_errors: list[Finding | StepRef] = []  # a StepRef: an llm API error, judged at the end
        self.incomplete: list[Finding] = []
        self.last_ok_llm: dict[str | None, int] = {}  # per agent: its latest llm step that succeeded
        self.max_steps_error = False
        self.submitted = False  # a root agent step says the run ended by submitting

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if span.kind == "agent" and span.parent_id is None and submitted(span.attributes):
            self.submitted = True
        if span.kind == "llm" and span.status == "ok":
            self.last_ok_llm[span.parent_id] = span.step
        if span.id in self.stale:
            return
        error = span.error
        if error is not None:
            if _MAX_STEPS.search(f"{error.type} {error.message}"):
                self.max_steps_error = True
            if not is_overflow_error(error):  # overflow: reported by the context detector
                if span.kind == "llm":
                    self.span_errors.append(StepRef.of(span))
                elif (finding := _span_error(span)) is not None:
                    self.span_errors.append(finding)
        if not span.ended and (finding := _incomplete(self.context, span)) is not None:
            self.incomplete.append(finding)

    def finish(self, facts: PassFacts) -> list[Finding]:
        findings = []
        for item in self.span_errors:
            if isinstance(item, StepRef):
                assert item.error is not None
                recovered = (
                    item.error.status_code in _RETRYABLE
                    and self.last_ok_llm.get(item.parent_id, 0) > item.step
                )
                item = _api_error(item, recovered)
            findings.append(item)
        for event in facts.events:
            if event.tool_span is None or event.tool_span.error is not None or not event.failed:
                continue
            findings.append(
                Finding(
                    severity="warning",
                    pattern="error",
                    step=event.tool_span.step,
                    span_id=event.tool_span.id,
                    title=f"tool {event.name} returned an error",
                    evidence=snippet(event.result_snippet, 200),
                    fix="Make the error say what to change (argument, format, retry later); check the model recovers at the next step.",
                    details={"kind": "tool-result"},
                )
            )
        findings.extend(self.incomplete)
        final = _final_answer(facts, self.max_steps_error, self.context.options, self.submitted)
        if final is not None:
            findings.append(final)
        return findings
