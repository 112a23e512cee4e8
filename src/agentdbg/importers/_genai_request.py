"""Rebuild the request an instrumented llm call sent, from what its span recorded, for the recorded provider.

A GenAI-semconv or OpenInference span carries the conversation (input messages), the tool
definitions and the sampling parameters, not the request body. When the span holds all that the
call needed (the messages, plus the tool definitions whenever the conversation or the answer
uses tools), the
rebuilt request is complete and the step is replayable: as OpenAI chat.completions, or as
Anthropic messages when the span says the provider was Anthropic.
"""

from __future__ import annotations

from typing import Any

from agentdbg.errors import ConversionError
from agentdbg.importers._common import as_dict, as_list, maybe_json
from agentdbg.importers._gemini_parts import gemini_tools
from agentdbg.importers._genai_messages import indexed
from agentdbg.wire import anthropic_messages, openai_chat

# GenAI-semconv request attributes -> chat.completions parameter
_SEMCONV_PARAMS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.stop_sequences": "stop",
    "gen_ai.request.seed": "seed",
}
# OpenInference ``llm.invocation_parameters`` keys that are chat.completions parameters
_INVOCATION_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "seed",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
)
_ANTHROPIC_NAMES = ("anthropic", "aws.bedrock.anthropic")  # prefixes: also "anthropic.messages"


def _uses_tools(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("tool_calls") or m.get("role") == "tool" for m in messages if isinstance(m, dict))


NO_CALL_ID = (
    "a tool call or result in the conversation carries no call id (Gemini's calls have none; some "
    "instrumentations drop it), so a re-sent request could not tie each result to its call"
)
NO_CALL_BEFORE = (
    "a tool result in the conversation answers no call before it (the span kept only the new turn of a "
    "conversation continued on the server, e.g. by previous_response_id), so the request sent is not all here"
)


def unmatched_calls(messages: list[dict[str, Any]]) -> str | None:
    """Why a chat history names no safe call -> result link (a call or result without a call id, two calls of
    one answer sharing an id, a result whose call is not before it), so it cannot be re-sent as it is; else
    ``None``."""
    called: set[Any] = set()
    for message in messages:
        ids = [as_dict(call).get("id") for call in as_list(message.get("tool_calls"))]
        if any(not call_id for call_id in ids) or len(set(ids)) < len(ids):
            return NO_CALL_ID
        called.update(ids)
        if message.get("role") == "tool":
            if not message.get("tool_call_id"):
                return NO_CALL_ID
            if message["tool_call_id"] not in called:
                return NO_CALL_BEFORE
    return None


def request_tools(attrs: dict[str, Any], input_value: Any) -> list[Any]:
    """The chat tools a span's call offered: OpenInference ``llm.tools``, GenAI ``gen_ai.tool.definitions``,
    Vercel ``ai.prompt.tools``, pydantic-ai's ``model_request_parameters``, or a Gemini body's declarations."""
    tools = (
        [maybe_json(t.get("tool.json_schema")) for t in indexed(attrs, "llm.tools")]
        or maybe_json(attrs.get("gen_ai.tool.definitions"))
        or maybe_json(attrs.get("ai.prompt.tools"))
        or pydantic_ai_tools(attrs.get("model_request_parameters"))
        or gemini_tools(maybe_json(input_value))
    )
    return [chat_tool(t) for t in tools] if isinstance(tools, list) else []


def pydantic_ai_tools(parameters: Any) -> list[dict[str, Any]]:
    """pydantic-ai's ``model_request_parameters`` (function and output tools) as semconv tool definitions."""
    parameters = as_dict(maybe_json(parameters))
    tools = [*(parameters.get("function_tools") or []), *(parameters.get("output_tools") or [])]
    return [
        {
            "type": "function",
            "name": t.get("name"),
            "description": t.get("description"),
            "parameters": t.get("parameters_json_schema"),
        }
        for t in tools
        if isinstance(t, dict) and t.get("name")
    ]


def chat_tool(tool: Any) -> Any:
    """A chat.completions tool from an OpenInference JSON schema or a GenAI-semconv/Vercel definition."""
    tool = maybe_json(tool)  # Vercel's ai.prompt.tools: one JSON string per tool
    if isinstance(tool, dict) and "function" in tool:
        return tool
    if isinstance(tool, dict) and "name" in tool:  # semconv: {type: function, name, description, parameters}
        function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
        if "parameters" not in function and "inputSchema" in tool:  # AI SDK 5
            function["parameters"] = tool["inputSchema"]
        return {"type": "function", "function": function}
    return {"type": "function", "function": tool}


def _whole_request(value: Any) -> dict[str, Any] | None:
    """``input.value`` when it is a whole chat.completions body (openinference-instrumentation-openai)."""
    body = as_dict(value)
    if body.get("model") and isinstance(body.get("messages"), list) and body["messages"]:
        return dict(body)
    return None


_ANTHROPIC_BLOCKS = ("tool_use", "tool_result", "thinking", "redacted_thinking")


