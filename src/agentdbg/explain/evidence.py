"""Gather what the model needs to explain a failure: findings, the broken step and the steps before it.

Each llm step is shown as its replay document (``{model, params, system, messages}``,
the same shape a fix patches) plus its answer; each tool step as ``{name, arguments,
result}``; the offered tool schemas come once, each with the JSON Pointer of its
description inside an llm document. Key-shaped strings are masked before anything
leaves the machine, and the whole is trimmed to a token budget.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentdbg.analysis import Finding
from agentdbg.capture.redact import map_strings
from agentdbg.errors import AgentdbgError, StepNotFoundError
from agentdbg.explain.budget import estimate_tokens, fit_to_budget
from agentdbg.model.apis import OPENAI_CHAT
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.replay import select_step, step_document
from agentdbg.secrets import mask_secrets

CONTEXT_STEPS = 3
DEFAULT_BUDGET_TOKENS = 12_000


class Evidence(BaseModel):
    """The facts sent to the model (``payload``) and how they were chosen and trimmed."""

    target_step: str
    target_reason: str
    window: list[str]
    payload: dict[str, Any]
    trimmed: list[str] = Field(default_factory=list)
    masked_secrets: int = 0
    budget_tokens: int
    estimated_tokens: int

    def prompt_json(self) -> str:
        """The evidence as the JSON text the model reads."""
        return json.dumps(self.payload, ensure_ascii=False, default=str)


def choose_target(trace: Trace, findings: list[Finding], step: str | None) -> tuple[Span, str]:
    """The broken step: ``step`` if given, else the first error/warning finding's, else the first failed step.

    Findings and failures on llm/tool steps come before those on agent groupings (which only echo them).
    Steps are chosen from their summaries (a trace read through the index loads only the one chosen).
    """
    if not trace.spans:
        raise AgentdbgError(f"{trace.source or 'the trace'} has no steps to explain")
    if step:
        try:
            return select_step(trace, step), f"chosen with --step {step}"
        except StepNotFoundError as exc:
            raise StepNotFoundError(exc.message.replace("--from", "--step", 1), hint=exc.hint) from None
    serious = [finding for finding in findings if finding.severity in ("error", "warning")]
    wanted = {finding.step for finding in serious}
    kind_of: dict[int, str] = {}
    first_failed: tuple[bool, int, str] | None = (
        None  # (an agent grouping, step, status) of the first failure
    )
    for summary in trace.summaries():
        if summary.step in wanted:
            kind_of[summary.step] = summary.kind
        if summary.status != "ok":
            failed = (summary.kind == "agent", summary.step, summary.status)
            first_failed = failed if first_failed is None else min(first_failed, failed)

    def kind(number: int) -> str:
        known = kind_of.get(number)
        return known if known is not None else trace.step(number).kind  # no such step: the reader's error

    # An agent grouping step only reports what failed inside it: prefer findings and failures on real steps.
    serious.sort(key=lambda finding: (kind(finding.step) == "agent", finding.step, -finding.rank))
    if serious:
        first = serious[0]
        return trace.step(first.step), f"first {first.severity} finding ({first.pattern}: {first.title})"
    if first_failed is not None:
        _, number, status = first_failed
        return trace.spans[number - 1], f"first step that {'failed' if status == 'error' else 'never ended'}"
    return trace.spans[-1], "no finding or failed step; the last step"


def _window(trace: Trace, target: Span) -> list[Span]:
    """The target and up to three steps before it (agent groupings skipped), with an llm step among them."""
    before: list[tuple[int, str]] = []  # (step, kind) of the steps before the target, agent groupings skipped
    for summary in trace.summaries():
        if summary.step >= target.step:
            break
        if summary.kind != "agent":
            before.append((summary.step, summary.kind))
    numbers = [number for number, _ in before[-CONTEXT_STEPS:]]
    if not any(kind == "llm" for _, kind in before[-CONTEXT_STEPS:]) and target.kind != "llm":
        earlier_llm = [number for number, kind in before[:-CONTEXT_STEPS] if kind == "llm"]
        if earlier_llm:
            numbers.insert(0, earlier_llm[-1])
    return [*(trace.spans[number - 1] for number in numbers), target]


def _error_text(span: Span) -> str | None:
    if span.error is not None:
        return f"{span.error.type or 'error'}: {span.error.message}"
    return None if span.ended else "the step never ended (incomplete)"


def _llm_step(trace: Trace, span: Span, shown: list[Any] | None) -> tuple[dict[str, Any], list[Any] | None]:
    """An llm step's document (messages after those already shown) and answer."""
    view = span.llm
    assert view is not None
    data: dict[str, Any] = {"api": view.api}
    messages: list[Any] | None = None
    try:
        document = step_document(trace, span)
    except AgentdbgError as exc:
        data["replayable"] = False
        data["not_replayable_because"] = exc.message
        data["prompt"] = [message.model_dump(exclude_defaults=True) for message in view.prompt]
    else:
        messages = list(document.get("messages") or [])
        start = 0
        if shown and len(shown) <= len(messages) and messages[: len(shown)] == shown:
            start = len(shown)
            data["messages_note"] = (
                f"/messages/0 … /messages/{start - 1} are the same as in the previous llm step shown; "
                f"the list below starts at /messages/{start}"
            )
        data["document"] = {
            "model": document.get("model"),
            "params": document.get("params"),
            "system": document.get("system"),
            "messages_start_index": start,
            "messages": messages[start:],
            "tools": f"{len(document.get('tools') or [])} tool(s), see tool_schemas",
        }
    data["answer"] = {
        "text": view.answer_text,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": call.arguments} for call in view.tool_calls
        ],
        "finish_reason": span.attributes.get("finish_reason") or _finish_reason(view.response),
    }
    if span.usage is not None:
        data["usage"] = span.usage.model_dump(exclude_none=True)
    return data, messages


