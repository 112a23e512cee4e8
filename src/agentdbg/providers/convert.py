"""Translate a request between APIs (``--provider``): chat.completions, responses and messages, through one neutral form.

Text, tool calls, tool results, tool definitions and the common sampling parameters carry over;
reasoning/thinking blocks are dropped (they are provider-specific). Images and other
non-text content are refused with a clear error rather than silently lost.
"""

from __future__ import annotations

import json
from typing import Any

from agentdbg.errors import ReplayError
from agentdbg.model.views import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES

DEFAULT_MAX_TOKENS = 4096
_SKIPPED_PARTS = ("thinking", "redacted_thinking", "reasoning")


class ConversionError(ReplayError):
    """A request holds something the target API has no equivalent for (bad input for ``--provider``)."""

    exit_code = 2


def _text(content: Any, where: str) -> str:
    """The text of a content value (string or parts); refuses parts that are not text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content if isinstance(content, list) else [content]:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(part, str):
            texts.append(part)
        elif kind in ("text", "input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        elif kind in _SKIPPED_PARTS:
            continue
        else:
            raise ConversionError(
                f"cannot convert {kind or type(part).__name__} content in {where} to another provider"
            )
    return "\n".join(texts)


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {"_raw_arguments": raw}
    return raw if raw is not None else {}


def _assistant(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The current assistant turn to add calls to (a new one unless the last turn is an assistant's)."""
    if turns and turns[-1]["role"] == "assistant":
        return turns[-1]
    turns.append({"role": "assistant", "text": "", "calls": []})
    return turns[-1]


def _from_chat(request: dict[str, Any]) -> dict[str, Any]:
    systems, turns = [], []
    for index, message in enumerate(request.get("messages") or []):
        role, where = message.get("role"), f"messages[{index}]"
        if role in ("system", "developer"):
            systems.append(_text(message.get("content"), where))
        elif role == "tool":
            turns.append(
                {
                    "role": "tool",
                    "call_id": message.get("tool_call_id"),
                    "content": _text(message.get("content"), where),
                }
            )
        elif role == "assistant":
            calls = [
                {
                    "id": c.get("id"),
                    "name": (c.get("function") or {}).get("name"),
                    "arguments": _arguments((c.get("function") or {}).get("arguments")),
                }
                for c in message.get("tool_calls") or []
            ]
            turns.append({"role": "assistant", "text": _text(message.get("content"), where), "calls": calls})
        else:
            turns.append({"role": "user", "text": _text(message.get("content"), where)})
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


def _from_responses(request: dict[str, Any]) -> dict[str, Any]:
    systems = [_text(request.get("instructions"), "instructions")] if request.get("instructions") else []
    turns: list[dict[str, Any]] = []
    items = request.get("input")
    for index, item in enumerate(
        [{"role": "user", "content": items}] if isinstance(items, str) else items or []
    ):
        kind, where = item.get("type", "message"), f"input[{index}]"
        if kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "name": item.get("name"),
                "arguments": _arguments(item.get("arguments")),
            }
            _assistant(turns)["calls"].append(call)
        elif kind == "function_call_output":
            turns.append(
                {"role": "tool", "call_id": item.get("call_id"), "content": _text(item.get("output"), where)}
            )
        elif kind == "reasoning":
            continue
        elif kind == "message" or "role" in item:
            role = item.get("role")
            if role in ("system", "developer"):
                systems.append(_text(item.get("content"), where))
            elif role == "assistant":
                turn = _assistant(turns)
                turn["text"] = "\n".join(t for t in (turn["text"], _text(item.get("content"), where)) if t)
            else:
                turns.append({"role": "user", "text": _text(item.get("content"), where)})
        else:
            raise ConversionError(f"cannot convert a {kind} item ({where}) to another provider")
    tools = [
        {"name": t.get("name"), "description": t.get("description", ""), "parameters": t.get("parameters")}
        for t in request.get("tools") or []
        if t.get("type") == "function"
    ]
    params = {
        "max_tokens": request.get("max_output_tokens"),
        "temperature": request.get("temperature"),
        "top_p": request.get("top_p"),
    }
    return {"system": "\n\n".join(systems) or None, "turns": turns, "tools": tools, "params": params}


