"""The ``openai.responses`` wire format: ``input``/``output`` item lists and the responses event stream."""

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

API = "openai.responses"
PROVIDER = "openai"
SYSTEM_FIELD = "instructions"  # request field holding the system prompt apart from the history
PATH = "responses"

CALL_TYPES = ("function_call", "custom_tool_call")
OUTPUT_TYPES = ("function_call_output", "custom_tool_call_output")


# --- request / response → neutral messages -------------------------------------------------------------


def _items(items: Any, default_role: str) -> list[dict[str, Any]]:
    if isinstance(items, str):
        return [message(normalise_role(default_role), items)]
    messages: list[dict[str, Any]] = []
    pending_reasoning: list[str] = []
    for item in items or []:
        if not isinstance(item, dict):
            messages.append(message("user", json_text(item)))
            continue
        kind = item.get("type", "message")
        if kind == "message" or ("role" in item and kind not in ("function_call", "function_call_output")):
            text, attachments, reasoning = split_content(item.get("content"))
            role = normalise_role(item.get("role"), default_role)
            messages.append(message(role, text, attachments=attachments, reasoning=pending_reasoning + reasoning))
            pending_reasoning = []
        elif kind in CALL_TYPES:
            call = tool_call(
                item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments", item.get("input"))
            )
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and not last["tool_call_id"]:
                last["tool_calls"].append(call)
            else:
                messages.append(message("assistant", tool_calls=[call], reasoning=pending_reasoning))
                pending_reasoning = []
        elif kind in OUTPUT_TYPES:
            output = item.get("output")
            text, attachments, _ = split_content(output) if isinstance(output, list) else (json_text(output), [], [])
            messages.append(message("tool", text, tool_call_id=item.get("call_id"), attachments=attachments))
        elif kind == "reasoning":
            summary = [str(s.get("text", "")) for s in item.get("summary") or [] if isinstance(s, dict)]
            content = [str(s.get("text", "")) for s in item.get("content") or [] if isinstance(s, dict)]
            pending_reasoning.extend(summary + content or ["(reasoning, encrypted)"])
        else:
            messages.append(message("assistant" if default_role == "assistant" else "user", json_text(item)))
    if pending_reasoning:
        messages.append(message("assistant", reasoning=pending_reasoning))
    return messages


def request_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """``instructions`` (as a system message) and every ``input`` item, as neutral messages."""
    messages: list[dict[str, Any]] = []
    if request.get("instructions"):
        messages.append(message("system", json_text(request["instructions"])))
    messages.extend(_items(request.get("input"), "user"))
    return messages


