"""An openai-agents ``TracingProcessor`` that writes the SDK's native traces as an agentdbg trace file, live.

    from agents import add_trace_processor
    import agentdbg.integrations.openai_agents as agentdbg_agents

    add_trace_processor(agentdbg_agents.processor("traces/run.jsonl"))

Each SDK trace (one ``Runner.run``) is an ``agent`` step; agent, tool (function), handoff, guardrail and
custom spans are steps beneath it, written when they start and when they end. A model call (a
``response`` span, or ``generation`` for chat-completions models) is one ``llm`` step holding the
request rebuilt from what the SDK recorded (input items, instructions, tools and sampling parameters
of the Responses call), so it replays like a captured call. Key-shaped strings are masked as in capture.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import datetime
from typing import Any

from agentdbg.errors import ExtraMissingError

try:
    from agents.tracing import Span, Trace, TracingProcessor
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ExtraMissingError(
        "agentdbg.integrations.openai_agents needs the OpenAI Agents SDK", hint="pip install openai-agents"
    ) from missing

from agentdbg.importers._common import make_usage, maybe_json
from agentdbg.importers._genai_messages import to_chat_response
from agentdbg.model.records import ErrorInfo, TraceHeader
from agentdbg.store.writer import TraceWriter

__all__ = ["AgentdbgProcessor", "processor"]

_KINDS = {"function": "tool", "response": "llm", "generation": "llm", "agent": "agent", "mcp_tools": "tool"}
# Response fields that are request parameters of ``responses.create``
_RESPONSE_PARAMS = (
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "text",
    "reasoning",
    "truncation",
)


def _time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _plain(value: Any) -> Any:
    """An SDK object (pydantic model, list of them) as JSON-ready data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _canonical(arguments: Any) -> str:
    return json.dumps(maybe_json(arguments), sort_keys=True, default=str)


def _trace_id(value: str) -> str:
    return value.removeprefix("trace_")


def _name(span: Span[Any]) -> str:
    data = span.span_data
    for attribute in ("name", "model"):
        if getattr(data, attribute, None):
            return str(getattr(data, attribute))
    if data.type == "handoff":
        return f"handoff {getattr(data, 'from_agent', '')} -> {getattr(data, 'to_agent', '')}"
    return str(data.type)


def _response_llm(data: Any) -> tuple[dict[str, Any], Any, Any]:
    """A ``response`` span as (llm input, output, usage): the ``responses.create`` request rebuilt."""
    response = _plain(data.response) if data.response is not None else {}
    request: dict[str, Any] = {"model": response.get("model"), "input": _plain(data.input)}
    for key in _RESPONSE_PARAMS:
        if response.get(key) not in (None, [], {}):
            request[key] = response[key]
    usage = response.get("usage") or {}
    return (
        {"provider": "openai", "api": "responses", "request": request},
        response or None,
        make_usage(
            usage.get("input_tokens"),
            usage.get("output_tokens"),
            usage.get("total_tokens"),
            (usage.get("input_tokens_details") or {}).get("cached_tokens"),
            None,
            (usage.get("output_tokens_details") or {}).get("reasoning_tokens"),
        ),
    )


def _generation_llm(data: Any) -> tuple[dict[str, Any], Any, Any]:
    """A ``generation`` span (chat-completions models) as (llm input, output, usage)."""
    config = {k: v for k, v in (_plain(data.model_config) or {}).items() if v is not None and k != "base_url"}
    request = {"model": data.model, "messages": _plain(data.input) or [], **config}
    usage = data.usage or {}
    output = to_chat_response(_plain(data.output), data.model)
    return (
        {"provider": "openai", "api": "chat.completions", "request": request},
        output,
        make_usage(usage.get("input_tokens"), usage.get("output_tokens")),
    )


def _tool_input(data: Any) -> dict[str, Any]:
    if data.type == "mcp_tools":
        return {"name": "list_tools", "arguments": {"server": data.server}, "call_id": None}
    return {"name": str(data.name), "arguments": maybe_json(data.input), "call_id": None}


