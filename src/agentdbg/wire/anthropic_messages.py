"""The ``anthropic.messages`` wire format: content blocks, ``tool_use``/``tool_result``, the message event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from agentdbg.wire import sse
from agentdbg.wire.neutral import (
    conversion_text,
    json_text,
    message,
    normalise_role,
    raw_usage,
    sort_content_part,
    split_content,
    tool_call,
    tool_spec,
)

API = "anthropic.messages"
PROVIDER = "anthropic"
SYSTEM_FIELD = "system"  # request field holding the system prompt apart from the history
PATH = "messages"

# Fields of response content blocks that the API accepts back in a request.
_BLOCK_FIELDS = {
    "text": ("type", "text", "citations"),
    "tool_use": ("type", "id", "name", "input"),
    "thinking": ("type", "thinking", "signature"),
    "redacted_thinking": ("type", "data"),
}


# --- request / response → neutral messages -------------------------------------------------------------


def _message(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict):
        return [message("user", json_text(raw))]
    role = normalise_role(raw.get("role"))
    content = raw.get("content")
    if isinstance(content, str) or content is None:
        return [message(role, content or "")]
    out: list[dict[str, Any]] = []
    texts: list[str] = []
    attachments: list[dict[str, Any]] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            calls.append(tool_call(block.get("id"), block.get("name"), block.get("input")))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            text, result_attachments, _ = split_content(block.get("content"))
            out.append(
                message(
                    "tool",
                    text,
                    tool_call_id=block.get("tool_use_id"),
                    is_error=bool(block.get("is_error")),
                    attachments=result_attachments,
                )
            )
        else:
            sort_content_part(block, texts, attachments, reasoning)
    if texts or attachments or reasoning or calls or not out:
        out.append(message(role, "\n".join(texts), attachments=attachments, reasoning=reasoning, tool_calls=calls))
    return out


def request_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """``system`` (as a system message) and every message, tool results as ``tool`` messages."""
    messages: list[dict[str, Any]] = []
    system = request.get("system")
    if system:
        text, _, _ = split_content(system)
        messages.append(message("system", text))
    for raw in request.get("messages") or []:
        messages.extend(_message(raw))
    return messages


def response_messages(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's content blocks as neutral messages (normally one assistant message)."""
    return _message({"role": response.get("role", "assistant"), "content": response.get("content") or []})


