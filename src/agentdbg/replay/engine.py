"""The fork-and-rerun engine: copy steps before the fork, send the patched request, run the tool loop, write the fork."""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentdbg.errors import PatchError, ReplayError
from agentdbg.model.records import ErrorInfo
from agentdbg.model.run_end import declared_final_tools, is_terminal_call
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.providers import ToolCall, ToolResult, adapter_for, result_text
from agentdbg.providers.convert import convert_request
from agentdbg.replay.divergence import first_divergence
from agentdbg.replay.errors import OutputExistsError, ReplayInputError
from agentdbg.replay.forkwriter import ForkWriter, StepCallback
from agentdbg.replay.options import ReplayOptions, ToolsArg
from agentdbg.replay.patches import TEMPLATE_PLACEHOLDER, combine
from agentdbg.replay.plan import StartPlan, plan_start
from agentdbg.replay.result import (
    NeededTool,
    ReplayResult,
    StepSummary,
    default_fork_path,
    span_signature,
)
from agentdbg.replay.selectors import select_step
from agentdbg.replay.sent_headers import limit_sent_headers
from agentdbg.replay.tools import NEEDS_TOOL_RESULT, ToolResolver, load_tools, tools_from_value
from agentdbg.secrets import clean_url


def load_source(trace: Trace | str | os.PathLike[str]) -> Trace:
    """A ``Trace`` from a path (any supported format) or as given."""
    if isinstance(trace, Trace):
        return trace
    from agentdbg.importers import open_trace

    return open_trace(str(trace))


def _public_url(url: str | None) -> str | None:
    """``url`` fit to be written down (the one rule: ``secrets.clean_url``)."""
    return clean_url(url) or None


def resolve_output(trace: Trace, output: str | os.PathLike[str] | None, force: bool) -> Path:
    """The fork's path; refuses to overwrite a file without ``force``, and the source always."""
    path = Path(output) if output is not None else default_fork_path(trace.source)
    if path is None:
        raise ReplayInputError("the trace has no file path, so the fork needs an explicit output path (-o)")
    if trace.source and path.resolve() == Path(trace.source).resolve():
        raise OutputExistsError(f"{path} is the trace being replayed; write the fork elsewhere (-o)")
    if path.exists() and not force:
        raise OutputExistsError(f"{path} already exists; pass --force to overwrite it, or choose another -o")
    return path


def _tool_functions(tools: ToolsArg) -> dict[str, Callable[..., Any]]:
    if tools is None:
        return {}
    if isinstance(tools, str):
        return load_tools(tools)
    return tools_from_value(tools)


def _check_sequence(plan: StartPlan, request: dict[str, Any]) -> None:
    problems = plan.adapter.sequence_problems(request)
    if problems:
        listed = "; ".join(f"item {p.index}: {p.reason}" for p in problems[:5])
        raise PatchError(
            f"the request from {plan.span.address} is not a valid {plan.api} message sequence: {listed}",
            hint="every tool call needs its result right after it, and every result needs its call",
        )


class _Run:
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


