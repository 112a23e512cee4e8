"""Where a fork starts: the patched step and the first request the replay will send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentdbg.errors import PatchError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES
from agentdbg.providers import ProviderAdapter, ToolCall, adapter_for, result_text
from agentdbg.providers.convert import convert_request
from agentdbg.replay.document import (
    document_request,
    rebuild_previous_responses,
    refuse_unknown_fields,
    request_document,
    span_api,
    span_request,
    step_document,
    tool_document,
)
from agentdbg.replay.errors import ReplayInputError
from agentdbg.replay.patches import TEMPLATE_PLACEHOLDER, apply_any, contains_placeholder


@dataclass
class PatchedTool:
    """A tool step whose result (and maybe arguments) the patch changed."""

    span: Span
    name: str
    arguments: Any
    result: Any
    call_id: str | None


@dataclass
class Resume:
    """A tool fork with no later llm step to edit: the next request is rebuilt from the step that made the call."""

    producer: Span
    request: dict[str, Any]
    response: dict[str, Any]
    calls: list[ToolCall]
    known: dict[str, Any]  # call id -> result already in the trace before the fork


@dataclass
class StartPlan:
    """Everything the engine needs to begin: the API, the patched documents and the first request."""

    span: Span
    api: str
    adapter: ProviderAdapter
    document: dict[str, Any]
    patched_document: dict[str, Any]
    request: dict[str, Any] | None = None
    first_origin: str = "patched"
    patched_tool: PatchedTool | None = None
    cached_between: list[Span] = field(default_factory=list)
    resume: Resume | None = None
    notes: list[str] = field(default_factory=list)
    parent_id: str | None = None
    source_api: str = ""  # the recorded API; differs from ``api`` under --provider


def _switch_provider(plan: StartPlan, provider: str | None, model: str | None) -> None:
    """Point the plan at another provider's API (``--provider``), translating the first request."""
    if not provider or provider == plan.adapter.provider:
        return
    target = {"anthropic": ANTHROPIC_MESSAGES, "openai": OPENAI_CHAT}.get(provider)
    if target is None:
        raise ReplayInputError(f"--provider {provider!r}: expected openai or anthropic")
    if not model:
        raise ReplayInputError(
            f"--provider {provider} needs --model: the recorded model is a {plan.adapter.provider} model",
            hint=f"e.g. --provider {provider} --model {'claude-sonnet-4-5' if provider == 'anthropic' else 'gpt-4o'}",
        )
    plan.source_api, plan.api, plan.adapter = plan.api, target, adapter_for(target)
    if plan.request is not None:
        plan.request = convert_request(plan.request, plan.source_api, target, model)
    plan.notes.append(
        f"converted from {plan.source_api} to {target} (text, tool calls and tool results carry over)"
    )


def _llm_plan(trace: Trace, span: Span, patch: Any, model: str | None) -> StartPlan:
    recorded = span_request(span)  # first: a step without a request says why, not "cannot replay API ''"
    api = span_api(span)
    adapter = adapter_for(api)
    document = step_document(trace, span)
    patched = apply_any(document, patch)
    if model:
        patched["model"] = model
    request = document_request(api, patched, recorded)
    request, notes = adapter.prepare({**request, "stream": recorded.get("stream")})
    if api == OPENAI_RESPONSES and recorded.get("previous_response_id"):
        notes.append(f"previous_response_id {recorded['previous_response_id']} rebuilt from recorded steps")
    if span.attributes.get("replay_note"):  # an importer rebuilt this request: say what it lacks
        notes.append(f"imported step: {span.attributes['replay_note']}")
    return StartPlan(
        span, api, adapter, document, patched, request, "patched", notes=notes, parent_id=span.parent_id
    )


def _producer(trace: Trace, span: Span, name: str, call_id: str | None) -> tuple[Span, ToolCall]:
    """The last llm step before ``span`` whose answer asked for this call."""
    for earlier in reversed(trace.select(lambda s: s.kind == "llm", stop=span.step - 1)):
        if not isinstance(earlier.output, dict):
            continue
        adapter = adapter_for(span_api(earlier))
        for call in adapter.tool_calls(earlier.output):
            if (call_id and call.call_id == call_id) or (not call_id and call.name == name):
                return earlier, call
    raise ReplayInputError(
        f"{span.address} ({name}) answers no tool call of an earlier llm step, so there is no model turn to continue",
        hint="fork from an llm step instead (--from last-llm)",
    )


