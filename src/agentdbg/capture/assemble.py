"""Turn a captured SSE body into the final response object each API would have returned unstreamed.

Works on the raw events (not on SDK objects), so every way of consuming a
stream (iteration, ``.stream()`` helpers, raw responses) records the same thing.
A stream cut short assembles into what arrived so far and says it is incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass
class Assembled:
    """The response rebuilt from a stream, whether the stream reached its end, and any error event."""

    response: dict[str, Any] | None
    complete: bool
    error: dict[str, Any] | None = None


SSEEvents = list[tuple[str | None, str]] | list[tuple[str | None, bytes]]  # data as text or as raw bytes


def sse_events(body: bytes) -> list[tuple[str | None, bytes]]:
    """``(event, data)`` pairs of a text/event-stream body, data left as bytes (comments and empty events skipped)."""
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    events: list[tuple[str | None, bytes]] = []
    append = events.append
    for block in body.split(b"\n\n"):
        if block[:6] == b"data: " and b"\n" not in block:  # the common one-line event (OpenAI)
            append((None, block[6:]))
            continue
        name: str | None = None
        data: list[bytes] = []
        for line in block.split(b"\n"):
            if line[:5] == b"data:":
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[:6] == b"event:":
                name = (line[7:] if line[6:7] == b" " else line[6:]).decode("utf-8", errors="replace")
        if data:
            append((name, data[0] if len(data) == 1 else b"\n".join(data)))
    return events


def parse_sse(body: bytes) -> list[tuple[str | None, str]]:
    """``(event, data)`` pairs of a text/event-stream body (comments and empty events skipped)."""
    return [(name, data.decode("utf-8", errors="replace")) for name, data in sse_events(body)]


def _json_events(events: SSEEvents) -> tuple[list[tuple[str | None, Any]], bool]:
    """Parsed data of ``(event, data)`` pairs, data as str or bytes; and whether ``[DONE]`` was seen."""
    done_mark: Any = b"[DONE]" if events and isinstance(events[0][1], bytes) else "[DONE]"
    kept = [(name, data) for name, data in events if not data.startswith(done_mark)]
    done = len(kept) < len(events)
    try:  # one parse for the whole stream; fall back event by event if one is torn
        datas: list[Any] = [data for _, data in kept]
        if done_mark == b"[DONE]":
            values = orjson.loads(b"[" + b",".join(datas) + b"]")
        else:
            values = orjson.loads("[" + ",".join(datas) + "]")
        if len(values) == len(kept):
            return list(zip([name for name, _ in kept], values, strict=True)), done
    except orjson.JSONDecodeError:
        pass
    parsed: list[tuple[str | None, Any]] = []
    for name, data in kept:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        try:
            parsed.append((name, orjson.loads(text)))
        except orjson.JSONDecodeError:
            continue  # a torn last event of an abandoned stream
    return parsed, done


def _stream_error(name: str | None, obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    if name == "error" or obj.get("type") == "error" or (obj.get("error") and "choices" not in obj):
        err: dict[str, Any] = obj["error"] if isinstance(obj.get("error"), dict) else obj
        return {"type": "StreamError", "message": str(err.get("message", err)), "body": obj}
    return None


def assemble_chat(events: SSEEvents) -> Assembled:
    """``chat.completion.chunk`` deltas → one ``chat.completion`` (text pieces joined once, at the end)."""
    parsed, done = _json_events(events)
    result: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    pieces: dict[tuple[int, str], list[str]] = {}
    calls: dict[tuple[int, int], dict[str, Any]] = {}
    arguments: dict[tuple[int, int], list[str]] = {}
    error = None
    for name, chunk in parsed:
        if type(chunk) is not dict or "choices" not in chunk:
            error = error or _stream_error(name, chunk)
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
                message = {"role": "assistant", "content": None}
                entry = choices[index] = {"index": index, "message": message, "finish_reason": None}
            delta = choice.get("delta") or {}
            for key, value in delta.items():
                if key == "tool_calls":
                    for call in value or ():
                        slot_key = (index, call.get("index", 0))
                        slot = calls.get(slot_key)
                        if slot is None:
                            slot = calls[slot_key] = {
                                "id": None,
                                "type": "function",
                                "function": {"name": ""},
                            }
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
    return Assembled(result, done or finished, error)


def assemble_responses(events: SSEEvents) -> Assembled:
    """The responses event stream → its final ``response`` (or what arrived, if cut short)."""
    parsed, _ = _json_events(events)
    latest: dict[str, Any] | None = None
    items: dict[int, dict[str, Any]] = {}
    error = None
    for name, event in parsed:
        error = error or _stream_error(name, event)
        if not isinstance(event, dict):
            continue
        kind = event.get("type", name)
        if isinstance(event.get("response"), dict):
            latest = event["response"]
            if kind in ("response.completed", "response.incomplete", "response.failed"):
                if kind == "response.failed" and error is None:
                    failure = latest.get("error") or {}
                    error = {
                        "type": "ResponseFailed",
                        "message": str(failure.get("message", "")),
                        "body": failure,
                    }
                return Assembled(latest, True, error)
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
        return Assembled(None, False, error)
    partial = dict(latest, output=[items[i] for i in sorted(items)])
    return Assembled(partial, False, error)


def assemble_messages(events: SSEEvents) -> Assembled:
    """Anthropic ``message_start`` … ``message_stop`` → one ``message``."""
    parsed, _ = _json_events(events)
    message: dict[str, Any] | None = None
    blocks: dict[int, dict[str, Any]] = {}
    partial_json: dict[int, str] = {}
    complete = False
    error = None
    for name, event in parsed:
        error = error or _stream_error(name, event)
        if not isinstance(event, dict):
            continue
        kind = event.get("type", name)
        index = event.get("index", 0)
        if kind == "message_start":
            message = dict(event.get("message") or {})
        elif kind == "content_block_start":
            blocks[index] = dict(event.get("content_block") or {})
        elif kind == "content_block_delta":
            block = blocks.setdefault(index, {})
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
        elif kind == "message_delta" and message is not None:
            message.update(event.get("delta") or {})
            message["usage"] = {**(message.get("usage") or {}), **(event.get("usage") or {})}
        elif kind == "message_stop":
            complete = True
    for index, raw in partial_json.items():
        try:
            blocks.setdefault(index, {})["input"] = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            blocks.setdefault(index, {})["input"] = raw  # cut short mid-arguments: keep the text
    if message is not None:
        message["content"] = [blocks[i] for i in sorted(blocks)]
    return Assembled(message, complete, error)


ASSEMBLERS = {
    "chat.completions": assemble_chat,
    "responses": assemble_responses,
    "messages": assemble_messages,
}
