"""One built-in replay in progress (``ForkRun``): new steps written as they end, the standard tool-calling
loop through the provider adapter, tool calls answered from the record, the user's tools or noted as
needed; and the request that continues a turn whose tool results were patched or cached."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agentdbg.errors import ReplayError
from agentdbg.model.records import ErrorInfo
from agentdbg.model.run_end import declared_final_tools, is_terminal_call
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.providers import ToolCall, ToolResult, adapter_for, result_text
from agentdbg.providers.convert import convert_request
from agentdbg.replay.forkwriter import ForkWriter
from agentdbg.replay.plan import StartPlan
from agentdbg.replay.result import ReplayResult
from agentdbg.replay.tools import NEEDS_TOOL_RESULT, ToolResolver
from agentdbg.secrets import clean_url


def _public_url(url: str | None) -> str | None:
    """``url`` fit to be written down (the one rule: ``secrets.clean_url``)."""
    return clean_url(url) or None


class ForkRun:
    """One replay in progress: the plan, the resolver, the writer and the running tallies."""

    def __init__(
        self,
        trace: Trace,
        plan: StartPlan,
        resolver: ToolResolver,
        writer: ForkWriter,
        final_tools: Sequence[str] = (),
    ) -> None:
        self.trace = trace
        self.final_tools = declared_final_tools(trace.header.metadata, final_tools)
        self.plan = plan
        self.resolver = resolver
        self.writer = writer
        self.result = ReplayResult(
            status="finished", source=trace.source, fork_step=plan.span.address, api=plan.api
        )
        self.needed: list[tuple[Span, ToolCall]] = []
        recorded_name = next((s.name for s in trace.llm_spans if s.name), plan.api)
        self.llm_name = recorded_name if plan.source_api in ("", plan.api) else plan.api

    def tool_span(self, call: ToolCall, origin: str, value: Any, error: ErrorInfo | None = None) -> Span:
        span = self.writer.start(
            "tool",
            call.name,
            {"name": call.name, "arguments": call.arguments, "call_id": call.call_id},
            origin,
            self.plan.parent_id,
        )
        return self.writer.end(span, value, error=error)

    def answer_calls(self, calls: list[ToolCall], known: Mapping[str, Any] | None = None) -> list[ToolResult]:
        """Results for every call: known ones as they are, else cached, else live, else noted as needed."""
        results = []
        for call in calls:
            if known is not None and call.call_id is not None and call.call_id in known:
                results.append(ToolResult(call, result_text(known[call.call_id])))
                continue
            resolution = self.resolver.resolve(call)
            if resolution is None:
                message = f"no recorded result for {call.name}({json.dumps(call.arguments, default=str)}) and no --tools function"
                span = self.tool_span(call, "live", None, ErrorInfo(type=NEEDS_TOOL_RESULT, message=message))
                self.needed.append((span, call))
                continue
            error = (
                ErrorInfo(type=resolution.error_type or "ToolError", message=resolution.content)
                if resolution.is_error
                else None
            )
            self.tool_span(call, resolution.origin, resolution.value, error)
            results.append(ToolResult(call, resolution.content, resolution.is_error))
        return results

    def send(
        self, client: Any, request: dict[str, Any], origin: str, notes: list[str], base_url: str | None
    ) -> dict[str, Any] | None:
        """Send one request as a new llm step; the response dict, or ``None`` when the call failed."""
        attributes: dict[str, Any] = {"model": request.get("model"), "stream": False}
        if notes:
            attributes["replay_notes"] = notes
        if base_url:
            attributes["base_url"] = _public_url(base_url)
        data = {
            "provider": self.plan.adapter.provider,
            "api": self.plan.api.split(".", 1)[1],
            "request": request,
        }
        span = self.writer.start("llm", self.llm_name, data, origin, self.plan.parent_id, attributes)
        try:
            sent = self.plan.adapter.send(client, request)
        except Exception as exc:  # noqa: BLE001 - any SDK/HTTP failure becomes the step's error, as in capture
            error = ErrorInfo(
                type=type(exc).__name__,
                message=str(exc),
                status_code=getattr(exc, "status_code", None),
                body=getattr(exc, "body", None),
            )
            self.writer.end(span, None, error=error)
            self.result.status = "errored"
            self.result.error = f"{span.address}: {type(exc).__name__}: {exc}"
            return None
        attributes = {
            "finish_reason": self.plan.adapter.finish_reason(sent.response),
            "latency": sent.latency,
        }
        if sent.request_id:
            attributes["request_id"] = sent.request_id
        self.writer.end(span, sent.response, usage=sent.usage, attributes=attributes)
        self.result.llm_calls += 1
        self.result.model_seconds += sent.latency
        if sent.usage:
            self.result.input_tokens += sent.usage.input_tokens or 0
            self.result.output_tokens += sent.usage.output_tokens or 0
        self.result.new_answer = self.plan.adapter.final_text(sent.response)
        return sent.response

    def loop(self, client: Any, request: dict[str, Any], max_steps: int, base_url: str | None) -> None:
        """The standard tool-calling loop, until an answer without tool calls, a missing result or ``max_steps``."""
        origin, notes = self.plan.first_origin, self.plan.notes
        adapter = self.plan.adapter
        while True:
            if self.result.llm_calls >= max_steps:
                self.result.status = "max-steps"
                return
            problems = adapter.sequence_problems(request)
            if problems:
                raise ReplayError(f"replay built an invalid {self.plan.api} request: {problems[0].reason}")
            response = self.send(client, request, origin, notes, base_url)
            if response is None:
                return
            calls = adapter.tool_calls(response)
            if not calls:
                self.result.status = "finished"
                return
            final = next((c for c in calls if is_terminal_call(c.name, request, self.final_tools)), None)
            if final is not None:  # structured output / final answer: its arguments are the answer
                self.result.status = "finished"
                self.result.new_answer = (
                    final.arguments_raw
                    if final.arguments_raw is not None
                    else json.dumps(final.arguments, ensure_ascii=False, default=str)
                )
                return
            results = self.answer_calls(calls)
            if self.needed:
                self.result.status = "needs-tool-result"
                return
            request = adapter.append_turn(request, response, results)
            origin, notes = "live", []


def continue_turn(plan: StartPlan, results: list[ToolResult]) -> dict[str, Any]:
    """The request after the producer's turn and its results, in the API the fork sends to."""
    assert plan.resume is not None
    source = adapter_for(plan.source_api or plan.api)
    following = source.append_turn(plan.resume.request, plan.resume.response, results)
    if source.api != plan.api:
        following = convert_request(following, source.api, plan.api, str(plan.resume.request.get("model")))
    return following


def first_request(plan: StartPlan, resolver: ToolResolver) -> dict[str, Any]:
    """The first request the fork sends (what --dry-run shows), built without sending anything."""
    if plan.request is not None:
        return plan.request
    assert plan.resume is not None and plan.patched_tool is not None
    results = []
    for call in plan.resume.calls:
        if call.call_id == plan.patched_tool.call_id:
            results.append(ToolResult(call, result_text(plan.patched_tool.result)))
        elif call.call_id in plan.resume.known:
            results.append(ToolResult(call, result_text(plan.resume.known[call.call_id])))
        else:
            resolution = resolver.resolve(call) if call.name not in resolver.tools else None
            results.append(
                ToolResult(
                    call, resolution.content if resolution else f"(result of live/unresolved {call.name})"
                )
            )
    request, _ = plan.adapter.prepare(continue_turn(plan, results))
    return request