def _tool_plan(trace: Trace, span: Span, patch: Any, model: str | None) -> StartPlan:
    document = tool_document(span)
    try:
        patched = apply_any(document, patch)
    except PatchError as exc:
        llm_before = next(reversed(trace.select(lambda s: s.kind == "llm", stop=span.step - 1)), None)
        where = f"; prompts, system and tools are edited at an llm step (the one before it: {llm_before.address})" if llm_before else ""
        raise PatchError(
            f"{span.address} is a tool step ({span.name}): its document is {{name, arguments, result}}. {exc.message}",
            hint=f"{exc.hint}{where}" if exc.hint else where.lstrip("; ") or None,
        ) from exc
    if not isinstance(patched, dict) or "result" not in patched:
        raise PatchError("the patched tool document must stay an object with name, arguments and result")
    refuse_unknown_fields(patched, document)
    if contains_placeholder(patched.get("result")):
        raise PatchError(
            f"the patch still holds the placeholder {TEMPLATE_PLACEHOLDER!r}: fill in the tool result first",
        )
    call_id = span.tool.call_id if span.tool else None
    producer, call = _producer(trace, span, str(document["name"]), call_id)
    call_id = call_id or call.call_id
    api = span_api(producer)
    adapter = adapter_for(api)
    tool = PatchedTool(
        span,
        str(patched.get("name") or document["name"]),
        patched.get("arguments"),
        patched["result"],
        call_id,
    )
    plan = StartPlan(
        span, api, adapter, document, patched, None, "live", patched_tool=tool, parent_id=producer.parent_id
    )
    content = result_text(tool.result)
    loop = (producer.parent_id, producer.id)  # not another agent's step (parallel sub-agents interleave)
    for later in trace.select(lambda s: s.parent_id in loop, start=span.step):  # tools may nest under their llm
        if later.kind == "tool":
            plan.cached_between.append(later)
            continue
        if later.kind != "llm" or span_api(later) != api:
            continue
        request = span_request(later)
        if api == OPENAI_RESPONSES:
            request = rebuild_previous_responses(trace, later, request)
        edited = adapter.replace_tool_result(request, call_id, content) if call_id else None
        if edited is None:
            break
        if patched.get("arguments") != document.get("arguments") and call_id:
            edited = adapter.replace_tool_arguments(edited, call_id, patched.get("arguments")) or edited
        if model:
            edited["model"] = model
        plan.request, plan.notes = adapter.prepare(edited)
        plan.notes.append(
            f"the patched result of {tool.name} replaces the recorded one in {later.address}'s request"
        )
        return plan
    plan.cached_between = []
    producer_request = span_request(producer)
    if api == OPENAI_RESPONSES:
        producer_request = rebuild_previous_responses(trace, producer, producer_request)
    if model:
        producer_request = {**producer_request, "model": model}
    known = {}
    for earlier in trace.select(lambda s: s.kind == "tool", start=producer.step, stop=span.step - 1):
        view = earlier.tool
        if view is not None and view.call_id and earlier.ended and earlier.error is None:
            known[view.call_id] = view.result
    assert isinstance(producer.output, dict)
    plan.resume = Resume(
        producer, producer_request, producer.output, adapter.tool_calls(producer.output), known
    )
    plan.notes.append(f"no later llm step saw this result; continuing the turn of {producer.address}")
    return plan


def plan_start(
    trace: Trace, span: Span, patch: Any, *, model: str | None = None, provider: str | None = None
) -> StartPlan:
    """The plan for forking ``trace`` at ``span`` with ``patch`` applied to its document.

    Raises:
        PatchError: the patch does not apply.
        ReplayInputError: the step cannot be replayed, or an override is not possible.
    """
    if span.kind == "llm":
        plan = _llm_plan(trace, span, patch, model)
    elif span.kind == "tool":
        plan = _tool_plan(trace, span, patch, model)
    else:
        step_document(trace, span)  # raises the clear error for other kinds
        raise AssertionError("unreachable")
    plan.source_api = plan.api
    _switch_provider(plan, provider, model)
    return plan


def request_from_document(api: str, document: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """Round trip helper for callers editing a document themselves (TUI): document → request."""
    return document_request(api, document, recorded)


__all__ = ["PatchedTool", "Resume", "StartPlan", "plan_start", "request_document", "request_from_document"]