def _write_template(run: _Run, fork_path: Path) -> None:
    span, call = run.needed[0]
    stem = fork_path.name[: -len(".jsonl")] if fork_path.name.endswith(".jsonl") else fork_path.stem
    template = fork_path.with_name(f"{stem}.{span.address}.patch.json")
    ops = [
        {"op": "test", "path": "/name", "value": call.name},
        {"op": "replace", "path": "/result", "value": TEMPLATE_PLACEHOLDER},
    ]
    template.write_text(json.dumps(ops, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    run.result.needs = NeededTool(
        step=span.address,
        name=call.name,
        arguments=call.arguments,
        call_id=call.call_id,
        template=str(template),
        resume=shlex.join(
            ["agentdbg", "replay", str(fork_path), "--from", span.address, "--patch", str(template)]
        ),
    )


def span_signature_text(span: Span) -> str:
    """The final text of an llm step's answer."""
    view = span.llm
    return view.answer_text if view is not None else ""


def _finish(run: _Run, trace: Trace, fork_step: int) -> None:
    """Old vs new final answer, divergence and the step list."""
    result = run.result
    parent = run.plan.parent_id
    same_loop = [s for s in trace.llm_spans if s.parent_id == parent] or trace.llm_spans
    result.old_answer = span_signature_text(same_loop[-1]) if same_loop else None
    keep = ("llm", "tool")
    original = [
        s
        for s in trace.spans[fork_step - 1 :]
        if s.kind in keep and s.parent_id == parent  # the loop being replayed, not other agents'
    ]
    forked = [s for s in run.writer.spans[fork_step - 1 :] if s.kind in keep]
    result.signatures = [span_signature(s) for s in forked]
    found = first_divergence(  # the one definition (replay/divergence.py); this loop builds its own requests
        original, forked, requests=False, edited_result=run.plan.patched_tool is not None
    )
    if found is not None:
        index, result.divergence = found
        result.divergence_step = (
            forked[index].address if index < len(forked) else f"step-{fork_step + len(forked)}"
        )
    result.steps.extend(StepSummary.of(span) for span in run.writer.spans[fork_step - 1 :])


def _continue_turn(plan: StartPlan, results: list[ToolResult]) -> dict[str, Any]:
    """The request after the producer's turn and its results, in the API the fork sends to."""
    assert plan.resume is not None
    source = adapter_for(plan.source_api or plan.api)
    following = source.append_turn(plan.resume.request, plan.resume.response, results)
    if source.api != plan.api:
        following = convert_request(following, source.api, plan.api, str(plan.resume.request.get("model")))
    return following


def _dry_request(plan: StartPlan, resolver: ToolResolver) -> dict[str, Any]:
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
    request, _ = plan.adapter.prepare(_continue_turn(plan, results))
    return request


def replay(
    trace: Trace | str | os.PathLike[str],
    start: str,
    *,
    patch: Any = None,
    sets: Sequence[str] = (),
    output: str | os.PathLike[str] | None = None,
    force: bool = False,
    model: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    tools: ToolsArg = None,
    final_tools: Sequence[str] = (),
    max_steps: int = 20,
    dry_run: bool = False,
    max_retries: int = 2,
    on_step: StepCallback | None = None,
    options: ReplayOptions | None = None,
    keep_recorded_headers: bool = False,
) -> ReplayResult:
    """Fork ``trace`` at ``start`` with ``patch`` applied and re-run it against the model.

    The one entry point of the built-in engine: ``verify``, ``explain --verify``, the TUI and the
    MCP server call it with ``options`` (a typed ``ReplayOptions``); the keywords ``model`` …
    ``max_retries`` are the same fields for one-off calls, and mixing the two is an error.

    Args:
        trace: A ``Trace`` or a path to one.
        start: ``step-N``, ``N``, ``first-llm``, ``last-llm``, ``first-error``, ``tool:NAME`` or ``tool:NAME#k``.
        patch: RFC 6902 JSON Patch (list) or RFC 7396 merge patch (object) for the step's document.
        sets: ``PATH=JSON`` one-off edits applied after ``patch``.
        output: The fork's path (default ``<trace>.fork.jsonl``); never overwritten unless ``force``.
        model, provider, base_url: Overrides of the recorded ones (``provider`` must match the recorded API).
        tools: ``"module:attr"``, a dict name→function, a list of functions or framework tool objects,
            for tool calls not in the trace.
        final_tools: Tools whose call ends the run as its answer, besides the known framework ones
            (``final_result*``, ``final_answer``, a tool forced by ``tool_choice``) and the trace's header hint.
        max_steps: The most llm calls the fork may make (status ``max-steps`` when reached).
        dry_run: Send nothing; ``result.request`` holds the exact first request.
        max_retries: SDK retries on 408/409/429/5xx.
        on_step: Called with each new step as it ends (progress for UIs).
        options: How the fork is run, as one value (instead of ``model`` … ``max_retries``).
        keep_recorded_headers: Send recorded ``extra_headers`` / ``extra_query`` (dropped by default, noted).

    Returns:
        A ``ReplayResult``; ``status`` is ``finished``, ``needs-tool-result``, ``max-steps``, ``errored`` or ``dry-run``.

    Raises:
        StepNotFoundError, PatchError, ReplayError (incl. MissingApiKeyError), OutputExistsError.
    """
    started = time.perf_counter()
    keywords = ReplayOptions(
        model=model,
        provider=provider,
        base_url=base_url,
        tools=tools,
        final_tools=tuple(final_tools),
        max_steps=max_steps,
        max_retries=max_retries,
        keep_recorded_headers=keep_recorded_headers,
    )
    if options is not None and keywords != ReplayOptions():
        raise ReplayInputError("pass the replay settings either as options=ReplayOptions(...) or as keywords")
    options = options or keywords
    model, provider, base_url, tools = options.model, options.provider, options.base_url, options.tools
    final_tools, max_steps, max_retries = options.final_tools, options.max_steps, options.max_retries
    if max_steps < 1:
        raise ReplayInputError(f"--max-steps must be at least 1 (got {max_steps})")
    source = load_source(trace)
    span = select_step(source, start)
    combined = combine(patch, list(sets))
    plan = plan_start(source, span, combined, model=model, provider=provider)
    limit_sent_headers(plan, options.keep_recorded_headers)  # a trace never picks headers sent with your key
    resolver = ToolResolver(source, _tool_functions(tools))
    if plan.patched_tool is not None:
        resolver.remember(plan.patched_tool.name, plan.patched_tool.arguments, plan.patched_tool.result)
    if plan.request is not None:
        _check_sequence(plan, plan.request)
    if dry_run:
        dry_request = _dry_request(plan, resolver)
        return ReplayResult(
            status="dry-run",
            source=source.source,
            fork_step=span.address,
            api=plan.api,
            notes=plan.notes,
            request=dry_request,
        )
    fork_path = resolve_output(source, output, force)
    # MissingApiKeyError is raised here, before anything is written or sent.
    client = plan.adapter.build_client(base_url, max_retries=max_retries)
    writer = ForkWriter(fork_path, on_step)
    run = _Run(source, plan, resolver, writer, final_tools)
    try:
        writer.header(source, span.address, combined)
        writer.copy_before(source, span)
        request: dict[str, Any] | None = plan.request
        if plan.patched_tool is not None:
            tool = plan.patched_tool
            call = ToolCall(tool.call_id, tool.name, tool.arguments)
            run.tool_span(call, "patched", tool.result)
            for sibling in plan.cached_between:
                view = sibling.tool
                assert view is not None
                run.tool_span(ToolCall(view.call_id, view.name, view.arguments), "cached", view.result)
        if plan.resume is not None:
            known = dict(plan.resume.known)
            known[str(plan.patched_tool.call_id if plan.patched_tool else "")] = (
                plan.patched_tool.result if plan.patched_tool else None
            )
            results = run.answer_calls(plan.resume.calls, known)
            if not run.needed:
                request, _ = plan.adapter.prepare(_continue_turn(plan, results))
        if run.needed:
            run.result.status = "needs-tool-result"
        else:
            assert request is not None
            run.loop(client, request, max_steps, base_url)
        if run.needed:
            _write_template(run, fork_path)
    finally:
        failed = run.result.error if run.result.status == "errored" else None
        writer.close(ErrorInfo(type="ReplayError", message=failed) if failed else None)
    run.result.fork_path = str(fork_path)
    run.result.notes = plan.notes
    _finish(run, source, span.step)
    run.result.wall_seconds = time.perf_counter() - started
    return run.result
