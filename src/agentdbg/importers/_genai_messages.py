"""Conversation shapes found in span payloads and attributes, turned into OpenAI chat messages.

Handles GenAI-semconv ``{role, parts}`` messages, OpenInference flattened
``llm.input_messages.N.message.*`` keys, Vercel AI SDK content parts, LangChain
serialised messages, Gemini ``contents``/``candidates`` and Anthropic content blocks.
"""

from __future__ import annotations

import re
from typing import Any

from agentdbg.importers._common import as_dict, maybe_json, text_of
from agentdbg.importers._gemini_parts import gemini_answer, gemini_messages, gemini_system, is_gemini_content
from agentdbg.wire import anthropic_messages

_INDEXED = re.compile(r"^(\d+)\.(.+)$")


def indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """``prefix.N.rest`` keys grouped by N (in index order) as ``{rest: value}`` dicts."""
    groups: dict[int, dict[str, Any]] = {}
    start = prefix + "."
    for key, value in attrs.items():
        if key.startswith(start):
            match = _INDEXED.match(key[len(start) :])
            if match:
                groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [groups[i] for i in sorted(groups)]


def _openinference_message(flat: dict[str, Any]) -> dict[str, Any]:
    role = flat.get("message.role") or "user"
    message: dict[str, Any] = {"role": "assistant" if role == "model" else role}  # Gemini's name for it
    content = flat.get("message.content")
    if content is None:
        texts = [part.get("message_content.text") for part in indexed(flat, "message.contents")]
        content = "\n".join(str(t) for t in texts if t is not None) if texts else None
    message["content"] = content if content is not None else ""
    calls = []
    for call in indexed(flat, "message.tool_calls"):
        calls.append(
            {
                "id": call.get("tool_call.id"),
                "type": "function",
                "function": {
                    "name": call.get("tool_call.function.name"),
                    "arguments": text_of(call.get("tool_call.function.arguments") or "{}"),
                },
            }
        )
    if calls:
        message["tool_calls"] = calls
    if flat.get("message.tool_call_id"):
        message["tool_call_id"] = flat["message.tool_call_id"]
    if flat.get("message.name"):
        message["name"] = flat["message.name"]
    return message


def openinference_messages(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [_openinference_message(flat) for flat in indexed(attrs, prefix)]


def _parts_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    """One GenAI-semconv ``{role, parts}`` message as chat messages (tool responses split out)."""
    role = str(message.get("role") or "user")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for part in message.get("parts") or []:
        if not isinstance(part, dict):
            texts.append(text_of(part))
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(text_of(part.get("content", part.get("text", ""))))
        elif kind == "tool_call":
            arguments = part.get("arguments")
            calls.append(
                {
                    "id": part.get("id"),
                    "type": "function",
                    "function": {
                        "name": part.get("name"),
                        "arguments": arguments
                        if isinstance(arguments, str)
                        else text_of(arguments if arguments is not None else {}),
                    },
                }
            )
        elif kind == "tool_call_response":
            response = part.get("response", part.get("result"))
            tool_message: dict[str, Any] = {
                "role": "tool",
                "tool_call_id": part.get("id"),
                "content": text_of(response),
            }
            if part.get("name"):
                tool_message["name"] = part["name"]
            out.append(tool_message)
        elif kind == "reasoning":
            texts.append(f"(reasoning) {text_of(part.get('content', ''))}")
        else:
            texts.append(text_of(part))
    if texts or calls or not out:
        chat_role = "assistant" if role in ("assistant", "model") else ("user" if role == "tool" else role)
        chat: dict[str, Any] = {"role": chat_role, "content": "\n".join(texts)}
        if calls:
            chat["tool_calls"] = calls
        if role == "tool":
            out.append(chat)
        else:
            out.insert(0, chat)
    return out


def _vercel_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    role = str(message.get("role") or "user")
    if isinstance(content, str) or content is None:
        return [{"role": role, "content": content or ""}]
    texts, calls, results = [], [], []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "tool-call":
            args = part.get("args", part.get("input"))
            calls.append(
                {
                    "id": part.get("toolCallId"),
                    "type": "function",
                    "function": {
                        "name": part.get("toolName"),
                        "arguments": args if isinstance(args, str) else text_of(args),
                    },
                }
            )
        elif kind == "tool-result":
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": part.get("toolCallId"),
                    "name": part.get("toolName"),
                    "content": text_of(part.get("result", part.get("output"))),
                }
            )
        else:
            texts.append(text_of(part))
    out: list[dict[str, Any]] = []
    if texts or calls:
        chat: dict[str, Any] = {
            "role": "assistant" if role == "assistant" else role,
            "content": "\n".join(texts),
        }
        if calls:
            chat["tool_calls"] = calls
        out.append(chat)
    return out + results


def _langchain_message(message: dict[str, Any]) -> dict[str, Any]:
    kwargs = as_dict(message.get("kwargs")) or message
    kind = str(kwargs.get("type") or message.get("type") or (message.get("id") or ["", "", ""])[-1]).lower()
    role = {
        "human": "user",
        "humanmessage": "user",
        "ai": "assistant",
        "aimessage": "assistant",
        "system": "system",
        "systemmessage": "system",
        "tool": "tool",
        "toolmessage": "tool",
    }.get(kind, kwargs.get("role", "user"))
    chat: dict[str, Any] = {"role": role, "content": kwargs.get("content", "")}
    extra = as_dict(kwargs.get("additional_kwargs"))
    calls = extra.get("tool_calls") or [
        {
            "id": c.get("id"),
            "type": "function",
            "function": {"name": c.get("name"), "arguments": text_of(c.get("args", {}))},
        }
        for c in kwargs.get("tool_calls") or []
        if isinstance(c, dict)
    ]
    if calls:
        chat["tool_calls"] = calls
    if kwargs.get("tool_call_id"):
        chat["tool_call_id"] = kwargs["tool_call_id"]
    return chat