class AgentdbgProcessor(TracingProcessor):
    """Writes the openai-agents traces it receives to one agentdbg trace file (thread-safe).

    Args:
        path: the trace file (replaced when it exists); parent folders are created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._writer = TraceWriter(path, overwrite=True)
        self.path = self._writer.path
        self._lock = threading.Lock()
        self._header = False
        self._trace_steps: dict[str, str] = {}  # SDK trace id -> id of its agent step
        self._calls: dict[tuple[Any, str], Any] = {}  # (tool name, arguments) -> call id of the asking answer
        self.errors = 0

    def _write(self, record: dict[str, Any]) -> None:
        try:
            self._writer.write(record)
        except OSError as exc:  # the agent must not fail because its trace cannot be written
            self.errors += 1
            if self.errors == 1:
                sys.stderr.write(f"agentdbg: cannot write {self.path}: {exc.strerror or exc}\n")

    def on_trace_start(self, trace: Trace) -> None:
        step_id = trace.trace_id
        with self._lock:
            self._trace_steps[trace.trace_id] = step_id
            if not self._header:
                self._header = True
                header = TraceHeader(
                    trace_id=_trace_id(trace.trace_id),
                    name=trace.name,
                    metadata={"source": "openai-agents", **(_plain(getattr(trace, "metadata", None)) or {})},
                )
                self._write(header.model_dump(mode="json", exclude_none=True))
        started = datetime.now().timestamp()
        self._write(
            {
                "type": "span_start",
                "id": step_id,
                "parent_id": None,
                "kind": "agent",
                "name": trace.name,
                "started_at": started,
                "input": None,
                "attributes": {"openai_agents.trace_id": trace.trace_id},
            }
        )

    def on_trace_end(self, trace: Trace) -> None:
        with self._lock:
            step_id = self._trace_steps.pop(trace.trace_id, trace.trace_id)
        self._write({"type": "span_end", "id": step_id, "ended_at": datetime.now().timestamp()})

    def _parent(self, span: Span[Any]) -> str | None:
        return span.parent_id or self._trace_steps.get(span.trace_id)

    def on_span_start(self, span: Span[Any]) -> None:
        data = span.span_data
        kind = _KINDS.get(data.type, "custom")
        if kind in ("llm", "tool"):
            return  # written whole when it ends: its request (arguments) is only known then
        self._write(
            {
                "type": "span_start",
                "id": span.span_id,
                "parent_id": self._parent(span),
                "kind": kind,
                "name": _name(span),
                "started_at": _time(span.started_at) or datetime.now().timestamp(),
                "input": _tool_input(data) if kind == "tool" else None,
                "attributes": {"openai_agents.type": data.type},
            }
        )

    def on_span_end(self, span: Span[Any]) -> None:
        data = span.span_data
        kind = _KINDS.get(data.type, "custom")
        error = None
        if span.error:
            error = ErrorInfo(
                type=str(span.error.get("message") or "error").split(":")[0][:80],
                message=str(span.error.get("message") or ""),
                body=span.error.get("data"),
            )
        ended = _time(span.ended_at) or datetime.now().timestamp()
        if kind == "llm":
            step_input, output, usage = (
                _response_llm(data) if data.type == "response" else _generation_llm(data)
            )
            record: dict[str, Any] = {
                "type": "span",
                "id": span.span_id,
                "parent_id": self._parent(span),
                "kind": "llm",
                "name": _name(span)
                if data.type == "generation"
                else f"responses {step_input['request']['model']}",
                "started_at": _time(span.started_at) or ended,
                "ended_at": ended,
                "input": step_input,
                "output": output,
                "attributes": {"openai_agents.type": data.type},
            }
            self._remember_calls(output)
        elif kind == "tool":
            tool_input = _tool_input(data)
            tool_input["call_id"] = self._call_id(tool_input)
            record = {
                "type": "span",
                "id": span.span_id,
                "parent_id": self._parent(span),
                "kind": "tool",
                "name": tool_input["name"],
                "started_at": _time(span.started_at) or ended,
                "ended_at": ended,
                "input": tool_input,
                "output": maybe_json(_plain(getattr(data, "output", None) or getattr(data, "result", None))),
                "attributes": {"openai_agents.type": data.type},
            }
            usage = None
        else:
            exported = {k: v for k, v in _plain(data.export()).items() if k not in ("type", "input")}
            record = {"type": "span_end", "id": span.span_id, "ended_at": ended, "output": exported or None}
            usage = None
        if error is not None:
            record["error"] = error.model_dump(exclude_none=True)
        if usage is not None:
            record["usage"] = usage.model_dump(exclude_none=True)
        self._write(record)

    def _remember_calls(self, response: Any) -> None:
        """The function calls a model answer asked for, so the tool steps that run them get their call ids."""
        for item in (response or {}).get("output") or [] if isinstance(response, dict) else []:
            if isinstance(item, dict) and item.get("type") == "function_call":
                key = (item.get("name"), _canonical(item.get("arguments")))
                with self._lock:
                    self._calls[key] = item.get("call_id")

    def _call_id(self, tool_input: dict[str, Any]) -> Any:
        with self._lock:
            return self._calls.pop((tool_input["name"], _canonical(tool_input["arguments"])), None)

    def shutdown(self) -> None:
        self._writer.close()

    def force_flush(self) -> None:
        """Every record is written when it happens; nothing is buffered."""


def processor(path: str | os.PathLike[str]) -> AgentdbgProcessor:
    """A ``TracingProcessor`` writing the SDK's traces to ``path``; pass it to ``agents.add_trace_processor``."""
    return AgentdbgProcessor(path)