def _from_anthropic(request: dict[str, Any]) -> dict[str, Any]:
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(request.get("messages") or []):
        where, content = f"messages[{index}]", message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if message.get("role") == "assistant":
            turn: dict[str, Any] = {"role": "assistant", "text": "", "calls": []}
            for block in blocks:
                if block.get("type") == "tool_use":
                    turn["calls"].append(
                        {
                            "id": block.get("id"),
                            "name": block.get("name"),
                            "arguments": block.get("input") or {},
                        }
                    )
                else:
                    turn["text"] = "\n".join(t for t in (turn["text"], _text([block], where)) if t)
            turns.append(turn)
            continue
        texts = []
        for block in blocks:
            if block.get("type") == "tool_result":
                result = _text(block.get("content"), where)
                turns.append(
                    {
                        "role": "tool",
                        "call_id": block.get("tool_use_id"),
                        "content": result,
                        "is_error": bool(block.get("is_error")),
                    }
                )
            else:
                texts.append(_text([block], where))
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
    system = _text(request.get("system"), "system") if request.get("system") else None
    return {"system": system, "turns": turns, "tools": tools, "params": params}


def _to_chat(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = (
        [{"role": "system", "content": neutral["system"]}] if neutral["system"] else []
    )
    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            messages.append({"role": "tool", "tool_call_id": turn["call_id"], "content": turn["content"]})
        elif turn["role"] == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": turn["text"] or None}
            if turn["calls"]:
                message["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for c in turn["calls"]
                ]
            messages.append(message)
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


def _to_responses(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            items.append(
                {"type": "function_call_output", "call_id": turn["call_id"], "output": turn["content"]}
            )
        elif turn["role"] == "assistant":
            if turn["text"]:
                items.append({"role": "assistant", "content": turn["text"]})
            items += [
                {
                    "type": "function_call",
                    "call_id": c["id"],
                    "name": c["name"],
                    "arguments": json.dumps(c["arguments"]),
                }
                for c in turn["calls"]
            ]
        else:
            items.append({"role": "user", "content": turn["text"]})
    request: dict[str, Any] = {"model": model, "input": items}
    if neutral["system"]:
        request["instructions"] = neutral["system"]
    if neutral["tools"]:
        request["tools"] = [
            {
                "type": "function",
                "name": t["name"],
                "description": t["description"],
                "parameters": t["parameters"] or {"type": "object"},
            }
            for t in neutral["tools"]
        ]
    params = neutral["params"]
    for source, target in (
        ("max_tokens", "max_output_tokens"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
    ):
        if params.get(source) is not None:
            request[target] = params[source]
    return request


def _to_anthropic(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if messages and messages[-1]["role"] == role:  # results and the next user text share one user turn
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})

    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": turn["call_id"],
                "content": turn["content"],
            }
            if turn.get("is_error"):
                block["is_error"] = True
            add("user", [block])
        elif turn["role"] == "assistant":
            blocks = [{"type": "text", "text": turn["text"]}] if turn["text"] else []
            blocks += [
                {"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["arguments"]}
                for c in turn["calls"]
            ]
            add("assistant", blocks)
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
            {
                "name": t["name"],
                "description": t["description"],
                "input_schema": t["parameters"] or {"type": "object"},
            }
            for t in neutral["tools"]
        ]
    for source, target in (("temperature", "temperature"), ("top_p", "top_p"), ("stop", "stop_sequences")):
        if params.get(source) is not None:
            request[target] = params[source]
    return request


_FROM = {OPENAI_CHAT: _from_chat, OPENAI_RESPONSES: _from_responses, ANTHROPIC_MESSAGES: _from_anthropic}
_TO = {OPENAI_CHAT: _to_chat, OPENAI_RESPONSES: _to_responses, ANTHROPIC_MESSAGES: _to_anthropic}


def convert_request(request: dict[str, Any], source_api: str, target_api: str, model: str) -> dict[str, Any]:
    """``request`` (for ``source_api``) rewritten for ``target_api`` and ``model``.

    Raises:
        ConversionError: for content that has no equivalent (images, files, hosted tools).
    """
    if source_api == target_api:
        return {**request, "model": model}
    return _TO[target_api](_FROM[source_api](request), model)
