"""``agentdbg mcp``: the Model Context Protocol server (stdio) over the same library the CLI uses.

Built on the official ``mcp`` SDK (``agentdbg[mcp]``). Each tool is a thin call into ``Queries``; an
``AgentdbgError`` comes back as a tool error with the CLI's one-line message, anything else as the SDK's
generic error (no traceback reaches the client).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from agentdbg.errors import AgentdbgError
from agentdbg.mcp_server.queries import DEFAULT_PAGE, DEFAULT_TEXT_CHARS, MAX_PAGE, Queries
from agentdbg.mcp_server.roots import Roots

INSTRUCTIONS = (
    "agentdbg reads AI-agent run traces (agentdbg JSONL, Claude Code, Codex, SWE-agent, inspect, OTLP, "
    "Langfuse, cassettes and more). Start with trace_summary, page with list_steps, read a step with get_step, "
    "find failure patterns with diagnose. To test a fix: show_document gives a step's editable document, "
    "replay forks the run there with a JSON Patch (dry run unless dry_run is false). Steps are step-N."
)

Path = Annotated[str, Field(description="A trace file, absolute or relative to the server's first root.")]
Step = Annotated[str, Field(description="A step address: step-N or N (replay also takes first-llm, last-llm, first-error, tool:NAME).")]


def _tool_errors(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn ``AgentdbgError`` into the SDK's ``ToolError`` with the CLI's message (and hint)."""
    from mcp.server.mcpserver.exceptions import ToolError

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return function(*args, **kwargs)
        except AgentdbgError as exc:
            message = exc.message if not exc.hint else f"{exc.message} (hint: {exc.hint})"
            raise ToolError(message) from exc

    return wrapper


def build_server(roots: Roots) -> Any:
    """The ``MCPServer`` with every agentdbg tool registered (not yet running)."""
    from mcp.server.mcpserver import MCPServer

    from agentdbg import __version__

    queries = Queries(roots)
    server = MCPServer("agentdbg", instructions=INSTRUCTIONS, version=__version__)

    @server.tool(description="Header, step counts by kind, token and time totals, errors and the file's format.")
    @_tool_errors
    def trace_summary(path: Path) -> dict[str, Any]:
        return queries.trace_summary(path)

    @server.tool(
        description="One line per step (address, kind, name, status, depth, tokens, seconds, error), "
        f"filtered by kind/status/name substring, paginated (limit ≤ {MAX_PAGE}; next_offset when more)."
    )
    @_tool_errors
    def list_steps(
        path: Path,
        kind: Annotated[str | None, Field(description="llm, tool, retrieval, agent or custom")] = None,
        status: Annotated[str | None, Field(description="ok, error or incomplete")] = None,
        name: Annotated[str | None, Field(description="Substring of the step name (case-insensitive)")] = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE,
    ) -> dict[str, Any]:
        return queries.list_steps(path, kind, status, name, offset, limit)

    @server.tool(
        description="One step whole: the prompt by role, tool calls with arguments, tool results, the response, "
        "usage and error. Texts longer than max_chars are cut with a marker; max_chars=0 returns everything."
    )
    @_tool_errors
    def get_step(
        path: Path,
        step: Step,
        parts: Annotated[
            list[str] | None,
            Field(description="Any of prompt, response, tool, usage, error, raw (default: all but raw)"),
        ] = None,
        max_chars: int = DEFAULT_TEXT_CHARS,
    ) -> dict[str, Any]:
        return queries.get_step(path, step, parts, max_chars)

    @server.tool(
        description="Failure patterns (tool-call loops, schema-invalid arguments, unknown or wrong tools, context "
        "overflow, truncated history, irrelevant retrieval, errors), each at the step where it starts, with a fix."
    )
    @_tool_errors
    def diagnose(path: Path) -> dict[str, Any]:
        return queries.diagnose(path)

    @server.tool(
        description="The editable document of a step, which a replay patch edits: {model, params, system, "
        "messages, tools} for an llm step, {name, arguments, result} for a tool step."
    )
    @_tool_errors
    def show_document(path: Path, step: Step) -> dict[str, Any]:
        return queries.show_document(path, step)

    @server.tool(
        description="Fork the run at from_step with a patch (an RFC 6902 JSON Patch list or an RFC 7396 merge "
        "patch object on show_document's document) and re-run it against the model. dry_run (default true) "
        "sends nothing and returns the exact request; with dry_run false the fork is written beside the trace "
        "and the result gives where it diverged and the new final answer. Keys come from the server's environment."
    )
    @_tool_errors
    def replay(
        path: Path,
        from_step: Step,
        patch: Annotated[Any, Field(description="JSON Patch list or merge-patch object")] = None,
        base_url: Annotated[str | None, Field(description="Any server speaking the recorded API")] = None,
        max_steps: int = 20,
        dry_run: bool = True,
    ) -> dict[str, Any]:
        return queries.replay(path, from_step, patch, base_url, max_steps, dry_run)

    @server.tool(description="Compare two runs (typically an original and its fork): first divergence, both final answers, totals.")
    @_tool_errors
    def diff(a: Path, b: Path) -> dict[str, Any]:
        return queries.diff(a, b)

    @server.tool(
        description="Find traces under a directory where a step calls a tool (glob), errors, has a finding "
        "pattern, contains text, or used a model."
    )
    @_tool_errors
    def search(
        directory: Annotated[str, Field(description="A directory under the server's roots")],
        tool: str | None = None,
        error: bool = False,
        finding: str | None = None,
        text: str | None = None,
        model: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        return queries.search(directory, tool, error, finding, text, model, limit)

    @server.tool(
        description="Ask a model (key from the server's environment) for the root cause and candidate fixes as "
        "replay patches. Fails with a clear message when no key is set; diagnose works offline."
    )
    @_tool_errors
    def explain(path: Path) -> dict[str, Any]:
        return queries.explain(path)

    return server


def serve(directories: list[str] | None) -> None:
    """Run the server on stdio until the client disconnects."""
    build_server(Roots.of(directories)).run("stdio")


__all__ = ["INSTRUCTIONS", "build_server", "serve"]
