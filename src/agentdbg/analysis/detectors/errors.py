"""Errors: tool exceptions, API errors, exceptions that ended the run, steps that never ended, and runs
without a final answer (a terminal tool call, e.g. structured output, counts as one)."""

from __future__ import annotations

import re

from agentdbg.analysis.calls import RunFacts, tool_view
from agentdbg.analysis.detectors.context import is_overflow_error
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.model.run_end import RUN_ERROR, declared_final_tools, is_terminal_call
from agentdbg.model.span import Span

_MAX_STEPS = re.compile(
    r"max(imum)?[ _-]?(steps|turns|iterations)|recursion limit|step limit|too many (steps|turns|iterations)",
    re.IGNORECASE,
)
_LIMIT_KEYS = ("max_steps", "max_turns", "max_iterations", "step_limit")
_RETRYABLE = {408, 409, 429, 500, 502, 503, 504, 529}


def _api_fix(span: Span) -> str:
    status = span.error.status_code if span.error else None
    if status in (401, 403):
        return "Check the API key and its permissions (the key itself is never stored in the trace)."
    if status in _RETRYABLE:
        return "A transient provider error: retry with backoff (the SDK's max_retries), and handle the failure in the agent loop."
    if status == 400 or status == 422:
        return "The provider rejected the request: read the error body, fix the request (replay with a patch to try it)."
    return "Handle API failures in the agent loop (retry, fall back, or stop with a clear message)."


def stale_spans(facts: RunFacts) -> set[str]:
    """In a fork, recorded spans that enclose re-run steps: their end (output, error) is the original run's."""
    if facts.trace.header.fork_of is None:
        return set()
    stale: set[str] = set()
    by_id = facts.trace.by_id
    for span in facts.trace.spans:
        if span.origin in (None, "recorded"):
            continue
        cursor = span.parent_id
        while cursor is not None and cursor in by_id and cursor not in stale:
            if by_id[cursor].origin in (None, "recorded"):
                stale.add(cursor)
            cursor = by_id[cursor].parent_id
    return stale


def _span_error(span: Span, trace_spans: list[Span]) -> Finding | None:
    error = span.error
    if error is None or is_overflow_error(error):  # overflow: reported by the context detector
        return None
    status = f" (HTTP {error.status_code})" if error.status_code else ""
    if span.kind == "llm":
        recovered = error.status_code in _RETRYABLE and any(
            other.kind == "llm"
            and other.step > span.step
            and other.status == "ok"
            and other.parent_id == span.parent_id
            for other in trace_spans
        )
        return Finding(
            severity="warning" if recovered else "error",
            pattern="error",
            step=span.step,
            span_id=span.id,
            title=f"API error{status}" + (", retried" if recovered else ""),
            evidence=f"{error.type}: {snippet(error.message, 200)}{status}",
            fix=_api_fix(span),
            details={"kind": "api", "type": error.type, "status_code": error.status_code},
        )
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
    tool = tool_view(span)
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


def _open_ancestors(facts: RunFacts, span: Span) -> list[str]:
    found: list[str] = []
    cursor = span.parent_id
    while cursor is not None and cursor in facts.trace.by_id and len(found) < 50:
        parent = facts.trace.by_id[cursor]
        if not parent.ended:
            found.append(parent.address)
        cursor = parent.parent_id
    return found


def _incomplete(facts: RunFacts) -> list[Finding]:
    by_id = facts.trace.by_id
    findings = []
    for span in facts.trace.spans:
        if span.ended or any(not by_id[child].ended for child in span.children if child in by_id):
            continue  # ended, or an open parent of an open child: the child is where it stopped
        parents = _open_ancestors(facts, span)
        findings.append(
            Finding(
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
        )
    return findings


def _final_answer(facts: RunFacts, current: list[Span], options: DiagnoseOptions) -> Finding | None:
    steps = facts.llm_steps()
    if not steps:
        return None
    span, view = steps[-1]
    limit = next(
        (
            facts.trace.header.metadata.get(key)
            for key in _LIMIT_KEYS
            if isinstance(facts.trace.header.metadata.get(key), int)
        ),
        None,
    )
    hit_limit = (limit is not None and len(steps) >= limit) or any(
        other.error is not None and _MAX_STEPS.search(f"{other.error.type} {other.error.message}")
        for other in current
    )
    declared = declared_final_tools(facts.trace.header.metadata, options.final_tools)
    terminal = bool(view.tool_calls) and any(
        is_terminal_call(call.name, view.request, declared) for call in view.tool_calls
    )
    has_answer = span.ended and span.error is None and (
        terminal or (bool(view.answer_text.strip()) and not view.tool_calls)
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


def detect(facts: RunFacts, options: DiagnoseOptions) -> list[Finding]:
    stale = stale_spans(facts)
    current = [span for span in facts.trace.spans if span.id not in stale]
    findings = [finding for span in current if (finding := _span_error(span, facts.trace.spans))]
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
                evidence=snippet(event.result_text, 200),
                fix="Make the error say what to change (argument, format, retry later); check the model recovers at the next step.",
                details={"kind": "tool-result"},
            )
        )
    findings.extend(finding for finding in _incomplete(facts) if finding.span_id not in stale)
    final = _final_answer(facts, current, options)
    if final is not None:
        findings.append(final)
    return findings
