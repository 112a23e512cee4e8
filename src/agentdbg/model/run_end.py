"""How a run ends: a terminal tool call (the final answer), or an exception that escaped ``trace()``.

A terminal tool is a tool call that *is* the run's final answer (structured output, ``final_answer``).

Frameworks end a run by having the model call a tool whose arguments are the
answer: pydantic-ai's output tool (``final_result``, ``final_result_<Type>``),
smolagents' ``final_answer``, instructor's response model (the one tool the
request forces with ``tool_choice``). Users name others with
``agentdbg.trace(final_tools=[...])`` (kept in the header metadata) or
``--final-tool NAME``. Replay stops cleanly at such a call and ``diagnose``
counts it as the final answer; both ask ``is_terminal_call`` here. A coding agent's run that ends
by submitting (its agent step's ``exit_status``, ``submitted``) has its answer too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

RUN_ERROR = "run_error"  # attribute of the step ``trace()`` writes for an exception that escaped it
FINAL_TOOLS_KEY = "final_tools"  # in the trace header's metadata
KNOWN_FINAL_TOOLS = ("final_answer",)  # smolagents
KNOWN_FINAL_PREFIXES = ("final_result",)  # pydantic-ai: final_result, final_result_<OutputType>


EXIT_STATUS = "exit_status"  # attribute of an imported run's agent step: how the agent says the run ended


def submitted(attributes: Mapping[str, Any] | None) -> bool:
    """Whether an agent step says its run ended by submitting its result (SWE-agent's ``submitted``,
    ``submitted (exit_cost)``; mini-swe-agent's ``Submitted``): the submit action was the final answer."""
    status = (attributes or {}).get(EXIT_STATUS)
    return isinstance(status, str) and status.strip().lower().startswith("submitted")


def declared_final_tools(metadata: Mapping[str, Any] | None, extra: Iterable[str] = ()) -> frozenset[str]:
    """Tool names declared terminal by the trace header (``trace(final_tools=...)``) and by the caller."""
    declared = (metadata or {}).get(FINAL_TOOLS_KEY)
    names = [str(name) for name in declared] if isinstance(declared, list) else []
    return frozenset([*names, *extra])


def forced_tool(request: Any) -> str | None:
    """The one tool a request forces the model to call (``tool_choice`` naming it), else ``None``."""
    if not isinstance(request, Mapping):
        return None
    choice = request.get("tool_choice")
    if not isinstance(choice, Mapping):
        return None
    function = choice.get("function")
    if isinstance(function, Mapping) and function.get("name"):  # chat.completions
        return str(function["name"])
    if choice.get("type") in ("function", "tool") and choice.get("name"):  # responses / anthropic
        return str(choice["name"])
    return None


def is_terminal_call(name: str, request: Any = None, declared: Iterable[str] = ()) -> bool:
    """True when a call of tool ``name`` (answering ``request``) ends the run with its arguments as the answer."""
    if name in declared or name in KNOWN_FINAL_TOOLS:
        return True
    if any(name == prefix or name.startswith(prefix + "_") for prefix in KNOWN_FINAL_PREFIXES):
        return True
    return forced_tool(request) == name
