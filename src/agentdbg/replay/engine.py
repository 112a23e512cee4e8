"""The fork-and-rerun engine: copy steps before the fork, send the patched request, run the tool loop, write the fork.

``replay()`` is the one entry point; the run itself is ``run.ForkRun``, its result ``outcome.finish``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agentdbg.errors import PatchError
from agentdbg.model.records import ErrorInfo
from agentdbg.model.trace import Trace
from agentdbg.providers import ToolCall
from agentdbg.replay.errors import OutputExistsError, ReplayInputError
from agentdbg.replay.forkwriter import ForkWriter, StepCallback
from agentdbg.replay.options import ReplayOptions, ToolsArg
from agentdbg.replay.outcome import finish, write_template
from agentdbg.replay.patches import combine
from agentdbg.replay.plan import StartPlan, plan_start
from agentdbg.replay.result import (
    ReplayResult,
    default_fork_path,
)
from agentdbg.replay.run import ForkRun, continue_turn, first_request
from agentdbg.replay.selectors import select_step
from agentdbg.replay.sent_headers import limit_sent_headers
from agentdbg.replay.tools import ToolResolver, load_tools, tools_from_value


def load_source(trace: Trace | str | os.PathLike[str]) -> Trace:
    """A ``Trace`` from a path (any supported format) or as given."""
    if isinstance(trace, Trace):
        return trace
    from agentdbg.importers import open_trace

    return open_trace(str(trace))


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
        dry_request = first_request(plan, resolver)
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
    run = ForkRun(source, plan, resolver, writer, final_tools)
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
                request, _ = plan.adapter.prepare(continue_turn(plan, results))
        if run.needed:
            run.result.status = "needs-tool-result"
        else:
            assert request is not None
            run.loop(client, request, max_steps, base_url)
        if run.needed:
            write_template(run, fork_path)
    finally:
        failed = run.result.error if run.result.status == "errored" else None
        writer.close(ErrorInfo(type="ReplayError", message=failed) if failed else None)
    run.result.fork_path = str(fork_path)
    run.result.notes = plan.notes
    finish(run, source, span.step)
    run.result.wall_seconds = time.perf_counter() - started
    return run.result