def instructions_text(value: Any) -> str:
    """System instructions as text: a string, GenAI-semconv parts (``[{type: text, content}]``) or messages."""
    value = maybe_json(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    items = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict) and isinstance(item.get("parts"), list):  # a {role, parts} message
            texts.append(instructions_text(item["parts"]))
        elif (
            isinstance(item, dict)
            and item.get("type") in (None, "text")
            and ("content" in item or "text" in item)
        ):
            texts.append(text_of(item.get("content", item.get("text", ""))))
        else:
            texts.append(text_of(item))
    return "\n".join(text for text in texts if text)


def to_chat_messages(value: Any, default_role: str = "user") -> list[dict[str, Any]]:
    """Best-effort OpenAI chat messages from any recorded prompt shape (kept as text when unknown)."""
    value = maybe_json(value)
    if value is None:
        return []
    if isinstance(value, dict):
        for key in ("messages", "contents", "prompt", "input", "args"):
            if key in value:
                messages = to_chat_messages(value[key], default_role)
                system = value.get("system") or (gemini_system(value) if key == "contents" else None)
                return ([{"role": "system", "content": text_of(system)}] if system else []) + messages
        if "parts" in value or "role" in value:
            return to_chat_messages([value], default_role)
        return [{"role": default_role, "content": text_of(value)}]
    if isinstance(value, list):
        out: list[dict[str, Any]] = []
        for item in value:
            item = maybe_json(item, depth=1)
            if isinstance(item, dict) and "parts" in item and isinstance(item.get("parts"), list):
                if is_gemini_content(item):  # Gemini contents: text, function calls and responses
                    out.extend(gemini_messages(item, default_role))
                else:
                    out.extend(_parts_messages(item))
            elif isinstance(item, dict) and (
                item.get("lc") == 1
                or "additional_kwargs" in item
                or item.get("type") in ("human", "ai", "system", "tool")
            ):
                out.append(_langchain_message(item))
            elif isinstance(item, dict) and "role" in item:
                content = item.get("content")
                if isinstance(content, list) and any(
                    isinstance(p, dict) and p.get("type") in ("tool-call", "tool-result") for p in content
                ):
                    out.extend(_vercel_message(item))
                else:
                    out.append(
                        {
                            k: v
                            for k, v in item.items()
                            if k in ("role", "content", "tool_calls", "tool_call_id", "name")
                        }
                    )
            else:
                out.append({"role": default_role, "content": text_of(item)})
        return out
    return [{"role": default_role, "content": text_of(value)}]


def vercel_tool_calls(value: Any) -> list[dict[str, Any]] | None:
    """Chat tool calls from the Vercel AI SDK's ``[{toolCallId, toolName, args | input}]`` (None if not that)."""
    calls = maybe_json(value)
    if not isinstance(calls, list) or not calls:
        return None
    if not all(isinstance(c, dict) and "toolName" in c for c in calls):
        return None
    return [
        {
            "id": c.get("toolCallId"),
            "type": "function",
            "function": {"name": c.get("toolName"), "arguments": text_of(c.get("args", c.get("input", {})))},
        }
        for c in calls
    ]


def to_chat_response(value: Any, model: Any = None, finish_reason: Any = None) -> dict[str, Any] | None:
    """An OpenAI chat.completion response from any recorded answer shape."""
    value = maybe_json(value)
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("choices"), list):
        return value
    calls = vercel_tool_calls(value)  # AI SDK 5 generations as Langfuse stores them: the calls are the output
    if calls is not None:
        return to_chat_response(
            [{"role": "assistant", "content": "", "tool_calls": calls}], model, finish_reason
        )
    if isinstance(value, dict) and isinstance(value.get("message"), dict):  # one choice
        choice = {
            "index": value.get("index", 0),
            "message": to_chat_messages([value["message"]], "assistant")[0],
            "finish_reason": value.get("finish_reason"),
        }
        return {"object": "chat.completion", "model": model, "choices": [choice]}
    gemini = gemini_answer(value)  # candidates, or ADK's LlmResponse {content, finish_reason}
    if gemini is not None:
        messages = gemini
    elif (
        isinstance(value, dict)
        and isinstance(value.get("content"), list)
        and all(isinstance(b, dict) and "type" in b for b in value["content"])
    ):  # Anthropic
        calls = [
            {
                "id": call["id"],
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": text_of(call["arguments"] if call["arguments"] is not None else {}),
                },
            }
            for call in anthropic_messages.tool_calls(value)
        ]
        message: dict[str, Any] = {"role": "assistant", "content": anthropic_messages.final_text(value)}
        if calls:
            message["tool_calls"] = calls
        messages = [message]
    elif (
        isinstance(value, dict)
        and "messages" in value
        and isinstance(value["messages"], list)
        and value["messages"]
    ):
        messages = to_chat_messages(value["messages"][-1:], "assistant")
    else:
        messages = to_chat_messages(value if isinstance(value, (list, dict)) else [value], "assistant")
    choices = [
        {
            "index": i,
            "message": {
                **m,
                "role": "assistant" if m.get("role") in ("assistant", "model", "user") else m.get("role"),
            },
            "finish_reason": finish_reason,
        }
        for i, m in enumerate(messages)
    ]
    return {"object": "chat.completion", "model": model, "choices": choices}
