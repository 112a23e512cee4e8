"""Tool-result resolution during replay: recorded results (``cached``), user functions (``live``), or none."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentdbg.model.trace import Trace
from agentdbg.providers.base import ToolCall, result_text
from agentdbg.replay.errors import ToolsSpecError
from agentdbg.replay.framework_tools import as_tool_function

NEEDS_TOOL_RESULT = "NeedsToolResult"


def canonical_arguments(arguments: Any) -> str:
    """A stable text form of tool arguments, so ``{"a":1,"b":2}`` equals ``{"b":2,"a":1}``."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    return json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=str)


def tool_name_of(function: Any) -> str:
    """The name a tool answers to: ``@agentdbg.tool(name=...)``, a framework tool's ``name``, else ``__name__``."""
    for attribute in ("agentdbg_tool_name", "tool_name", "name"):
        value = getattr(function, attribute, None)
        if isinstance(value, str) and value:
            return value
    metadata_name = getattr(getattr(function, "metadata", None), "name", None)  # llama-index tools
    if isinstance(metadata_name, str) and metadata_name:
        return metadata_name
    return str(getattr(function, "__name__", repr(function)))


def tools_from_value(value: Any, spec: str = "tools") -> dict[str, Callable[..., Any]]:
    """``{name: callable}`` from a dict, a list, or one tool: plain functions or framework tool objects.

    Every value is turned into a plain synchronous callable taking the call's arguments as keywords
    (``replay/framework_tools.py``): async functions are awaited, framework tools are invoked as their
    framework would, and what they return reaches the model as that framework sends it.

    Raises:
        ToolsSpecError: for anything else.
    """
    if isinstance(value, Mapping):
        tools = {str(name): as_tool_function(function) for name, function in value.items()}
        bad = [name for name, function in tools.items() if function is None]
        if bad:
            raise ToolsSpecError(
                f"{spec}: these entries are not callable: {', '.join(bad)} (nor framework tool objects)"
            )
        return {name: function for name, function in tools.items() if function is not None}
    single = None if isinstance(value, list | tuple) else as_tool_function(value)
    if single is not None:
        return {tool_name_of(value): single}
    if isinstance(value, list | tuple):
        found: dict[str, Callable[..., Any]] = {}
        for item in value:
            function = as_tool_function(item)
            if function is None:
                raise ToolsSpecError(f"{spec}: {item!r} in the list is neither callable nor a framework tool")
            found[tool_name_of(item)] = function
        return found
    raise ToolsSpecError(
        f"{spec} is a {type(value).__name__}; expected a dict name→tool, a list of tools, or one tool "
        "(functions, or openai-agents/LangChain/llama-index/pydantic-ai/smolagents tool objects)"
    )


def _import_file(path: str) -> Any:
    """A module from a ``.py`` file path (``--tools ./my_tools.py:TOOLS``)."""
    import importlib.util

    location = Path(path)
    if not location.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(f"agentdbg_user_tools_{location.stem}", location)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tools(spec: str) -> dict[str, Callable[..., Any]]:
    """Import ``module:attr`` or ``path/to/file.py:attr`` (the current directory is importable); its tools.

    Raises:
        ToolsSpecError: naming what failed.
    """
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name or not attribute:
        raise ToolsSpecError(f"--tools {spec!r}: expected module:attr, e.g. mypkg.tools:TOOLS")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = (
            _import_file(module_name) if module_name.endswith(".py") else importlib.import_module(module_name)
        )
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's module; report it
        raise ToolsSpecError(
            f"--tools {spec!r}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    if not hasattr(module, attribute):
        raise ToolsSpecError(f"--tools {spec!r}: module {module_name} has no attribute {attribute!r}")
    return tools_from_value(getattr(module, attribute), f"--tools {spec!r}")


@dataclass
class Resolution:
    """How one tool call was answered: ``cached`` or ``live``, the value, its text, whether it failed."""

    origin: str
    value: Any
    content: str
    is_error: bool = False
    error_type: str | None = None


def _call_key(name: str, arguments: Any) -> tuple[str, bytes]:
    """A recorded call's key: its name and a digest of its canonical arguments (arguments can be large)."""
    return name, hashlib.blake2b(canonical_arguments(arguments).encode(), digest_size=16).digest()


class ToolResolver:
    """Answers tool calls from the recorded trace first, then from user functions.

    It keeps, per distinct recorded call, only the id of the first step that answered it, and reads
    that step's result when a replayed call asks for it: a lazily read trace's tool results stay on
    disk, so memory grows with the number of distinct calls, not with the size of their results.
    """

    def __init__(self, trace: Trace, tools: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.tools = dict(tools or {})
        self._trace = trace
        self._recorded_at: dict[tuple[str, bytes], str] = {}  # call key -> the first step that answered it
        self._patched: dict[tuple[str, bytes], Any] = {}
        for span in trace.tool_spans:
            view = span.tool
            if view is None or not span.ended or span.error is not None:
                continue
            self._recorded_at.setdefault(_call_key(view.name, view.arguments), span.id)

    def remember(self, name: str, arguments: Any, result: Any) -> None:
        """Make ``result`` the recorded answer to ``name(arguments)`` (a patched tool step)."""
        self._patched[_call_key(name, arguments)] = result

    def _recorded(self, name: str, arguments: Any) -> tuple[bool, Any]:
        key = _call_key(name, arguments)
        if key in self._patched:
            return True, self._patched[key]
        span_id = self._recorded_at.get(key)
        view = self._trace.by_id[span_id].tool if span_id is not None else None
        if view is None or canonical_arguments(view.arguments) != canonical_arguments(arguments):
            return False, None  # not recorded (or, against all odds, a digest collision)
        return True, view.result

    def resolve(self, call: ToolCall) -> Resolution | None:
        """The answer to ``call``, or ``None`` when neither the trace nor ``--tools`` has one."""
        found, value = self._recorded(
            call.name, call.arguments if call.arguments_raw is None else call.arguments_raw
        )
        if found:
            return Resolution("cached", value, result_text(value))
        function = self.tools.get(call.name)
        if function is None:
            return None
        try:
            value = (
                function(**call.arguments) if isinstance(call.arguments, dict) else function(call.arguments)
            )
        except Exception as exc:  # noqa: BLE001 - a failing tool is answered to the model, as agents do
            message = f"Error: {type(exc).__name__}: {exc}"
            return Resolution("live", message, message, is_error=True, error_type=type(exc).__name__)
        return Resolution("live", value, result_text(value))
