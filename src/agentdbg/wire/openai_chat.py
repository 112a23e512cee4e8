"""The ``openai.chat.completions`` wire format: requests, responses and ``chat.completion.chunk`` streams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from agentdbg.wire import sse
from agentdbg.wire.neutral import (
    conversion_arguments,
    conversion_text,
    json_text,
    message,
    normalise_role,
    openai_usage,
    raw_usage,
    split_content,
    tool_call,
    tool_spec,
)

API = "openai.chat.completions"
PROVIDER = "openai"
SYSTEM_FIELD = ""  # none: the system prompt is one of the messages
PATH = "chat.completions"  # the SDK resource it is called through


# --- request / response → neutral messages -------------------------------------------------------------


def _message(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return message("user", json_text(raw))
    text, attachments, reasoning = split_content(raw.get("content"))
    if raw.get("reasoning_content"):
        reasoning.append(str(raw["reasoning_content"]))
    if raw.get("refusal"):
        text = (text + "\n" if text else "") + f"(refusal) {raw['refusal']}"
    calls = [
        tool_call(call.get("id"), (call.get("function") or {}).get("name"), (call.get("function") or {}).get("arguments"))
        for call in raw.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    if raw.get("function_call"):
        fc = raw["function_call"]
        calls.append(tool_call(None, fc.get("name"), fc.get("arguments")))
    role = normalise_role(raw.get("role"))
    if raw.get("role") == "function":
        role = "tool"
    return message(
        role,
        text,
        tool_calls=calls,
        tool_call_id=raw.get("tool_call_id"),
        tool_name=raw.get("name") if role == "tool" else None,
        reasoning=reasoning,
        attachments=attachments,
    )


def request_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message of the request, as neutral messages."""
    return [_message(m) for m in request.get("messages") or []]


def response_messages(response: dict[str, Any]) -> list[dict[str, Any]]:
    """One neutral assistant message per choice."""
    out = []
    for choice in response.get("choices") or []:
        if isinstance(choice, dict):
            out.append(_message(choice.get("message") or choice.get("delta") or {"role": "assistant"}))
    return out


