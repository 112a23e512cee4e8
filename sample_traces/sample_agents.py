"""The agent loops the sample scenarios run: ordinary tool-calling loops over the real, wrapped SDKs.

Nothing here knows it is being recorded except through the public capture API
(``@agentdbg.tool``, ``agentdbg.span``); the model's answers come from the
scripted local server, so every trace is real output of our own recorder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import agentdbg


class MaxStepsExceeded(RuntimeError):
    """The agent kept calling tools and never produced a final answer."""


def run_tool(impls: dict[str, Callable[..., Any]], name: str, arguments: Any) -> str:
    """Call a tool the way most agent frameworks do: errors go back to the model as text."""
    fn = impls.get(name)
    if fn is None:
        return f"Error: unknown tool {name!r}"
    try:
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
        result = fn(**args)
    except Exception as exc:  # noqa: BLE001 - the model is told, the loop goes on (as real agents do)
        return f"Error: {type(exc).__name__}: {exc}"
    return result if isinstance(result, str) else json.dumps(result)


def chat_agent(
    client: Any,
    *,
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    impls: dict[str, Callable[..., Any]],
    max_steps: int = 8,
    stream: bool = False,
    prepare: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    **params: Any,
) -> str:
    """OpenAI chat.completions loop; ``prepare`` may trim the history before each call."""
    for _ in range(max_steps):
        sent = prepare(messages) if prepare else messages
        if stream:
            with client.chat.completions.stream(model=model, messages=sent, tools=tools, **params) as events:
                completion = events.get_final_completion()
        else:
            completion = client.chat.completions.create(
                model=model, messages=sent, tools=tools or None, **params
            )
        message = completion.choices[0].message
        messages.append(message.model_dump(exclude_none=True, exclude={"parsed", "annotations"}))
        if not message.tool_calls:
            return message.content or ""
        for call in message.tool_calls:
            result = run_tool(impls, call.function.name, call.function.arguments)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    raise MaxStepsExceeded(f"no final answer after {max_steps} model calls")


def responses_agent(
    client: Any,
    *,
    model: str,
    instructions: str,
    user_input: str,
    tools: list[dict[str, Any]],
    impls: dict[str, Callable[..., Any]],
    max_steps: int = 8,
    **params: Any,
) -> str:
    """OpenAI responses loop, stateless: the whole input list is re-sent each turn."""
    items: list[Any] = [{"role": "user", "content": user_input}]
    for _ in range(max_steps):
        response = client.responses.create(
            model=model, instructions=instructions, input=items, tools=tools, **params
        )
        calls = [item for item in response.output if item.type == "function_call"]
        items.extend(item.model_dump(exclude_none=True) for item in response.output)
        if not calls:
            return response.output_text
        for call in calls:
            output = run_tool(impls, call.name, call.arguments)
            items.append({"type": "function_call_output", "call_id": call.call_id, "output": output})
    raise MaxStepsExceeded(f"no final answer after {max_steps} model calls")


def claude_agent(
    client: Any,
    *,
    model: str,
    system: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    impls: dict[str, Callable[..., Any]],
    max_steps: int = 8,
    max_tokens: int = 1024,
    **params: Any,
) -> str:
    """Anthropic messages loop using ``messages.stream()``."""
    for _ in range(max_steps):
        with client.messages.stream(
            model=model, system=system, messages=messages, tools=tools, max_tokens=max_tokens, **params
        ) as stream:
            message = stream.get_final_message()
        messages.append(
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]}
        )
        uses = [block for block in message.content if block.type == "tool_use"]
        if not uses:
            return "".join(block.text for block in message.content if block.type == "text")
        results = [
            {"type": "tool_result", "tool_use_id": use.id, "content": run_tool(impls, use.name, use.input)}
            for use in uses
        ]
        messages.append({"role": "user", "content": results})
    raise MaxStepsExceeded(f"no final answer after {max_steps} model calls")


async def claude_agent_async(
    client: Any,
    *,
    model: str,
    system: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    impls: dict[str, Callable[..., Any]],
    max_steps: int = 6,
    max_tokens: int = 1024,
) -> str:
    """The same loop on ``AsyncAnthropic`` (plain ``messages.create``)."""
    for _ in range(max_steps):
        message = await client.messages.create(
            model=model, system=system, messages=messages, tools=tools, max_tokens=max_tokens
        )
        messages.append(
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]}
        )
        uses = [block for block in message.content if block.type == "tool_use"]
        if not uses:
            return "".join(block.text for block in message.content if block.type == "text")
        results = [
            {"type": "tool_result", "tool_use_id": use.id, "content": run_tool(impls, use.name, use.input)}
            for use in uses
        ]
        messages.append({"role": "user", "content": results})
    raise MaxStepsExceeded(f"no final answer after {max_steps} model calls")


def function_tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """A chat.completions tool definition."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def claude_tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """An Anthropic tool definition."""
    return {
        "name": name,
        "description": description,
        "input_schema": {"type": "object", "properties": properties, "required": required},
    }


def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``agentdbg.tool`` (re-exported so scenarios read like user code)."""
    return agentdbg.tool(fn)