def request_tools(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The named tools the request offered."""
    return [
        tool_spec(t.get("name", ""), t.get("description"), t.get("input_schema"))
        for t in request.get("tools") or []
        if isinstance(t, dict) and t.get("name")
    ]


# --- what a response says --------------------------------------------------------------------------------


def blocks(msg: dict[str, Any]) -> list[Any]:
    """A message's content as a list of blocks (a bare string is one text block)."""
    content = msg.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


def request_block(block: dict[str, Any]) -> dict[str, Any]:
    """A response content block trimmed to the fields a request may carry."""
    fields = _BLOCK_FIELDS.get(str(block.get("type")))
    if fields is None:
        return {key: value for key, value in block.items() if value is not None}
    return {key: block[key] for key in fields if block.get(key) is not None}


def tool_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``tool_use`` blocks, as neutral tool calls."""
    return [
        tool_call(block.get("id"), block.get("name"), block.get("input"))
        for block in response.get("content") or []
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def final_text(response: dict[str, Any]) -> str:
    """The text blocks, joined."""
    return "\n".join(
        str(block.get("text", ""))
        for block in response.get("content") or []
        if isinstance(block, dict) and block.get("type") == "text"
    )


def finish_reason(response: dict[str, Any]) -> str | None:
    """``stop_reason`` (``end_turn``, ``tool_use``, ``max_tokens``, ...)."""
    return response.get("stop_reason")


def finish_reasons(response: dict[str, Any]) -> list[str]:
    """The ``stop_reason``, as a one-item list."""
    return [str(response["stop_reason"])] if response.get("stop_reason") else []


def usage(response: dict[str, Any]) -> dict[str, Any] | None:
    """Neutral token counts (``None`` when the response holds none)."""
    raw = raw_usage(response)
    if raw is None:
        return None
    input_tokens = raw.get("input_tokens")
    output_tokens = raw.get("output_tokens")
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": (input_tokens or 0) + (output_tokens or 0) if input_tokens is not None else None,
        "cached_input_tokens": raw.get("cache_read_input_tokens"),
        # reads without a write count are still Anthropic's (cache reads apart from input_tokens): a 0 says so
        "cache_creation_input_tokens": raw.get(
            "cache_creation_input_tokens", 0 if raw.get("cache_read_input_tokens") is not None else None
        ),
    }


# --- streams ---------------------------------------------------------------------------------------------


def assemble(events: sse.SSEEvents, loads: sse.Loads = json.loads) -> sse.Assembled:
    """``message_start`` … ``message_stop`` → one ``message``."""
    parsed, _ = sse.json_events(events, loads)
    result: dict[str, Any] | None = None
    built: dict[int, dict[str, Any]] = {}
    partial_json: dict[int, str] = {}
    complete = False
    error = None
    for name, event in parsed:
        error = error or sse.stream_error(name, event)
        if not isinstance(event, dict):
            continue
        kind = event.get("type", name)
        index = event.get("index", 0)
        if kind == "message_start":
            result = dict(event.get("message") or {})
        elif kind == "content_block_start":
            built[index] = dict(event.get("content_block") or {})
        elif kind == "content_block_delta":
            block = built.setdefault(index, {})
            delta = event.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                block["text"] = block.get("text", "") + delta.get("text", "")
            elif dtype == "input_json_delta":
                partial_json[index] = partial_json.get(index, "") + delta.get("partial_json", "")
            elif dtype == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
            elif dtype == "signature_delta":
                block["signature"] = delta.get("signature", "")
            elif dtype == "citations_delta":
                block.setdefault("citations", []).append(delta.get("citation"))
        elif kind == "message_delta" and result is not None:
            result.update(event.get("delta") or {})
            result["usage"] = {**(result.get("usage") or {}), **(event.get("usage") or {})}
        elif kind == "message_stop":
            complete = True
    for index, raw in partial_json.items():
        try:
            built.setdefault(index, {})["input"] = loads(raw) if raw else {}
        except ValueError:
            built.setdefault(index, {})["input"] = raw  # cut short mid-arguments: keep the text
    if result is not None:
        result["content"] = [built[i] for i in sorted(built)]
    return sse.Assembled(result, complete, error)


def assemble_sse(body: bytes) -> dict[str, Any] | None:
    """The ``message`` a streamed body adds up to (what arrived, if it was cut short)."""
    return assemble(sse.sse_events(body)).response


def _block_events(index: int, block: dict[str, Any]) -> Iterator[sse.Event]:
    kind = block.get("type")
    if kind == "thinking":
        opening: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in sse.split_text(block.get("thinking") or "")]
        deltas.append({"type": "signature_delta", "signature": block.get("signature") or ""})
    elif kind == "text":
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in sse.split_text(block.get("text") or "")]
        deltas += [{"type": "citations_delta", "citation": c} for c in block.get("citations") or []]
    elif kind == "tool_use":
        opening = dict(block, input={})
        raw = json.dumps(block.get("input"), ensure_ascii=False)
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in sse.split_json(raw)]
    else:  # redacted thinking, server tool blocks and anything newer: the block whole
        opening, deltas = block, []
    yield ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening})
    if index == 0:
        yield ("ping", {"type": "ping"})
    for delta in deltas:
        yield ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
    yield ("content_block_stop", {"type": "content_block_stop", "index": index})


def events(response: dict[str, Any]) -> Iterator[sse.Event]:
    """``message_start`` … ``content_block_*`` … ``message_delta``, ``message_stop`` for ``response``."""
    final_usage = dict(response.get("usage") or {})
    start = dict(response, content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = dict(final_usage, output_tokens=1)
    yield ("message_start", {"type": "message_start", "message": start})
    for index, block in enumerate(response.get("content") or []):
        yield from _block_events(index, block)
    stop = {"stop_reason": response.get("stop_reason") or "end_turn", "stop_sequence": response.get("stop_sequence")}
    final_usage.pop("service_tier", None)
    yield ("message_delta", {"type": "message_delta", "delta": stop, "usage": final_usage})
    yield ("message_stop", {"type": "message_stop"})


def sse_body(response: dict[str, Any]) -> bytes:
    """The whole ``text/event-stream`` body the API would stream for ``response``."""
    return sse.encode(events(response))


# --- between APIs ----------------------------------------------------------------------------------------


def conversation(request: dict[str, Any]) -> dict[str, Any]:
    """``{system, turns, tools, params}`` of a request (text, tool calls and results only).

    Raises:
        ConversionError: for content another API cannot carry (images, documents).
    """
    turns: list[dict[str, Any]] = []
    for index, msg in enumerate(request.get("messages") or []):
        where, content = f"messages[{index}]", msg.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if msg.get("role") == "assistant":
            turn: dict[str, Any] = {"role": "assistant", "text": "", "calls": []}
            for block in parts:
                if block.get("type") == "tool_use":
                    turn["calls"].append({"id": block.get("id"), "name": block.get("name"), "arguments": block.get("input") or {}})
                else:
                    turn["text"] = "\n".join(t for t in (turn["text"], conversion_text([block], where)) if t)
            turns.append(turn)
            continue
        texts = []
        for block in parts:
            if block.get("type") == "tool_result":
                result = conversion_text(block.get("content"), where)
                turns.append(
                    {"role": "tool", "call_id": block.get("tool_use_id"), "content": result, "is_error": bool(block.get("is_error"))}
                )
            else:
                texts.append(conversion_text([block], where))
        if texts:
            turns.append({"role": "user", "text": "\n".join(texts)})
    tools = [
        {"name": t.get("name"), "description": t.get("description", ""), "parameters": t.get("input_schema")}
        for t in request.get("tools") or []
    ]
    params = {
        "max_tokens": request.get("max_tokens"),
        "temperature": request.get("temperature"),
        "top_p": request.get("top_p"),
        "stop": request.get("stop_sequences"),
    }
    system = conversion_text(request.get("system"), "system") if request.get("system") else None
    return {"system": system, "turns": turns, "tools": tools, "params": params}


DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens; used when the source request had none


def build_request(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    """A messages request for ``model`` from a ``conversation()`` of any API."""
    messages: list[dict[str, Any]] = []

    def add(role: str, content: list[dict[str, Any]]) -> None:
        if messages and messages[-1]["role"] == role:  # results and the next user text share one user turn
            messages[-1]["content"].extend(content)
        else:
            messages.append({"role": role, "content": content})

    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": turn["call_id"], "content": turn["content"]}
            if turn.get("is_error"):
                block["is_error"] = True
            add("user", [block])
        elif turn["role"] == "assistant":
            content = [{"type": "text", "text": turn["text"]}] if turn["text"] else []
            content += [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["arguments"]} for c in turn["calls"]]
            add("assistant", content)
        else:
            add("user", [{"type": "text", "text": turn["text"]}])
    params = neutral["params"]
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": params.get("max_tokens") or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if neutral["system"]:
        request["system"] = neutral["system"]
    if neutral["tools"]:
        request["tools"] = [
            {"name": t["name"], "description": t["description"], "input_schema": t["parameters"] or {"type": "object"}}
            for t in neutral["tools"]
        ]
    for source, target in (("temperature", "temperature"), ("top_p", "top_p"), ("stop", "stop_sequences")):
        if params.get(source) is not None:
            request[target] = params[source]
    return request
