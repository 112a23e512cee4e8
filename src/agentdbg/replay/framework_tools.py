"""Framework tool objects as plain replay tools: ``f(**arguments) -> result`` (sync, results as sent).

``--tools`` takes what an agent already has: plain functions (sync or async) and
the tool objects of openai-agents (``FunctionTool``), LangChain (``BaseTool``,
``StructuredTool``), llama-index (``FunctionTool`` and other ``BaseTool``s),
pydantic-ai (``Tool``) and smolagents (``Tool``). Each is recognised by its
public methods (duck typing: no framework is imported here) and invoked the way
its framework invokes it, so the model sees the same text: a llama-index
``ToolOutput`` becomes its ``content`` string, not a JSON-quoted copy.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable
from typing import Any


def resolve_awaitable(value: Any) -> Any:
    """``value``, awaited when it is awaitable (in a fresh event loop; a thread of its own if one runs here)."""
    if not inspect.isawaitable(value):
        return value

    async def wait() -> Any:
        return await value

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(wait())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="agentdbg-replay-tool")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _call(function: Callable[..., Any], arguments: Any) -> Any:
    if isinstance(arguments, dict):
        return resolve_awaitable(function(**arguments))
    return resolve_awaitable(function(arguments))


def _openai_agents(tool: Any) -> Callable[..., Any]:
    """openai-agents ``FunctionTool``: ``on_invoke_tool(ToolContext, json_arguments)``, as its runner calls it."""

    def run(**arguments: Any) -> Any:
        # the user's own framework: present, since they passed its tool
        from agents.tool_context import ToolContext

        text = json.dumps(arguments)
        context = ToolContext(
            context=None, tool_name=tool.name, tool_call_id="agentdbg-replay", tool_arguments=text
        )
        return resolve_awaitable(tool.on_invoke_tool(context, text))

    return run


def _llama_index(tool: Any) -> Callable[..., Any]:
    """llama-index tools: ``call``/``acall`` give a ``ToolOutput``; the model gets its ``content``."""

    def run(**arguments: Any) -> Any:
        output = (
            resolve_awaitable(tool.acall(**arguments)) if _prefers_async(tool) else tool.call(**arguments)
        )
        content = getattr(output, "content", output)
        return content if isinstance(content, str) else str(content)

    return run


def _prefers_async(tool: Any) -> bool:
    """A llama-index tool built from an async function only (its sync ``call`` would fail)."""
    return callable(getattr(tool, "acall", None)) and getattr(tool, "fn", True) is None


def _langchain(tool: Any) -> Callable[..., Any]:
    """LangChain ``BaseTool``: ``invoke(dict)``, or ``ainvoke`` for a coroutine-only ``StructuredTool``."""

    def run(**arguments: Any) -> Any:
        coroutine_only = getattr(tool, "coroutine", None) is not None and getattr(tool, "func", None) is None
        output = resolve_awaitable(tool.ainvoke(arguments)) if coroutine_only else tool.invoke(arguments)
        content = getattr(output, "content", None)  # a ToolMessage when the tool returns one
        return content if isinstance(content, str) else output

    return run


def _pydantic_ai(tool: Any) -> Callable[..., Any]:
    """pydantic-ai ``Tool``: its ``function`` (a ``RunContext`` first argument gets ``None`` in a replay)."""

    def run(**arguments: Any) -> Any:
        if getattr(tool, "takes_ctx", False):
            return resolve_awaitable(tool.function(None, **arguments))
        return resolve_awaitable(tool.function(**arguments))

    return run


def as_tool_function(value: Any) -> Callable[..., Any] | None:
    """A plain synchronous ``f(**arguments)`` for a function or framework tool object; ``None`` if it is neither."""
    if callable(getattr(value, "on_invoke_tool", None)) and isinstance(getattr(value, "name", None), str):
        return _openai_agents(value)
    if callable(getattr(value, "call", None)) and getattr(getattr(value, "metadata", None), "name", None):
        return _llama_index(value)
    if callable(getattr(value, "invoke", None)) and callable(getattr(value, "ainvoke", None)):
        return _langchain(value)
    if callable(getattr(value, "function", None)) and hasattr(value, "takes_ctx"):
        return _pydantic_ai(value)
    if callable(value):  # plain functions, smolagents Tool (its __call__ validates and runs forward)
        return lambda *args, **kwargs: resolve_awaitable(value(*args, **kwargs))
    return None


__all__ = ["as_tool_function", "resolve_awaitable"]
