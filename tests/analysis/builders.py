"""Build realistic traces for analysis tests: openai chat / anthropic messages requests and responses, written to real files."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentdbg.model.records import TraceHeader
from agentdbg.model.trace import Trace
from agentdbg.store import TraceWriter, read_trace


def tool_spec(
    name: str,
    description: str,
    properties: dict[str, Any] | None = None,
    required: list[str] | None = None,
    **schema: Any,
) -> dict[str, Any]:
    """A provider-neutral tool: name, description, JSON Schema of its parameters."""
    parameters: dict[str, Any] = {"type": "object", "properties": properties or {}, **schema}
    if required:
        parameters["required"] = required
    return {"name": name, "description": description, "parameters": parameters}


WEATHER = tool_spec(
    "get_weather",
    "Get the current weather forecast for a city",
    {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    ["city"],
)
SEARCH_DOCS = tool_spec(
    "search_docs", "Search the product documentation knowledge base", {"query": {"type": "string"}}, ["query"]
)
SEND_EMAIL = tool_spec(
    "send_email",
    "Send an email message to a recipient",
    {"to": {"type": "string"}, "body": {"type": "string"}},
    ["to", "body"],
    additionalProperties=False,
)
CALCULATOR = tool_spec(
    "calculator", "Evaluate an arithmetic expression", {"expression": {"type": "string"}}, ["expression"]
)


@dataclass
class Run:
    """A scripted agent run; every call appends the matching spans and conversation messages."""

    provider: str = "openai"
    model: str = "gpt-4o-2024-08-06"
    tools: list[dict[str, Any]] = field(default_factory=list)
    system: str | None = "You are a helpful assistant. Use tools when needed."
    name: str = "test run"
    metadata: dict[str, Any] = field(default_factory=dict)
    fork_of: dict[str, Any] | None = None
    trace_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    clock: float = 1_760_000_000.0
    records: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0
    started_at: float = 1_760_000_000.0

    def __post_init__(self) -> None:
        if self.system and self.provider == "openai":
            self.messages.append({"role": "system", "content": self.system})

    # ---------------------------------------------------------------- helpers
    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def _tick(self, seconds: float = 0.5) -> float:
        self.clock += seconds
        return self.clock

    def _span(
        self,
        kind: str,
        name: str,
        span_input: Any,
        output: Any = None,
        *,
        error: dict[str, Any] | None = None,
        usage: dict[str, Any] | None = None,
        parent: str | None = None,
        ended: bool = True,
        attributes: dict[str, Any] | None = None,
        duration: float = 0.5,
    ) -> str:
        span_id = self._id("span")
        start = {
            "type": "span_start",
            "id": span_id,
            "parent_id": parent,
            "kind": kind,
            "name": name,
            "started_at": self._tick(0.01),
            "input": span_input,
            "attributes": attributes or {},
        }
        self.records.append(start)
        if ended:
            end: dict[str, Any] = {
                "type": "span_end",
                "id": span_id,
                "ended_at": self._tick(duration),
                "output": output,
            }
            if error:
                end["error"] = error
            if usage:
                end["usage"] = usage
            self.records.append(end)
        return span_id

    def agent(self, name: str, parent: str | None = None) -> str:
        """An agent grouping span (ended immediately; children may still reference it)."""
        return self._span("agent", name, {"task": name}, {"status": "done"}, parent=parent)

    def user(self, text: str) -> Run:
        self.messages.append({"role": "user", "content": text})
        return self

    # ------------------------------------------------------------------ steps
    def _request(self) -> dict[str, Any]:
        if self.provider == "anthropic":
            request: dict[str, Any] = {
                "model": self.model,
                "max_tokens": 1024,
                "messages": copy.deepcopy(self.messages),
            }
            if self.system:
                request["system"] = self.system
            if self.tools:
                request["tools"] = [
                    {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]}
                    for t in self.tools
                ]
            return request
        request = {"model": self.model, "messages": copy.deepcopy(self.messages)}
        if self.tools:
            request["tools"] = [{"type": "function", "function": t} for t in self.tools]
        return request

    def llm(
        self,
        text: str | None = None,
        calls: list[tuple[str, Any]] | None = None,
        *,
        tokens: tuple[int, int] = (120, 30),
        error: dict[str, Any] | None = None,
        finish_reason: str | None = None,
        ended: bool = True,
        parent: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> list[str]:
        """One model call; ``calls`` are (tool name, arguments dict or raw JSON string). Returns the call ids."""
        request = request or self._request()
        call_ids = [self._id("call") for _ in calls or []]
        usage = {"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)}
        if self.provider == "anthropic":
            content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
            for call_id, (name, args) in zip(call_ids, calls or [], strict=True):
                content.append(
                    {
                        "type": "tool_use",
                        "id": call_id,
                        "name": name,
                        "input": args if not isinstance(args, str) else json.loads(args),
                    }
                )
            response: Any = {
                "id": self._id("msg"),
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": content,
                "stop_reason": finish_reason or ("tool_use" if calls else "end_turn"),
                "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
            }
            message: dict[str, Any] = {"role": "assistant", "content": content}
            span_input = {"provider": "anthropic", "api": "messages", "request": request}
        else:
            tool_calls = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {
                        "name": name,
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
                for call_id, (name, args) in zip(call_ids, calls or [], strict=True)
            ]
            message = {"role": "assistant", "content": text}
            if tool_calls:
                message["tool_calls"] = tool_calls
            response = {
                "id": self._id("chatcmpl"),
                "object": "chat.completion",
                "created": int(self.clock),
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": finish_reason or ("tool_calls" if calls else "stop"),
                    }
                ],
                "usage": {
                    "prompt_tokens": tokens[0],
                    "completion_tokens": tokens[1],
                    "total_tokens": sum(tokens),
                },
            }
            span_input = {"provider": "openai", "api": "chat.completions", "request": request}
        failed = error is not None
        self._span(
            "llm",
            f"{self.provider} {self.model}",
            span_input,
            None if failed else response,
            error=error,
            usage=None if failed else usage,
            parent=parent,
            ended=ended,
            attributes={"model": self.model},
        )
        if not failed and ended:
            self.messages.append(message)
        return call_ids

    def tool(
        self,
        name: str,
        arguments: Any,
        result: Any,
        *,
        call_id: str | None = None,
        error: dict[str, Any] | None = None,
        parent: str | None = None,
        ended: bool = True,
    ) -> str:
        """A tool step; its result (or error text) joins the conversation as the model will see it."""
        span_id = self._span(
            "tool",
            name,
            {"name": name, "arguments": arguments, "call_id": call_id},
            None if error else result,
            error=error,
            parent=parent,
            ended=ended,
        )
        seen = result if error is None else f"Error: {error.get('message', '')}"
        text = seen if isinstance(seen, str) else json.dumps(seen)
        if self.provider == "anthropic":
            self.messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": call_id,
                            "content": text,
                            "is_error": error is not None,
                        }
                    ],
                }
            )
        else:
            self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        return span_id

    def retrieval(self, query: str, documents: list[Any], parent: str | None = None) -> str:
        return self._span(
            "retrieval", "vector_search", {"query": query, "top_k": len(documents)}, documents, parent=parent
        )

    def call_tool(
        self,
        name: str,
        arguments: Any,
        result: Any,
        *,
        text: str | None = None,
        tokens: tuple[int, int] = (150, 20),
        error: dict[str, Any] | None = None,
    ) -> None:
        """An llm step that asks for one tool, then the tool step that runs it."""
        (call_id,) = self.llm(text, [(name, arguments)], tokens=tokens)
        self.tool(name, arguments, result, call_id=call_id, error=error)

    # ----------------------------------------------------------------- output
    def write(self, path: Path) -> Path:
        header = TraceHeader(
            trace_id=self.trace_id,
            name=self.name,
            started_at=self.started_at,
            metadata=self.metadata,
            fork_of=self.fork_of,
        )  # type: ignore[arg-type]
        with TraceWriter(path, overwrite=True) as writer:
            writer.write_header(header)
            for record in self.records:
                writer.write(record)
        return path

    def trace(self, directory: Path, name: str = "run.jsonl") -> Trace:
        """Write the run to a real file and read it back as the tools would."""
        return read_trace(self.write(directory / name))


def healthy_run(provider: str = "openai") -> Run:
    """A run with nothing wrong: one weather call, one answer."""
    run = Run(
        provider=provider,
        model="gpt-4o" if provider == "openai" else "claude-3-5-sonnet-20241022",
        tools=[WEATHER, SEARCH_DOCS, CALCULATOR],
    )
    run.user("What is the weather forecast in Paris today?")
    run.call_tool(
        "get_weather", {"city": "Paris"}, {"city": "Paris", "forecast": "sunny", "temperature_c": 21}
    )
    run.llm("It is sunny in Paris today, around 21°C.", tokens=(260, 18))
    return run


CITIES = ("Paris", "Berlin", "Rome", "Madrid", "Oslo", "Lisbon", "Vienna")


def corpus_run(index: int) -> Run:
    """Run number ``index`` of a mixed corpus: every 10th loops, every 10th (+1) has a failing tool, the rest are healthy.

    Each run's user message holds a unique ``ticket-<index>`` marker; runs start an hour apart from 2025-10-09.
    """
    city = CITIES[index % len(CITIES)]
    variant = index % 10
    provider = "anthropic" if variant == 2 else "openai"
    model = (
        "claude-3-5-sonnet-20241022"
        if provider == "anthropic"
        else ("gpt-4o-mini" if index % 3 else "gpt-4o")
    )
    run = Run(
        provider=provider,
        model=model,
        tools=[WEATHER, SEARCH_DOCS],
        name=f"support ticket {index}",
        started_at=1_760_000_000.0 + index * 3600,
    )
    run.user(f"ticket-{index}: what is the weather forecast in {city}?")
    if variant == 0:
        for _ in range(3):
            run.call_tool("search_docs", {"query": f"weather {city}"}, "No results found.")
        run.llm("I could not find it.")
    elif variant == 1:
        run.call_tool(
            "get_weather",
            {"city": city},
            None,
            error={"type": "TimeoutError", "message": "weather service timed out"},
        )
        run.llm("The weather service is down, sorry.")
    else:
        run.call_tool(
            "get_weather",
            {"city": city},
            {"city": city, "forecast": "sunny", "temperature_c": 10 + index % 15},
        )
        run.llm(f"It is sunny in {city}.")
    return run


def write_corpus(root: Path, count: int, per_folder: int = 500) -> list[Path]:
    """``count`` corpus runs written under ``root`` in sub-folders of ``per_folder`` files."""
    paths = []
    for index in range(count):
        folder = root / f"batch-{index // per_folder:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(corpus_run(index).write(folder / f"run-{index:05d}.jsonl"))
    return paths
