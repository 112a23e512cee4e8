"""Gemini CLI sessions (``~/.gemini/tmp/<project>/chats/session-*.json`` and the newer JSONL chats) as traces.

The JSON checkpoint is one object ``{sessionId, projectHash, startTime, lastUpdated, messages[]}``.
The JSONL chat starts with that object's header fields on line 1, then one message
per line; ``{"$set": {...}}`` lines update the header and a message written again
with the same ``id`` (once its tool calls finished) replaces the earlier copy; ``{"$rewindTo": id}`` drops that
message and every later one (an edited prompt).

Each ``gemini`` message is one llm step (tokens from ``tokens``: ``input`` counts
the cached part too, as Gemini reports it); each entry of its ``toolCalls`` is a
tool step with its result and status. The request is rebuilt as an OpenAI-style
chat (Gemini serves that API too) from the messages so far, so the step can be
forked; the system prompt and tool definitions are not in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_list,
    first_jsonl_objects,
    make_usage,
    parse_time,
    read_json_file,
    read_jsonl,
    sniff_json_head,
    text_of,
)
from agentdbg.importers._shapes import chat_request, chat_response, function_call, replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_HEADER_KEYS = ("sessionId", "projectHash", "startTime", "lastUpdated", "kind", "summary", "directories")
_REPLAY_NOTE = (
    "request rebuilt from the session as an OpenAI-compatible chat (Gemini's OpenAI endpoint); "
    "the system prompt and tool definitions are not in the file"
)


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if not text.startswith(b"{"):
        return False
    compact = text[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"")
    if b'"sessionId":' not in compact:
        return False
    if b'"projectHash":' in compact and b'"messages":' in compact:
        return True  # the JSON checkpoint
    objects = first_jsonl_objects(head, 4)
    if not objects or "sessionId" not in objects[0] or "type" in objects[0]:
        return False
    if "projectHash" in objects[0]:
        return True
    later = objects[1:]
    return "startTime" in objects[0] and any(
        o.get("type") in ("user", "gemini", "info", "error", "warning") or "$set" in o or "$rewindTo" in o
        for o in later
    )


def _text(content: Any) -> str:
    """A message's text: a string, or the ``text`` of each part of a Gemini ``parts`` list."""
    if isinstance(content, str):
        return content
    parts = [as_dict(part).get("text") for part in as_list(content)]
    return "\n".join(str(p) for p in parts if p)


def _result(call: dict[str, Any]) -> tuple[Any, str | None]:
    """(output the model got back, error message or ``None``) of one tool call."""
    outputs: list[Any] = []
    error: str | None = None
    for part in as_list(call.get("result")):
        response = as_dict(as_dict(as_dict(part).get("functionResponse")).get("response"))
        if "error" in response:
            error = text_of(response["error"])
            outputs.append(response["error"])
        elif "output" in response:
            outputs.append(response["output"])
        elif response:
            outputs.append(response)
    output: Any = outputs[0] if len(outputs) == 1 else (outputs or call.get("resultDisplay"))
    status = str(call.get("status") or "")
    if error is None and status and status not in ("success", "ok", "completed"):
        error = f"tool call {status}: {text_of(output)[:300]}" if output else f"tool call {status}"
    return output, error


