"""GitHub Copilot CLI session events (``~/.copilot/session-state/<session>/events.jsonl``) as traces.

Every line is ``{type, data, id, timestamp, parentId}``. ``assistant.message`` is one
llm step (its ``toolRequests`` are the calls it made; tokens from the
``assistant.usage`` event that follows it, else ``outputTokens``);
``tool.execution_start`` / ``tool.execution_complete`` are one tool step, paired by
``toolCallId``; ``session.error`` and failed tool executions are errors;
``assistant.turn_start`` / ``turn_end`` group the steps of one turn.
Not replayable: Copilot calls its models through GitHub's own service and the
file holds no request, only the conversation.
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
    read_jsonl,
    text_of,
)
from agentdbg.importers._shapes import chat_request, chat_response, function_call, replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_NOT_REPLAYABLE = "Copilot CLI sends its requests through GitHub's Copilot service; the file holds no request"
#: Event types that carry nothing a step needs (kept out of the tree; counted in the session attributes).
_QUIET = {
    "session.info",
    "session.warning",
    "session.idle",
    "session.title_changed",
    "session.mode_changed",
    "session.plan_changed",
    "session.context_changed",
    "session.usage_info",
    "session.workspace_file_changed",
    "session.compaction_start",
    "session.compaction_complete",
    "session.truncation",
    "session.resume",
    "session.handoff",
    "session.snapshot_rewind",
    "assistant.intent",
    "assistant.reasoning",
    "assistant.reasoning_delta",
    "assistant.message_delta",
    "assistant.streaming_delta",
    "tool.execution_partial_result",
    "tool.execution_progress",
    "tool.user_requested",
    "permission.requested",
    "permission.completed",
    "hook.start",
    "hook.end",
    "model.call_start",
    "model.call_end",
    "model.turn_started",
    "pending_messages.modified",
    "skill.invoked",
}


def sniff(head: bytes, path: Path) -> bool:
    objects = first_jsonl_objects(head, 4)
    if not objects:
        compact = head[:2048].replace(b" ", b"")
        return compact.startswith(b'{"type":"session.start","data":{') and b'"copilot' in compact
    first = objects[0]
    kind = str(first.get("type") or "")
    data = as_dict(first.get("data"))
    if kind == "session.start" and ("copilotVersion" in data or data.get("producer") == "copilot-agent"):
        return True
    dotted = [o for o in objects if "." in str(o.get("type") or "") and isinstance(o.get("data"), dict)]
    return (
        len(dotted) == len(objects)
        and any(str(o.get("type")).split(".")[0] in ("session", "assistant", "user", "tool") for o in objects)
        and all("timestamp" in o or "id" in o for o in objects)
    )


class _Importer:
    def __init__(self, path: Path) -> None:
        self.b = ImportBuilder(path, "copilot-cli")
        self.records = read_jsonl(path, self.b)
        self.root: Span | None = None
        self.turn: Span | None = None
        self.history: list[dict[str, Any]] = []
        self.model: str | None = None
        self.tools: dict[str, Span] = {}
        self.last_llm: Span | None = None
        self.sent_at: float | None = None
        self.meta: dict[str, Any] = {}
        self.quiet: dict[str, int] = {}
        self.pending_usage: tuple[int, dict[str, Any]] | None = None

    def parent(self) -> str | None:
        return self.turn.id if self.turn else (self.root.id if self.root else None)

    def run(self) -> Trace:
        start = next((parse_time(r.get("timestamp")) for _, r in self.records if r.get("timestamp")), None)
        self.root = self.b.add("agent", "copilot-cli session", started_at=start)
        for line, record in self.records:
            try:
                self.event(line, record)
            except (AttributeError, TypeError, KeyError, ValueError) as exc:
                self.b.problem(f"event has an unexpected shape ({exc}); kept raw", line, "warning")
                self.b.keep_unknown(f"{record.get('type')} (malformed)", line)
        if self.pending_usage is not None:
            self.b.problem(
                "assistant.usage with no assistant message after it; ignored", self.pending_usage[0], "info"
            )
        open_tools = [s for s in self.tools.values() if not s.ended]
        if open_tools:
            self.b.problem(
                f"{len(open_tools)} tool call(s) have no tool.execution_complete (run interrupted?); shown as incomplete",
                0,
                "info",
            )
        ends = [s.ended_at for s in self.b.spans if s.ended_at is not None]
        self.root.ended_at = max(ends, default=self.root.started_at)
        self.root.attributes.update({"session": self.meta, "other_events": self.quiet})
        if self.turn is not None and self.turn.ended_at is None:
            self.turn.ended = False
        session_id = self.meta.get("sessionId")
        return self.b.build(
            trace_id=session_id,
            name=f"copilot-cli {session_id or ''}".strip(),
            metadata={k: v for k, v in self.meta.items() if isinstance(v, (str, int, float))},
        )

    def event(self, line: int, record: dict[str, Any]) -> None:
        kind = str(record.get("type") or "")
        data = as_dict(record.get("data"))
        ts = parse_time(record.get("timestamp"))
        if kind == "session.start":
            self.meta = dict(data)
            self.model = data.get("selectedModel") or self.model
            assert self.root is not None
            self.root.attributes["context"] = data.get("context")
        elif kind == "session.model_change":
            self.model = data.get("newModel") or self.model
        elif kind == "system.message":
            self.history.append({"role": "system", "content": text_of(data.get("content"))})
        elif kind == "user.message":
            self.history.append({"role": "user", "content": text_of(data.get("content") or "")})
            self.sent_at = ts
        elif kind == "assistant.turn_start":
            self.turn = self.b.add(
                "agent",
                f"turn {data.get('turnId', '')}".strip(),
                parent_id=self.root.id if self.root else None,
                started_at=ts,
                attributes={"turn": data},
                ended=False,
                line=line,
            )
        elif kind == "assistant.turn_end":
            if self.turn is not None:
                self.turn.ended, self.turn.ended_at, self.turn.end_line = True, ts, line
            self.turn = None
        elif kind == "assistant.message":
            self.message(line, record, data, ts)
        elif kind == "assistant.usage":
            self.usage(line, data)
        elif kind == "tool.execution_start":
            self.tool_start(line, data, ts)
        elif kind == "tool.execution_complete":
            self.tool_complete(line, data, ts)
        elif kind in ("session.error", "abort"):
            message = str(data.get("message") or data.get("reason") or kind)
            self.b.add(
                "custom",
                f"copilot {kind}",
                parent_id=self.parent(),
                started_at=ts,
                error=ErrorInfo(type=str(data.get("errorType") or kind), message=message[:500]),
                attributes={"event": data},
                line=line,
            )
        elif kind == "session.shutdown":
            assert self.root is not None
            self.root.attributes["shutdown"] = data
        elif kind in ("subagent.started", "subagent.completed", "subagent.failed"):
            self.subagent(line, kind, data, ts)
        elif kind in _QUIET:
            self.quiet[kind] = self.quiet.get(kind, 0) + 1
        else:
            self.b.keep_unknown(kind or "event without type", line)
            self.quiet[kind] = self.quiet.get(kind, 0) + 1

    def message(self, line: int, record: dict[str, Any], data: dict[str, Any], ts: float | None) -> None:
        model = data.get("model") or self.model
        requests = [as_dict(r) for r in as_list(data.get("toolRequests"))]
        calls = [
            function_call(
                str(r.get("toolCallId") or ""), str(r.get("name") or "tool"), r.get("arguments") or {}
            )
            for r in requests
        ]
        text = text_of(data.get("content") or "")
        usage = make_usage(None, data.get("outputTokens")) if data.get("outputTokens") is not None else None
        started = self.sent_at if self.sent_at is not None and ts is not None and self.sent_at <= ts else ts
        self.last_llm = self.b.add(
            "llm",
            str(model or "copilot model"),
            id=data.get("messageId") or record.get("id"),
            parent_id=self.parent(),
            started_at=started,
            ended_at=ts,
            input={
                "provider": "openai",
                "api": "chat.completions",
                "request": chat_request(model, self.history),
            },
            output=chat_response(model, text, calls),
            usage=usage,
            attributes={
                "model": model,
                "reasoning": data.get("reasoningText"),
                **replay_info(False, _NOT_REPLAYABLE),
            },
            line=line,
        )
        assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            assistant["tool_calls"] = calls
        self.history.append(assistant)
        if self.pending_usage is not None:
            pending_line, pending = self.pending_usage
            self.pending_usage = None
            self.usage(pending_line, pending)
        for request, call in zip(requests, calls, strict=True):
            if call["id"] and call["id"] not in self.tools:
                self.tools[call["id"]] = self.b.add(
                    "tool",
                    str(request.get("name") or "tool"),
                    id=call["id"],
                    parent_id=self.parent(),
                    started_at=ts,
                    input={
                        "name": request.get("name"),
                        "arguments": request.get("arguments"),
                        "call_id": call["id"],
                    },
                    ended=False,
                    line=line,
                )
        self.sent_at = ts

    def usage(self, line: int, data: dict[str, Any]) -> None:
        target = self.last_llm
        if target is None or target.attributes.get("usage_event") is not None:
            self.pending_usage = (line, data)  # written before its message: given to the next one
            return
        # inputTokens counts the whole prompt, cache reads included (kept as the cached part);
        # cache writes are kept as an attribute so they are not added on top
        usage = make_usage(
            data.get("inputTokens"), data.get("outputTokens"), None, data.get("cacheReadTokens")
        )
        target.usage = usage
        target.attributes["usage_event"] = data
        if data.get("model") and not target.attributes.get("model"):  # the usage event names the model
            target.attributes["model"] = data["model"]
            target.name = str(data["model"])
            target.input["request"]["model"] = data["model"]

    def tool_start(self, line: int, data: dict[str, Any], ts: float | None) -> None:
        call_id = str(data.get("toolCallId") or "")
        span = self.tools.get(call_id)
        if span is None:
            span = self.tools[call_id or f"line{line}"] = self.b.add(
                "tool",
                str(data.get("toolName") or "tool"),
                id=call_id or None,
                parent_id=self.parent(),
                started_at=ts,
                input={"name": data.get("toolName"), "arguments": data.get("arguments"), "call_id": call_id},
                ended=False,
                line=line,
            )
        else:
            span.started_at = ts or span.started_at
            if data.get("toolName"):
                span.name = str(data["toolName"])
        span.attributes["start"] = {k: v for k, v in data.items() if k not in ("arguments",)}

    def tool_complete(self, line: int, data: dict[str, Any], ts: float | None) -> None:
        call_id = str(data.get("toolCallId") or "")
        span = self.tools.get(call_id)
        if span is None:
            self.b.problem(f"tool.execution_complete for unknown toolCallId {call_id!r}", line, "warning")
            self.tool_start(line, data, ts)
            span = self.tools[call_id or f"line{line}"]
        result = as_dict(data.get("result"))
        output = result.get("content", data.get("result"))
        error = None
        if data.get("success") is False or data.get("error"):
            detail = as_dict(data.get("error"))
            message = detail.get("message") or data.get("error") or output or "tool failed"
            error = ErrorInfo(type=str(detail.get("code") or "tool_error"), message=text_of(message)[:500])
        self.b.finish(span, ended_at=ts, output=output, error=error)
        span.end_line = line
        if result.get("detailedContent") is not None:
            span.attributes["detailed_result"] = result["detailedContent"]
        self.history.append({"role": "tool", "tool_call_id": call_id, "content": text_of(output or "")})
        self.sent_at = ts

    def subagent(self, line: int, kind: str, data: dict[str, Any], ts: float | None) -> None:
        call_id = str(data.get("toolCallId") or "")
        tool = self.tools.get(call_id)
        if tool is not None:
            tool.attributes.setdefault("subagent", []).append({"event": kind, **data})
        if kind == "subagent.failed":
            self.b.add(
                "custom",
                "copilot subagent failed",
                parent_id=tool.id if tool else self.parent(),
                started_at=ts,
                error=ErrorInfo(type="subagent_failed", message=text_of(data.get("error") or data)[:500]),
                line=line,
            )


def load(path: Path) -> Trace:
    return _Importer(path).run()


register(Importer("copilot-cli", "GitHub Copilot CLI session events (events.jsonl)", sniff, load))