def request_tools(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tools (and legacy ``functions``) the request offered."""
    functions = [tool.get("function") if isinstance(tool, dict) else None for tool in request.get("tools") or []]
    functions += list(request.get("functions") or [])
    return [
        tool_spec(fn.get("name", ""), fn.get("description"), fn.get("parameters"))
        for fn in functions
        if isinstance(fn, dict)
    ]


# --- what a response says --------------------------------------------------------------------------------


def first_message(response: dict[str, Any]) -> dict[str, Any]:
    """The first choice's message (``{}`` when there is none)."""
    choices = response.get("choices") or []
    if choices and isinstance(choices[0], dict):
        found = choices[0].get("message")
        if isinstance(found, dict):
            return found
    return {}


def tool_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls of the first choice, as neutral tool calls."""
    return [
        tool_call(raw.get("id"), (raw.get("function") or {}).get("name"), (raw.get("function") or {}).get("arguments"))
        for raw in first_message(response).get("tool_calls") or []
        if isinstance(raw, dict)
    ]


def final_text(response: dict[str, Any]) -> str:
    """The answer text of the first choice."""
    content = first_message(response).get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def finish_reason(response: dict[str, Any]) -> str | None:
    """Why the first choice ended (``stop``, ``tool_calls``, ``length``, ...)."""
    choices = response.get("choices") or []
    return choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) else None


def finish_reasons(response: dict[str, Any]) -> list[str]:
    """Each choice's finish reason, in order."""
    return [
        str(c.get("finish_reason"))
        for c in response.get("choices") or []
        if isinstance(c, dict) and c.get("finish_reason")
    ]


def usage(response: dict[str, Any]) -> dict[str, Any] | None:
    """Neutral token counts (``None`` when the response holds none)."""
    raw = raw_usage(response)
    return openai_usage(raw, ("prompt", "completion")) if raw is not None else None


# --- streams ---------------------------------------------------------------------------------------------


def assemble(events: sse.SSEEvents, loads: sse.Loads = json.loads) -> sse.Assembled:
    """``chat.completion.chunk`` deltas → one ``chat.completion`` (text pieces joined once, at the end)."""
    parsed, done = sse.json_events(events, loads)
    result: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    pieces: dict[tuple[int, str], list[str]] = {}
    calls: dict[tuple[int, int], dict[str, Any]] = {}
    arguments: dict[tuple[int, int], list[str]] = {}
    error = None
    for name, chunk in parsed:
        if type(chunk) is not dict or "choices" not in chunk:
            error = error or sse.stream_error(name, chunk)
            continue
        if result is None:
            keep = ("id", "created", "model", "service_tier", "system_fingerprint")
            result = {k: chunk[k] for k in keep if k in chunk}
            result["object"] = "chat.completion"
        if chunk.get("usage"):
            result["usage"] = chunk["usage"]
        for choice in chunk["choices"] or ():
            index = choice.get("index", 0)
            entry = choices.get(index)
            if entry is None:
                entry = choices[index] = {
                    "index": index,
                    "message": {"role": "assistant", "content": None},
                    "finish_reason": None,
                }
            delta = choice.get("delta") or {}
            for key, value in delta.items():
                if key == "tool_calls":
                    for call in value or ():
                        slot_key = (index, call.get("index", 0))
                        slot = calls.get(slot_key)
                        if slot is None:
                            slot = calls[slot_key] = {"id": None, "type": "function", "function": {"name": ""}}
                            arguments[slot_key] = []
                        if call.get("id"):
                            slot["id"] = call["id"]
                        function = call.get("function") or {}
                        if function.get("name"):
                            slot["function"]["name"] = function["name"]
                        arguments[slot_key].append(function.get("arguments") or "")
                elif key == "role" and value:
                    entry["message"]["role"] = value
                elif isinstance(value, str):  # content, refusal, reasoning_content, ...
                    pieces.setdefault((index, key), []).append(value)
            if choice.get("finish_reason"):
                entry["finish_reason"] = choice["finish_reason"]
            if choice.get("logprobs"):
                entry["logprobs"] = choice["logprobs"]
    for (index, key), parts in pieces.items():
        choices[index]["message"][key] = "".join(parts)
    for slot_key, call in sorted(calls.items()):
        call["function"]["arguments"] = "".join(arguments[slot_key])
        choices[slot_key[0]]["message"].setdefault("tool_calls", []).append(call)
    if result is not None:
        result["choices"] = [choices[i] for i in sorted(choices)]
    finished = bool(choices) and all(c["finish_reason"] for c in choices.values())
    return sse.Assembled(result, done or finished, error)


def assemble_sse(body: bytes) -> dict[str, Any] | None:
    """The ``chat.completion`` a streamed body adds up to (what arrived, if it was cut short)."""
    return assemble(sse.sse_events(body)).response


def events(response: dict[str, Any], *, include_usage: bool | None = None) -> Iterator[sse.Event]:
    """The chunk events the API streams for ``response``, a usage chunk, then ``[DONE]``.

    ``include_usage`` is the request's ``stream_options.include_usage``; ``None`` means "when the
    response has usage".
    """
    if include_usage is None:
        include_usage = bool(response.get("usage"))
    kept = ("id", "created", "model", "service_tier", "system_fingerprint")
    base: dict[str, Any] = {key: response[key] for key in kept if key in response}
    base["object"] = "chat.completion.chunk"

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> sse.Event:
        data: dict[str, Any] = dict(
            base, choices=[{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]
        )
        if include_usage:
            data["usage"] = None
        return (None, data)

    for choice in response.get("choices") or []:
        index = choice.get("index", 0)
        msg = choice.get("message") or {}
        content = msg.get("content")
        yield chunk(index, {"role": msg.get("role") or "assistant", "content": "" if content is not None else None, "refusal": None})
        for key, value in msg.items():  # reasoning_content and other text a provider adds
            if isinstance(value, str) and key not in ("role", "content", "refusal"):
                yield chunk(index, {key: value})
        for piece in sse.split_text(content if isinstance(content, str) else ""):
            yield chunk(index, {"content": piece})
        if msg.get("refusal"):
            yield chunk(index, {"refusal": msg["refusal"]})
        for position, call in enumerate(msg.get("tool_calls") or []):
            function = call.get("function") or {}
            head = {
                "index": position,
                "id": call.get("id"),
                "type": "function",
                "function": {"name": function.get("name"), "arguments": ""},
            }
            yield chunk(index, {"tool_calls": [head]})
            for piece in sse.split_json(function.get("arguments") or ""):
                yield chunk(index, {"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
        yield chunk(index, {}, choice.get("finish_reason") or "stop", choice.get("logprobs"))
    if include_usage:
        yield (None, dict(base, choices=[], usage=response.get("usage")))
    yield (None, "[DONE]")


def sse_body(response: dict[str, Any]) -> bytes:
    """The whole ``text/event-stream`` body the API would stream for ``response``."""
    return sse.encode(events(response))


# --- between APIs: the conversation form ``providers.convert`` translates through -------------------------


def conversation(request: dict[str, Any]) -> dict[str, Any]:
    """``{system, turns, tools, params}`` of a request (text, tool calls and results only).

    Raises:
        ConversionError: for content another API cannot carry (images, files).
    """
    systems, turns = [], []
    for index, msg in enumerate(request.get("messages") or []):
        role, where = msg.get("role"), f"messages[{index}]"
        if role in ("system", "developer"):
            systems.append(conversion_text(msg.get("content"), where))
        elif role == "tool":
            turns.append(
                {"role": "tool", "call_id": msg.get("tool_call_id"), "content": conversion_text(msg.get("content"), where)}
            )
        elif role == "assistant":
            calls = [
                {
                    "id": c.get("id"),
                    "name": (c.get("function") or {}).get("name"),
                    "arguments": conversion_arguments((c.get("function") or {}).get("arguments")),
                }
                for c in msg.get("tool_calls") or []
            ]
            turns.append({"role": "assistant", "text": conversion_text(msg.get("content"), where), "calls": calls})
        else:
            turns.append({"role": "user", "text": conversion_text(msg.get("content"), where)})
    tools = [
        {"name": f.get("name"), "description": f.get("description", ""), "parameters": f.get("parameters")}
        for f in ((t.get("function") or {}) for t in request.get("tools") or [])
    ]
    params = {
        "max_tokens": request.get("max_completion_tokens") or request.get("max_tokens"),
        "temperature": request.get("temperature"),
        "top_p": request.get("top_p"),
        "stop": [request["stop"]] if isinstance(request.get("stop"), str) else request.get("stop"),
    }
    return {"system": "\n\n".join(systems) or None, "turns": turns, "tools": tools, "params": params}


def build_request(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    """A chat.completions request for ``model`` from a ``conversation()`` of any API."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": neutral["system"]}] if neutral["system"] else []
    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            messages.append({"role": "tool", "tool_call_id": turn["call_id"], "content": turn["content"]})
        elif turn["role"] == "assistant":
            assistant: dict[str, Any] = {"role": "assistant", "content": turn["text"] or None}
            if turn["calls"]:
                assistant["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for c in turn["calls"]
                ]
            messages.append(assistant)
        else:
            messages.append({"role": "user", "content": turn["text"]})
    request: dict[str, Any] = {"model": model, "messages": messages}
    if neutral["tools"]:
        request["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t["name"],
                    "description": t["description"],
                    "parameters": t["parameters"] or {"type": "object"},
                },
            }
            for t in neutral["tools"]
        ]
    for key in ("max_tokens", "temperature", "top_p", "stop"):
        if neutral["params"].get(key) is not None:
            request[key] = neutral["params"][key]
    return request