def _finish_reason(response: Any) -> Any:
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0].get("finish_reason")
    return response.get("stop_reason") or response.get("status")


def _step_data(trace: Trace, span: Span, shown: list[Any] | None) -> tuple[dict[str, Any], list[Any] | None]:
    data: dict[str, Any] = {"step": span.address, "kind": span.kind, "name": span.name, "status": span.status}
    error = _error_text(span)
    if error:
        data["error"] = error
    if span.kind == "llm":
        llm_data, messages = _llm_step(trace, span, shown)
        data.update(llm_data)
        return data, messages if messages is not None else shown
    tool = span.tool
    if tool is not None:
        data["document"] = {"name": tool.name, "arguments": tool.arguments, "result": tool.result}
        data["call_id"] = tool.call_id
    else:
        data["input"], data["output"] = span.input, span.output
    return data, shown


def _description_path(api: str, index: int) -> str:
    return f"/tools/{index}/function/description" if api == OPENAI_CHAT else f"/tools/{index}/description"


def _tool_schemas(trace: Trace, target: Span) -> list[dict[str, Any]]:
    """The tools offered by the llm step at or nearest before the target (else the last llm step)."""
    chosen = last_llm = None
    for summary in trace.summaries():
        if summary.kind == "llm":
            last_llm = summary.step
            if summary.step <= target.step:
                chosen = summary.step
    number = chosen if chosen is not None else last_llm
    if number is None:
        return []
    span = trace.spans[number - 1]
    view = span.llm
    assert view is not None
    return [
        {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "description_path": _description_path(view.api, index),
            "offered_in": span.address,
        }
        for index, tool in enumerate(view.tools)
    ]


def _outcome(trace: Trace) -> dict[str, Any]:
    totals = trace.totals()
    last_llm = trace.llm_spans[-1] if trace.llm_spans else None
    last = trace.spans[-1] if trace.spans else None
    return {
        "final_answer": last_llm.llm.answer_text if last_llm is not None and last_llm.llm else None,
        "final_answer_step": last_llm.address if last_llm is not None else None,
        "last_step": f"{last.address} {last.kind} {last.name} {last.status}" if last is not None else None,
        "steps": totals["steps"],
        "failed_steps": totals["errors"],
        "incomplete_steps": totals["incomplete"],
        "input_tokens": totals["input_tokens"],
        "output_tokens": totals["output_tokens"],
    }


def _finding_data(finding: Finding) -> dict[str, Any]:
    data = finding.to_json()
    for key in ("details", "source", "span_id"):
        data.pop(key, None)
    return data


def _count_masks(value: Any) -> int:
    return json.dumps(value, ensure_ascii=False, default=str).count("[REDACTED]")


def gather_evidence(
    trace: Trace,
    findings: list[Finding],
    *,
    step: str | None = None,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
) -> Evidence:
    """The evidence for explaining ``trace``, trimmed to ``budget_tokens``.

    Raises:
        StepNotFoundError: ``step`` names no step.
    """
    target, reason = choose_target(trace, findings, step)
    window = _window(trace, target)
    steps = []
    shown: list[Any] | None = None
    for span in window:
        data, shown = _step_data(trace, span, shown)
        steps.append(data)
    payload: dict[str, Any] = {
        "trace": {
            "name": trace.header.name,
            "file": Path(trace.source).name if trace.source else None,
            "steps": len(trace.spans),
        },
        "target_step": target.address,
        "target_reason": reason,
        "findings": [_finding_data(finding) for finding in findings],
        "steps": steps,
        "tool_schemas": _tool_schemas(trace, target),
        "outcome": _outcome(trace),
    }
    before_masks = _count_masks(payload)
    payload = map_strings(payload, mask_secrets)
    masked = _count_masks(payload) - before_masks
    fitted, trimmed = fit_to_budget(payload, budget_tokens)
    if trimmed:
        fitted["trimmed"] = trimmed
    return Evidence(
        target_step=target.address,
        target_reason=reason,
        window=[span.address for span in window],
        payload=fitted,
        trimmed=trimmed,
        masked_secrets=masked,
        budget_tokens=budget_tokens,
        estimated_tokens=estimate_tokens(fitted),
    )


__all__ = ["CONTEXT_STEPS", "DEFAULT_BUDGET_TOKENS", "Evidence", "choose_target", "gather_evidence"]