def _anthropic_body(value: Any, provider: Any) -> dict[str, Any] | None:
    """``value`` when it is a whole Anthropic ``messages.create`` body (OpenInference's anthropic ``input.value``,
    a Langfuse generation's input): the provider says Anthropic, or the body has Anthropic-only shapes."""
    body = as_dict(value)
    messages = body.get("messages")
    if not (body.get("model") and body.get("max_tokens") and isinstance(messages, list) and messages):
        return None
    blocks = any(
        isinstance(block, dict) and block.get("type") in _ANTHROPIC_BLOCKS
        for message in messages
        for block in as_list(as_dict(message).get("content"))
    )
    anthropic_only = (
        blocks
        or "system" in body
        or any(isinstance(t, dict) and "input_schema" in t for t in as_list(body.get("tools")))
    )
    return dict(body) if anthropic_only or str(provider or "").lower().startswith(_ANTHROPIC_NAMES) else None


def _anthropic_response(chat: Any) -> Any:
    """An Anthropic ``message`` response from the chat.completions response read from the span."""
    choices = as_dict(chat).get("choices")
    if not isinstance(choices, list) or not choices:
        return chat
    first = as_dict(choices[0])
    message = as_dict(first.get("message"))
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"type": "text", "text": str(message["content"])})
    for call in message.get("tool_calls") or []:
        function = as_dict(as_dict(call).get("function"))
        arguments = maybe_json(function.get("arguments"))
        content.append(
            {
                "type": "tool_use",
                "id": as_dict(call).get("id"),
                "name": function.get("name"),
                "input": arguments if isinstance(arguments, dict) else {},
            }
        )
    usage = as_dict(as_dict(chat).get("usage"))
    finish = first.get("finish_reason")
    response: dict[str, Any] = {
        "type": "message",
        "role": "assistant",
        "model": as_dict(chat).get("model"),
        "content": content,
        "stop_reason": _STOP_REASONS.get(str(finish), finish),
    }
    if usage:
        response["usage"] = {
            "input_tokens": usage.get("prompt_tokens"),
            "output_tokens": usage.get("completion_tokens"),
        }
    return response


_STOP_REASONS = {"tool_calls": "tool_use", "stop": "end_turn", "length": "max_tokens"}


def rebuild_request(
    request: dict[str, Any],
    response: Any,
    attrs: dict[str, Any],
    params: Any,
    provider: Any,
    recorded: tuple[Any, Any] = (None, None),
) -> tuple[dict[str, Any], Any, bool | str]:
    """The llm step's input (``{provider, api, request}``), its output, and ``True`` when it can be replayed,
    else ``False`` or the reason it cannot.

    Args:
        request: the chat.completions request read from the span (``model``, ``messages``, ``tools``).
        response: the chat.completions response read from the span.
        attrs: the span's attributes (sampling parameters are read from them).
        params: OpenInference ``llm.invocation_parameters`` (a dict, or anything else when absent).
        provider: the provider the span names (``gen_ai.provider.name`` and its older spellings).
        recorded: the span's (or the backend's) own input and output payloads, as recorded.
    """
    anthropic_body = _anthropic_body(maybe_json(recorded[0]), provider)
    if (
        anthropic_body is not None
    ):  # the body as sent: kept as it is, with the answer as Anthropic returned it
        answer = maybe_json(recorded[1])
        if not (isinstance(answer, dict) and isinstance(answer.get("content"), list)):
            answer = _anthropic_response(response)
        anthropic = {"provider": "anthropic", "api": "messages", "request": anthropic_body}
        return anthropic, answer, True
    whole = _whole_request(maybe_json(attrs.get("input.value")))
    if whole is not None and not attrs.get("gen_ai.input.messages"):
        request = whole
    else:
        request = dict(request)
        for key, target in _SEMCONV_PARAMS.items():
            if attrs.get(key) is not None and target not in request:
                request[target] = attrs[key]
        for key in _INVOCATION_PARAMS:
            if isinstance(params, dict) and params.get(key) is not None and key not in request:
                request[key] = params[key]
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    answers = [as_dict(c).get("message") for c in as_list(as_dict(response).get("choices"))]
    tools_known = bool(request.get("tools")) or not _uses_tools(messages + [m for m in answers if m])
    complete = bool(request.get("model")) and bool(messages) and tools_known
    chat = {"provider": "openai", "api": "chat.completions", "request": request}
    broken_links = unmatched_calls(messages) if complete else None
    if broken_links is not None:
        return chat, response, broken_links
    if str(provider or "").lower().startswith(_ANTHROPIC_NAMES) and complete:
        try:  # the wire codecs: chat request -> neutral conversation -> Anthropic request
            converted = anthropic_messages.build_request(
                openai_chat.conversation(request), str(request["model"])
            )
        except ConversionError:  # content with no Anthropic equivalent: keep the chat form for reading only
            return chat, response, False
        anthropic = {"provider": "anthropic", "api": "messages", "request": converted}
        return anthropic, _anthropic_response(response), True
    return chat, response, complete
