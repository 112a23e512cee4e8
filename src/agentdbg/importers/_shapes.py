"""Shapes shared by the importers that rebuild requests: replayability notes and OpenAI chat objects."""

from __future__ import annotations

import json
from typing import Any


def replay_info(replayable: bool, reason: str) -> dict[str, Any]:
    """Step attributes saying whether an imported llm step can be re-sent, and why (not)."""
    if replayable:
        return {"replayable": True, "replay_note": reason}
    return {"replayable": False, "not_replayable_because": reason}


def chat_request(
    model: Any, messages: list[dict[str, Any]], tools: list[Any] | None = None
) -> dict[str, Any]:
    """An OpenAI chat.completions request from a rebuilt history (``model`` left out when unknown)."""
    request: dict[str, Any] = {"messages": [dict(m) for m in messages]}
    if model:
        request = {"model": str(model), **request}
    if tools:
        request["tools"] = tools
    return request


def chat_response(
    model: Any, text: str, tool_calls: list[dict[str, Any]], usage: Any = None
) -> dict[str, Any]:
    """An OpenAI chat.completion object holding one assistant answer."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    response: dict[str, Any] = {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
        ],
    }
    if model:
        response["model"] = str(model)
    if usage:
        response["usage"] = usage
    return response


def function_call(call_id: str | None, name: str, arguments: Any) -> dict[str, Any]:
    """One OpenAI chat ``tool_calls`` entry (arguments as a JSON string; ``call_id`` None when the source gave
    none)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False, default=str)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


#: Why an importer's llm steps cannot be re-sent, by format, when the importer gave no reason of its own.
NOT_REPLAYABLE = {
    "swe-agent": "SWE-agent keeps the history and model name, not the request (tool definitions, sampling settings)",
    "mini-swe-agent": "the trajectory keeps the messages, not the request sent (model, settings)",
    "inspect-ai": "this model event holds Inspect's own messages, not the raw request (no call.request)",
    "langfuse": "the observation keeps the messages and attributes, not the exact request sent",
    "otlp-json": "the span attributes keep the messages, not the exact request sent",
    "vcr": "the cassette's request is not a call to an API agentdbg can re-send",
}


def explain_replay(spans: list[Any], format_name: str) -> None:
    """Give every llm step a reason: why it cannot be re-sent, or what its rebuilt request rests on."""
    for span in spans:
        if span.kind != "llm":
            continue
        attributes = span.attributes
        if attributes.get("replayable") is False:
            attributes.setdefault(
                "not_replayable_because",
                NOT_REPLAYABLE.get(
                    format_name, f"the {format_name} file does not keep the request sent to the model"
                ),
            )
        elif "replay_note" not in attributes:
            attributes["replay_note"] = f"the request as recorded in the {format_name} file"