def response_messages(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The output items as neutral messages, one assistant turn's text, reasoning and calls together."""
    merged: list[dict[str, Any]] = []
    for msg in _items(response.get("output"), "assistant"):
        if merged and msg["role"] == "assistant" and merged[-1]["role"] == "assistant":
            last = merged[-1]
            last["text"] = "\n".join(t for t in (last["text"], msg["text"]) if t)
            last["tool_calls"].extend(msg["tool_calls"])
            last["reasoning"].extend(msg["reasoning"])
            last["attachments"].extend(msg["attachments"])
        else:
            merged.append(msg)
    return merged


def request_tools(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The named tools the request offered."""
    return [
        tool_spec(tool["name"], tool.get("description"), tool.get("parameters"))
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and tool.get("name")
    ]


# --- what a response says --------------------------------------------------------------------------------


def strip_none(value: Any) -> Any:
    """``value`` without ``None`` entries at any depth (output items carry many unset fields)."""
    if isinstance(value, dict):
        return {key: strip_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [strip_none(item) for item in value]
    return value


def input_items(value: Any) -> list[Any]:
    """The ``input`` of a request as a list (a bare string is one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(value)


def tool_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The function and custom tool calls among the output items, as neutral tool calls."""
    return [
        tool_call(item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments", item.get("input")))
        for item in response.get("output") or []
        if isinstance(item, dict) and item.get("type") in CALL_TYPES
    ]


def final_text(response: dict[str, Any]) -> str:
    """The text of the output messages."""
    texts = []
    for item in response.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") in ("output_text", "text"):
                    texts.append(str(part.get("text", "")))
    return "\n".join(texts)


def finish_reason(response: dict[str, Any]) -> str | None:
    """Why it was incomplete (``max_output_tokens``, ...), else its ``status`` (the API has no finish reason)."""
    details = response.get("incomplete_details")
    if isinstance(details, dict) and details.get("reason"):
        return str(details["reason"])
    return response.get("status")


def finish_reasons(response: dict[str, Any]) -> list[str]:
    """The response's ``status`` (its only stop reason), as a one-item list."""
    return [str(response["status"])] if response.get("status") else []


def usage(response: dict[str, Any]) -> dict[str, Any] | None:
    """Neutral token counts (``None`` when the response holds none)."""
    raw = raw_usage(response)
    return openai_usage(raw, ("input", "output")) if raw is not None else None


# --- streams ---------------------------------------------------------------------------------------------


def assemble(events: sse.SSEEvents, loads: sse.Loads = json.loads) -> sse.Assembled:
    """The responses event stream → its final ``response`` (or what arrived, if cut short)."""
    parsed, _ = sse.json_events(events, loads)
    latest: dict[str, Any] | None = None
    items: dict[int, dict[str, Any]] = {}
    error = None
    for name, event in parsed:
        error = error or sse.stream_error(name, event)
        if not isinstance(event, dict):
            continue
        kind = event.get("type", name)
        if isinstance(event.get("response"), dict):
            latest = event["response"]
            if kind in ("response.completed", "response.incomplete", "response.failed"):
                if kind == "response.failed" and error is None:
                    failure = latest.get("error") or {}
                    error = {"type": "ResponseFailed", "message": str(failure.get("message", "")), "body": failure}
                return sse.Assembled(latest, True, error)
        elif kind == "response.output_item.added" or kind == "response.output_item.done":
            items[event.get("output_index", len(items))] = dict(event.get("item") or {})
        elif kind == "response.output_text.delta":
            item = items.setdefault(event.get("output_index", 0), {"type": "message", "content": []})
            content = item.setdefault("content", [])
            if not content:
                content.append({"type": "output_text", "text": ""})
            content[-1]["text"] = content[-1].get("text", "") + event.get("delta", "")
        elif kind == "response.function_call_arguments.delta":
            item = items.setdefault(event.get("output_index", 0), {"type": "function_call", "arguments": ""})
            item["arguments"] = item.get("arguments", "") + event.get("delta", "")
    if latest is None:
        return sse.Assembled(None, False, error)
    return sse.Assembled(dict(latest, output=[items[i] for i in sorted(items)]), False, error)


def assemble_sse(body: bytes) -> dict[str, Any] | None:
    """The ``response`` a streamed body adds up to (what arrived, if it was cut short)."""
    return assemble(sse.sse_events(body)).response


def _item_events(index: int, item: dict[str, Any], event: Any) -> Iterator[sse.Event]:
    ids = {"item_id": item.get("id"), "output_index": index}
    kind = item.get("type")
    if kind == "reasoning":
        yield event("response.output_item.added", output_index=index, item=dict(item, summary=[]))
        for part_index, part in enumerate(item.get("summary") or []):
            text = part.get("text", "")
            at = dict(ids, summary_index=part_index)
            yield event("response.reasoning_summary_part.added", **at, part={"type": "summary_text", "text": ""})
            for piece in sse.split_text(text):
                yield event("response.reasoning_summary_text.delta", **at, delta=piece)
            yield event("response.reasoning_summary_text.done", **at, text=text)
            yield event("response.reasoning_summary_part.done", **at, part={"type": "summary_text", "text": text})
    elif kind == "message":
        yield event("response.output_item.added", output_index=index, item=dict(item, status="in_progress", content=[]))
        for part_index, part in enumerate(item.get("content") or []):
            at = dict(ids, content_index=part_index)
            if part.get("type") != "output_text":
                yield event("response.content_part.added", **at, part=part)
                yield event("response.content_part.done", **at, part=part)
                continue
            text = part.get("text", "")
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield event("response.content_part.added", **at, part=empty)
            for piece in sse.split_text(text):
                yield event("response.output_text.delta", **at, delta=piece, logprobs=[])
            yield event("response.output_text.done", **at, text=text, logprobs=[])
            yield event("response.content_part.done", **at, part=part)
    elif kind == "function_call":
        yield event("response.output_item.added", output_index=index, item=dict(item, arguments="", status="in_progress"))
        arguments = item.get("arguments") or ""
        for piece in sse.split_json(arguments):
            yield event("response.function_call_arguments.delta", **ids, delta=piece)
        yield event("response.function_call_arguments.done", **ids, name=item.get("name"), arguments=arguments)
    else:  # hosted tool calls and anything newer: the item whole
        yield event("response.output_item.added", output_index=index, item=item)
    yield event("response.output_item.done", output_index=index, item=item)


def events(response: dict[str, Any]) -> Iterator[sse.Event]:
    """The event stream the API sends for ``response``, from ``response.created`` to its final event."""
    seq = iter(range(1_000_000_000))

    def event(kind: str, **data: Any) -> sse.Event:
        return (kind, {"type": kind, "sequence_number": next(seq), **data})

    started = dict(response, status="in_progress", completed_at=None, incomplete_details=None, usage=None, output=[])
    if "completed_at" not in response:
        started.pop("completed_at")
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(response.get("output") or []):
        yield from _item_events(index, item, event)
    status = response.get("status")
    kind = {"incomplete": "response.incomplete", "failed": "response.failed"}.get(str(status), "response.completed")
    yield event(kind, response=response)


def sse_body(response: dict[str, Any]) -> bytes:
    """The whole ``text/event-stream`` body the API would stream for ``response``."""
    return sse.encode(events(response))


# --- between APIs ----------------------------------------------------------------------------------------


def _assistant_turn(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The current assistant turn to add calls to (a new one unless the last turn is an assistant's)."""
    if turns and turns[-1]["role"] == "assistant":
        return turns[-1]
    turns.append({"role": "assistant", "text": "", "calls": []})
    return turns[-1]


def conversation(request: dict[str, Any]) -> dict[str, Any]:
    """``{system, turns, tools, params}`` of a request (text, tool calls and results only).

    Raises:
        ConversionError: for content or items another API cannot carry.
    """
    from agentdbg.errors import ConversionError

    systems = [conversion_text(request.get("instructions"), "instructions")] if request.get("instructions") else []
    turns: list[dict[str, Any]] = []
    for index, item in enumerate(input_items(request.get("input"))):
        kind, where = item.get("type", "message"), f"input[{index}]"
        if kind == "function_call":
            call = {"id": item.get("call_id"), "name": item.get("name"), "arguments": conversion_arguments(item.get("arguments"))}
            _assistant_turn(turns)["calls"].append(call)
        elif kind == "function_call_output":
            turns.append({"role": "tool", "call_id": item.get("call_id"), "content": conversion_text(item.get("output"), where)})
        elif kind == "reasoning":
            continue
        elif kind == "message" or "role" in item:
            role = item.get("role")
            if role in ("system", "developer"):
                systems.append(conversion_text(item.get("content"), where))
            elif role == "assistant":
                turn = _assistant_turn(turns)
                turn["text"] = "\n".join(t for t in (turn["text"], conversion_text(item.get("content"), where)) if t)
            else:
                turns.append({"role": "user", "text": conversion_text(item.get("content"), where)})
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


def build_request(neutral: dict[str, Any], model: str) -> dict[str, Any]:
    """A responses request for ``model`` from a ``conversation()`` of any API."""
    items: list[dict[str, Any]] = []
    for turn in neutral["turns"]:
        if turn["role"] == "tool":
            items.append({"type": "function_call_output", "call_id": turn["call_id"], "output": turn["content"]})
        elif turn["role"] == "assistant":
            if turn["text"]:
                items.append({"role": "assistant", "content": turn["text"]})
            items += [
                {"type": "function_call", "call_id": c["id"], "name": c["name"], "arguments": json.dumps(c["arguments"])}
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
    for source, target in (("max_tokens", "max_output_tokens"), ("temperature", "temperature"), ("top_p", "top_p")):
        if params.get(source) is not None:
            request[target] = params[source]
    return request
