"""OpenHands event streams (a JSON list of action/observation events) as traces.

Each distinct ``tool_call_metadata.model_response`` (a full litellm chat
completion, repeated on actions and observations) becomes one llm step, counted
once; each tool-call action becomes a tool step finished by the observation whose
``cause`` names it. An agent ``message`` action (the agent talking to the user) is
an llm step whose answer is that message. The request is rebuilt from the events so
far (not replayable: the system prompt and tool definitions are not in the stream).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    parse_time,
    read_json_file,
    sniff_json_head,
    text_of,
)
from agentdbg.importers._shapes import chat_request, chat_response, replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import OPENAI_CHAT, usage_from_response


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if text.startswith(b"{") and b'"events"' in text[:200]:
        text = text[text.index(b'"events"') :]
    return (
        (text.startswith(b"[") or text.startswith(b'"events"'))
        and b'"source"' in text
        and (b'"action"' in text or b'"observation"' in text)
    )


def _error_of(event: dict[str, Any]) -> ErrorInfo | None:
    extras = as_dict(event.get("extras"))
    metadata = as_dict(extras.get("metadata"))
    exit_code = metadata.get("exit_code")
    if event.get("observation") == "error":
        return ErrorInfo(
            type="error_observation", message=text_of(event.get("content") or event.get("message"))[:500]
        )
    if isinstance(exit_code, int) and exit_code not in (0, -1):
        return ErrorInfo(type="exit_code", message=f"exit code {exit_code}")
    if event.get("success") is False:
        return ErrorInfo(
            type="tool_error", message=text_of(event.get("content") or event.get("message"))[:500]
        )
    return None


def _llm_step(
    b: ImportBuilder,
    parent: str,
    ts: float | None,
    index: int,
    model: Any,
    chat: list[dict[str, Any]],
    response: dict[str, Any],
    step_id: str | None,
) -> Span:
    """One llm step: the chat so far as the request, ``response`` (a chat completion) as the answer."""
    return b.add(
        "llm",
        str(model or "model"),
        id=step_id,
        parent_id=parent,
        started_at=ts,
        input={"provider": "openai", "api": "chat.completions", "request": chat_request(model, chat)},
        output=response,
        usage=usage_from_response(OPENAI_CHAT, response),
        attributes={
            "model": model,
            **replay_info(False, "the event stream keeps no system prompt or tool definitions"),
        },
        line=index + 1,
    )


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "openhands")
    data = read_json_file(path, b)
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    if not isinstance(data, list):
        if data is not None:
            b.problem(f"expected a JSON list of events, got {type(data).__name__}", 1, "error")
        return b.build()
    events = [e for e in data if isinstance(e, dict)]
    if len(events) != len(data):
        b.problem(f"{len(data) - len(events)} event(s) are not objects; skipped", 1, "warning", "events")
    times = [parse_time(e.get("timestamp")) for e in events]
    root = b.add(
        "agent",
        "openhands",
        started_at=min((t for t in times if t), default=None),
        ended_at=max((t for t in times if t), default=None),
    )
    chat: list[dict[str, Any]] = []
    llm_by_response: dict[str, Span] = {}
    tool_by_event: dict[Any, Span] = {}
    for index, event in enumerate(events):
        ts = times[index]
        meta = event.get("tool_call_metadata") if isinstance(event.get("tool_call_metadata"), dict) else None
        response = (
            meta.get("model_response") if meta and isinstance(meta.get("model_response"), dict) else None
        )
        if "action" in event:
            if event.get("action") == "message" and event.get("source") == "user":
                chat.append(
                    {
                        "role": "user",
                        "content": (event.get("args") or {}).get("content", event.get("message", "")),
                    }
                )
                b.add(
                    "custom",
                    "user message",
                    parent_id=root.id,
                    started_at=ts,
                    output=event.get("message"),
                    attributes={"event": event},
                    line=index + 1,
                )
                continue
            if event.get("action") == "message" and event.get("source") == "agent":
                text = str((event.get("args") or {}).get("content") or event.get("message") or "")
                model = response.get("model") if response else None
                key = str(response.get("id")) if response and response.get("id") else None
                if key is None or key not in llm_by_response:
                    answer = response if response else chat_response(model, text, [])
                    span = _llm_step(b, root.id, ts, index, model, chat, answer, key or None)
                    span.name = str(model or "agent message")
                    span.attributes["event_id"] = event.get("id")
                    if key is not None:
                        llm_by_response[key] = span
                chat.append({"role": "assistant", "content": text})
                continue
            if response is not None:
                response_id = str(response.get("id") or f"response-{index}")
                if response_id not in llm_by_response:
                    model = response.get("model")
                    llm_by_response[response_id] = _llm_step(
                        b, root.id, ts, index, model, chat, response, response_id
                    )
                    for choice in response.get("choices") or []:
                        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                            message = choice["message"]
                            chat.append(
                                {
                                    k: message.get(k)
                                    for k in ("role", "content", "tool_calls")
                                    if message.get(k) is not None
                                }
                            )
                name = str(meta.get("function_name") if meta else event.get("action"))
                tool = b.add(
                    "tool",
                    name,
                    id=meta.get("tool_call_id") if meta else None,
                    parent_id=root.id,
                    started_at=ts,
                    input={
                        "name": name,
                        "arguments": event.get("args"),
                        "call_id": meta.get("tool_call_id") if meta else None,
                    },
                    attributes={"action": event.get("action"), "event_id": event.get("id")},
                    ended=event.get("action") == "finish",
                    output=event.get("message") if event.get("action") == "finish" else None,
                    line=index + 1,
                )
                tool_by_event[event.get("id")] = tool
            else:
                b.add(
                    "custom",
                    f"action {event.get('action')}",
                    parent_id=root.id,
                    started_at=ts,
                    output=event.get("message"),
                    attributes={"event": event},
                    line=index + 1,
                )
        elif "observation" in event:
            observed = tool_by_event.get(event.get("cause"))
            content = event.get("content", event.get("message"))
            if observed is not None and not observed.ended:
                b.finish(observed, ended_at=ts, output=content, error=_error_of(event))
                observed.attributes["observation"] = {
                    k: v for k, v in event.items() if k not in ("tool_call_metadata", "content")
                }
                if meta:
                    chat.append(
                        {"role": "tool", "tool_call_id": meta.get("tool_call_id"), "content": content}
                    )
            else:
                b.add(
                    "custom",
                    f"observation {event.get('observation')}",
                    parent_id=root.id,
                    started_at=ts,
                    output=content,
                    error=_error_of(event),
                    attributes={"event": {k: v for k, v in event.items() if k != "tool_call_metadata"}},
                    line=index + 1,
                )
        else:
            b.keep_unknown("event without action/observation", index + 1)
            b.add(
                "custom", "event", parent_id=root.id, started_at=ts, attributes={"raw": event}, line=index + 1
            )
    return b.build(name="openhands")


register(
    Importer("openhands", "OpenHands event stream (JSON list of action/observation events)", sniff, load)
)
