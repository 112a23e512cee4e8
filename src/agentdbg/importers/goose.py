"""Goose sessions (``~/.local/share/goose/sessions/*.jsonl``, and a JSON session export) as traces.

Line 1 of the JSONL file is the session's metadata (``working_dir``, ``description``, token
totals); every further line is a message ``{role, created, content[]}`` whose blocks are
``text``, ``toolRequest`` (``id``, ``toolCall.value {name, arguments}``) and ``toolResponse``
(``id``, ``toolResult {status, value}``). A JSON export holds the same messages under
``conversation`` (or ``messages``). Each assistant message is one llm step; each toolRequest a
tool step closed by the toolResponse with its id (``status`` other than success, or
``isError``, is a failure). Goose records no per-call tokens and no model name, so the steps
are not replayable.
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

_NOT_REPLAYABLE = "Goose keeps the conversation but no model name, system prompt or tool definitions"
_META_KEYS = (
    "working_dir",
    "description",
    "schedule_id",
    "message_count",
    "total_tokens",
    "input_tokens",
    "output_tokens",
)


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    objects = first_jsonl_objects(head, 3)
    if objects and "working_dir" in objects[0] and "role" not in objects[0]:
        return len(objects) == 1 or any("role" in o and "content" in o for o in objects[1:])
    compact = text[:8192].replace(b" ", b"").replace(b"\n", b"")
    return (
        compact.startswith(b"{")
        and b'"working_dir":' in compact
        and (b'"conversation":' in compact or b'"toolRequest"' in compact)
    )


def _messages(
    path: Path, b: ImportBuilder
) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """The session's metadata, its messages (line, message) and the records that are neither."""
    head = sniff_json_head(path.read_bytes()[:65536])
    objects = first_jsonl_objects(head, 2)
    if (
        objects
        and "working_dir" in objects[0]
        and "role" not in objects[0]
        and (len(objects) > 1 or b"\n" in head.strip())
    ):
        records = read_jsonl(path, b)
        if not records:
            return {}, [], []
        others = [(line, r) for line, r in records[1:] if "role" not in r]
        for line, _ in others:  # not a message: kept on the session step, never dropped silently
            b.keep_unknown("record without role", line)
        messages = [(line, r) for line, r in records[1:] if "role" in r]
        return records[0][1], messages, [r for _, r in others]
    data = read_json_file(path, b)
    if not isinstance(data, dict):
        return {}, [], []
    listed = data.get("conversation", data.get("messages"))
    if isinstance(listed, dict):
        listed = listed.get("messages")
    return data, [(0, m) for m in as_list(listed) if isinstance(m, dict)], []


def _result(block: dict[str, Any]) -> tuple[Any, ErrorInfo | None]:
    result = as_dict(block.get("toolResult"))
    value = result.get("value", result.get("error"))
    content = as_dict(value).get("content", value) if isinstance(value, dict) else value
    status = str(result.get("status") or "success")
    if status != "success" or (isinstance(value, dict) and (value.get("isError") or value.get("is_error"))):
        return content, ErrorInfo(type="tool_error", message=text_of(result.get("error") or content)[:500])
    return content, None


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "goose")
    meta, messages, others = _messages(path, b)
    root = b.add(
        "agent",
        str(meta.get("description") or "goose session"),
        started_at=parse_time(messages[0][1].get("created")) if messages else None,
        attributes={k: meta[k] for k in _META_KEYS if k in meta},
    )
    if others:
        root.attributes["unknown_records"] = others
    history: list[dict[str, Any]] = []
    tools: dict[str, Span] = {}
    sent_at: float | None = None
    for index, (line, message) in enumerate(messages, start=1):
        where = line or index
        ts = parse_time(message.get("created"))
        blocks = [blk for blk in as_list(message.get("content")) if isinstance(blk, dict)]
        text = "\n".join(
            str(blk.get("text")) for blk in blocks if blk.get("type") == "text" and blk.get("text")
        )
        if message.get("role") == "assistant":
            requests = [blk for blk in blocks if blk.get("type") == "toolRequest"]
            calls = [
                function_call(
                    str(r.get("id") or ""),
                    str(as_dict(as_dict(r.get("toolCall")).get("value")).get("name") or "tool"),
                    as_dict(as_dict(r.get("toolCall")).get("value")).get("arguments") or {},
                )
                for r in requests
            ]
            b.add(
                "llm",
                "goose model",
                id=message.get("id"),
                parent_id=root.id,
                started_at=sent_at if sent_at is not None and ts is not None and sent_at <= ts else ts,
                ended_at=ts,
                input={
                    "provider": "openai",
                    "api": "chat.completions",
                    "request": chat_request(None, history),
                },
                output=chat_response(None, text, calls),
                attributes=replay_info(False, _NOT_REPLAYABLE),
                line=where,
            )
            history.append(
                {"role": "assistant", "content": text or None, **({"tool_calls": calls} if calls else {})}
            )
            for request, call in zip(requests, calls, strict=True):
                tool_call = as_dict(request.get("toolCall"))
                span = tools[call["id"]] = b.add(
                    "tool",
                    call["function"]["name"],
                    id=call["id"] or None,
                    parent_id=root.id,
                    started_at=ts,
                    input={
                        "name": call["function"]["name"],
                        "arguments": as_dict(tool_call.get("value")).get("arguments"),
                        "call_id": call["id"],
                    },
                    ended=False,
                    line=where,
                )
                if tool_call.get("status") not in (None, "success"):
                    b.finish(
                        span,
                        ended_at=ts,
                        error=ErrorInfo(
                            type="tool_call_error", message=text_of(tool_call.get("error") or tool_call)[:500]
                        ),
                    )
        else:
            for blk in blocks:
                if blk.get("type") != "toolResponse":
                    continue
                call_id = str(blk.get("id") or "")
                answered = tools.get(call_id)
                output, error = _result(blk)
                if answered is None:
                    b.problem(f"toolResponse for unknown toolRequest id {call_id!r}", where, "warning")
                    continue
                if not answered.ended:
                    b.finish(answered, ended_at=ts, output=output, error=error)
                    answered.end_line = where
                history.append({"role": "tool", "tool_call_id": call_id, "content": text_of(output)})
            if text:
                history.append({"role": "user", "content": text})
            sent_at = ts
    open_calls = [s for s in tools.values() if not s.ended]
    if open_calls:
        b.problem(f"{len(open_calls)} tool call(s) have no toolResponse; shown as incomplete", 0, "info")
    if meta.get("input_tokens") is not None or meta.get("output_tokens") is not None:
        # the only token counts Goose keeps: the session's, on the session step
        root.usage = make_usage(meta.get("input_tokens"), meta.get("output_tokens"), meta.get("total_tokens"))
    ends = [s.ended_at for s in b.spans if s.ended_at is not None]
    root.ended_at = max(ends, default=root.started_at)
    return b.build(
        name=str(meta.get("description") or path.stem), metadata={k: meta[k] for k in _META_KEYS if k in meta}
    )


register(Importer("goose", "Goose session (sessions/*.jsonl, or a JSON session export)", sniff, load))