def _messages(path: Path, b: ImportBuilder) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    """(header fields, messages with their line numbers) from either file shape."""
    head = sniff_json_head(path.read_bytes()[:4096]) if path.stat().st_size else b""
    as_json_object = head.startswith(b"{") and b'"messages"' in head
    if as_json_object:
        data = read_json_file(path, b)
        if isinstance(data, dict) and isinstance(data.get("messages"), list):
            return {k: data[k] for k in _HEADER_KEYS if k in data}, [
                (0, m) for m in data["messages"] if isinstance(m, dict)
            ]
        if data is not None:
            b.problem("expected an object with a messages list", 1, "error", "messages")
        return {}, []
    header: dict[str, Any] = {}
    order: list[str] = []
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, record in read_jsonl(path, b):
        if "$rewindTo" in record:  # the conversation goes back to just before that message
            target = str(record["$rewindTo"])
            if target in by_id:
                dropped = order[order.index(target) :]
                order = order[: order.index(target)]
                for key in dropped:
                    del by_id[key]
            else:
                b.problem(f"$rewindTo names an unknown message {target!r}; ignored", line, "warning")
        elif "$set" in record:
            # metadata patches; a ``messages`` patch resets the model's context (compression), not the record
            header.update({k: v for k, v in as_dict(record["$set"]).items() if k != "messages"})
        elif "projectHash" in record and "type" not in record and not order:
            header.update({k: v for k, v in record.items() if k != "messages"})
        elif "type" in record:
            key = str(record.get("id") or f"line{line}")
            if key not in by_id:
                order.append(key)
            by_id[key] = (line, record)  # the last copy of a message wins
        else:
            b.keep_unknown("line without type", line)
    return header, [by_id[key] for key in order]


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "gemini-cli")
    header, messages = _messages(path, b)
    root = b.add(
        "agent",
        "gemini-cli session",
        id=f"session-{header.get('sessionId', 'unknown')}",
        started_at=parse_time(header.get("startTime")),
        ended_at=parse_time(header.get("lastUpdated")),
        attributes={k: v for k, v in header.items() if k in _HEADER_KEYS},
    )
    history: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    sent_at: float | None = root.started_at
    open_calls = 0
    for index, (line, message) in enumerate(messages, start=1):
        kind = message.get("type")
        ts = parse_time(message.get("timestamp"))
        where = line or index
        if kind == "user":
            history.append({"role": "user", "content": _text(message.get("content"))})
            sent_at = ts
        elif kind == "gemini":
            open_calls += _model_turn(b, root, message, history, sent_at, ts, where)
            sent_at = ts
        elif kind == "error":
            b.add(
                "custom",
                "gemini-cli error",
                id=message.get("id"),
                parent_id=root.id,
                started_at=ts,
                output=_text(message.get("content")),
                error=ErrorInfo(type="gemini_cli_error", message=_text(message.get("content"))[:500]),
                line=where,
            )
        elif kind in ("info", "warning"):
            notes.append(
                {"type": kind, "timestamp": message.get("timestamp"), "content": message.get("content")}
            )
        else:
            b.keep_unknown(f"message type {kind}", where)
            root.attributes.setdefault("unknown_messages", []).append(message)
    if notes:
        root.attributes["notes"] = notes
    if open_calls:
        b.problem(
            f"{open_calls} tool call(s) have no result (run interrupted?); shown as incomplete", 0, "info"
        )
    ends = [s.ended_at for s in b.spans if s.ended_at is not None]
    root.ended_at = max([*ends, root.ended_at or 0.0]) or None
    return b.build(
        trace_id=header.get("sessionId"),
        name=str(header.get("summary") or f"gemini-cli {header.get('sessionId', '')}".strip()),
        metadata={k: v for k, v in header.items() if k in _HEADER_KEYS},
    )


def _model_turn(
    b: ImportBuilder,
    root: Span,
    message: dict[str, Any],
    history: list[dict[str, Any]],
    sent_at: float | None,
    ts: float | None,
    line: int,
) -> int:
    """Add the llm step of one ``gemini`` message and its tool steps; return how many calls stayed open."""
    model = message.get("model")
    tokens = as_dict(message.get("tokens"))
    usage = make_usage(
        tokens.get("input"),
        tokens.get("output"),
        tokens.get("total"),
        tokens.get("cached"),
        None,
        tokens.get("thoughts"),
    )
    calls = [as_dict(c) for c in as_list(message.get("toolCalls"))]
    text = _text(message.get("content"))
    wire_calls = [
        function_call(str(c.get("id") or f"call{i}"), str(c.get("name") or "tool"), c.get("args") or {})
        for i, c in enumerate(calls)
    ]
    wire_usage = (
        {
            "prompt_tokens": tokens.get("input"),
            "completion_tokens": tokens.get("output"),
            "total_tokens": tokens.get("total"),
            "prompt_tokens_details": {"cached_tokens": tokens.get("cached")},
        }
        if tokens
        else None
    )
    b.add(
        "llm",
        str(model or "gemini"),
        id=message.get("id"),
        parent_id=root.id,
        started_at=sent_at if sent_at is not None and ts is not None and sent_at <= ts else ts,
        ended_at=ts,
        input={"provider": "openai", "api": "chat.completions", "request": chat_request(model, history)},
        output=chat_response(model, text, wire_calls, wire_usage),
        usage=usage,
        attributes={
            "model": model,
            "thoughts": message.get("thoughts"),
            "tokens": tokens or None,
            **replay_info(bool(history), _REPLAY_NOTE if history else "no user message precedes this answer"),
        },
        line=line,
    )
    assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
    if wire_calls:
        assistant["tool_calls"] = wire_calls
    history.append(assistant)
    open_calls = 0
    for call, wire in zip(calls, wire_calls, strict=True):
        output, error = _result(call)
        done = bool(call.get("result")) or call.get("status") not in (None, "", "executing", "scheduled")
        tool = b.add(
            "tool",
            str(call.get("name") or "tool"),
            id=wire["id"],
            parent_id=root.id,
            started_at=ts,
            ended_at=parse_time(call.get("timestamp")) or ts,
            input={"name": call.get("name"), "arguments": call.get("args"), "call_id": wire["id"]},
            output=output if done else None,
            error=ErrorInfo(type="tool_error", message=error[:500]) if error and done else None,
            attributes={
                k: call.get(k)
                for k in ("status", "displayName", "description", "resultDisplay")
                if call.get(k) is not None
            },
            ended=done,
            line=line,
        )
        if not done:
            open_calls += 1
        history.append(
            {"role": "tool", "tool_call_id": tool.id, "content": text_of(output) if output else ""}
        )
    return open_calls


register(Importer("gemini-cli", "Gemini CLI session (session-*.json checkpoint or JSONL chat)", sniff, load))
