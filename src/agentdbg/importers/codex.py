"""OpenAI Codex CLI rollouts (``~/.codex/sessions/**/rollout-*.jsonl``), modern and legacy, as traces.

Modern files wrap every line in ``{timestamp, type, payload}``; legacy files hold
bare response items plus ``{"record_type": "state"}`` lines. Consecutive model
output items (message, reasoning, function_call) form one llm step, expressed as
an OpenAI Responses request (all items so far as ``input``) and response.
Token counts come from ``last_token_usage`` (the per-call delta), never the
cumulative ``total_token_usage``. Recent CLI versions add tool events
(``exec_command_end``, ``mcp_tool_call_end``, ``patch_apply_end``, ``web_search_end``) and
items (``web_search_call``, ``tool_search_call``): they are tool steps, merged by ``call_id``
with the item that asked for them (see ``_codex_tools``). Times before 2000 or after 2100
(counters, not clock times) are ignored. llm steps are replayable as Responses requests
(``instructions`` from the session, the conversation so far; tool definitions are not in the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._codex_tools import QUIET_EVENTS, split_event, tool_event, tool_output
from agentdbg.importers._common import (
    ImportBuilder,
    first_jsonl_objects,
    make_usage,
    maybe_json,
    parse_time,
    read_jsonl,
    text_of,
)
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_ENVELOPE_TYPES = {"session_meta", "turn_context", "response_item", "event_msg", "compacted"}
_CALL_ITEMS = ("function_call", "custom_tool_call", "local_shell_call", "web_search_call", "tool_search_call")
_OUTPUT_ITEMS = {"reasoning", *_CALL_ITEMS}
_INPUT_ITEMS = {
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
    "tool_search_output",
}
_QUIET_ITEMS = {"ghost_snapshot"}  # git snapshots for /undo
_CLOCK = (946684800.0, 4102444800.0)  # 2000-01-01 .. 2100-01-01: anything else is not a clock time
_REPLAY_NOTE = (
    "Responses request rebuilt from the rollout (session instructions and the items so far); "
    "the tool definitions are not in the file, so a fork offers none"
)


def _clock(value: float | None) -> float | None:
    return value if value is not None and _CLOCK[0] <= value <= _CLOCK[1] else None


_DUPLICATE_EVENTS = {
    "user_message",
    "agent_message",
    "agent_reasoning",
    "token_count",
    "task_started",
    "task_complete",
}


def sniff(head: bytes, path: Path) -> bool:
    objects = first_jsonl_objects(head, 6)
    if not objects:  # a first line longer than the sniffed head
        compact = head[:4096].replace(b" ", b"")
        return compact.startswith(b'{"timestamp":') and b'"type":"session_meta","payload":{' in compact
    first = objects[0]
    if first.get("type") == "session_meta" and isinstance(first.get("payload"), dict):
        return True
    if {o.get("type") for o in objects} & _ENVELOPE_TYPES and all(
        "payload" in o and "timestamp" in o for o in objects
    ):
        return True
    legacy_meta = "id" in first and "timestamp" in first and ("instructions" in first or "git" in first)
    return legacy_meta and any(
        o.get("record_type") == "state" or o.get("type") in ("message", "reasoning", "function_call")
        for o in objects[1:]
    )


class _Importer:
    def __init__(self, path: Path) -> None:
        self.b = ImportBuilder(path, "codex")
        self.records = read_jsonl(path, self.b)
        self.items: list[dict[str, Any]] = []  # the conversation so far (responses input items)
        self.meta: dict[str, Any] = {}
        self.model: str | None = None
        self.instructions: Any = None
        self.root: Span | None = None
        self.turn: Span | None = None
        self.current_llm: Span | None = None
        self.tools: dict[str, Span] = {}
        self.pending_usage: list[Span] = []
        self.legacy = False
        self.sent_at: float | None = None  # time of the last input item: when the next request went out
        self.quiet: dict[str, int] = {}

    def parent(self) -> str | None:
        return self.turn.id if self.turn else (self.root.id if self.root else None)

    def run(self) -> Trace:
        if not self.records:
            return self.b.build()
        first_line, first = self.records[0]
        self.legacy = first.get("type") != "session_meta" and "payload" not in first
        for line, record in self.records:
            try:
                if self.legacy:
                    self.legacy_record(line, record)
                else:
                    self.envelope(line, record)
            except (AttributeError, TypeError, KeyError, ValueError) as exc:
                self.b.problem(f"record has an unexpected shape ({exc}); kept raw", line, "warning")
                self.keep(line, record, "malformed")
        self.end_llm()
        if self.root is not None and self.quiet:
            self.root.attributes["other_events"] = dict(sorted(self.quiet.items()))
        if self.root is not None:
            ends = [s.ended_at for s in self.b.spans if s.ended_at is not None]
            self.root.ended_at = max(ends, default=self.root.started_at)
        if self.turn is not None and self.turn.ended_at is None:
            self.turn.ended = False
        open_tools = sum(1 for span in self.tools.values() if not span.ended)
        if open_tools:
            self.b.problem(
                f"{open_tools} function call(s) have no output (run interrupted?); shown as incomplete",
                0,
                "info",
            )
        if self.legacy:
            self.b.problem(
                "legacy Codex rollout: items carry no timestamps, model name or token counts", 0, "info"
            )
        return self.b.build(
            trace_id=self.meta.get("id"), name=f"codex {self.meta.get('id', '')}".strip(), metadata=self.meta
        )

    def keep(self, line: int, record: dict[str, Any], label: str) -> None:
        self.b.keep_unknown(label, line)
        target = self.turn or self.root
        if target is not None:
            target.attributes.setdefault("unknown_records", []).append(record)
        else:
            self.b.add("custom", f"codex {label}", attributes={"raw": record}, line=line)

    def start_session(self, line: int, meta: dict[str, Any], ts: float | None) -> None:
        self.meta = {k: v for k, v in meta.items() if k not in ("instructions", "base_instructions")}
        self.instructions = (
            meta.get("instructions") or (meta.get("base_instructions") or {}).get("text")
            if isinstance(meta, dict)
            else None
        )
        self.root = self.b.add(
            "agent",
            "codex session",
            id=meta.get("id"),
            started_at=ts,
            attributes={"session": self.meta},
            line=line,
        )

    # ---------------------------------------------------------------- modern

    def envelope(self, line: int, record: dict[str, Any]) -> None:
        kind = record.get("type")
        payload = record.get("payload")
        ts = _clock(parse_time(record.get("timestamp")))
        if kind == "session_meta" and isinstance(payload, dict):
            self.start_session(line, payload, ts)
        elif kind == "turn_context" and isinstance(payload, dict):
            self.model = payload.get("model") or self.model
            if self.turn is not None:
                self.turn.attributes["turn_context"] = payload
        elif kind == "response_item" and isinstance(payload, dict):
            self.item(line, payload, ts)
        elif kind == "event_msg" and isinstance(payload, dict):
            self.event(line, payload, ts)
        elif kind == "compacted":
            self.end_llm()
            self.items = [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text_of(payload)}],
                }
            ]
            self.b.add(
                "custom",
                "context compacted",
                parent_id=self.parent(),
                started_at=ts,
                output=payload,
                line=line,
            )
        else:
            self.keep(line, record, str(kind))

    def event(self, line: int, payload: dict[str, Any], ts: float | None) -> None:
        kind = payload.get("type")
        if kind == "task_started":
            self.end_llm()
            self.turn = self.b.add(
                "agent",
                "turn",
                id=payload.get("turn_id"),
                parent_id=self.root.id if self.root else None,
                started_at=ts or _clock(parse_time(payload.get("started_at"))),
                attributes={"event": payload},
                ended=False,
                line=line,
            )
        elif kind == "task_complete":
            self.end_llm()
            if self.turn is not None:
                self.turn.ended = True
                self.turn.ended_at = ts or _clock(parse_time(payload.get("completed_at")))
                self.turn.output = payload.get("last_agent_message")
                self.turn.attributes["completion"] = payload
            self.turn = None
        elif kind == "token_count":
            self.token_count(line, payload)
        elif kind in ("error", "stream_error"):
            message = str(payload.get("message") or payload.get("error") or kind)
            self.b.add(
                "custom",
                f"codex {kind}",
                parent_id=self.parent(),
                started_at=ts,
                error=ErrorInfo(type=str(kind), message=message),
                attributes={"event": payload},
                line=line,
            )
        elif kind == "turn_aborted":
            self.end_llm()
            if self.turn is not None:
                self.turn.ended, self.turn.ended_at = True, ts
                self.turn.error = ErrorInfo(
                    type="turn_aborted", message=str(payload.get("reason") or "turn aborted")
                )
            self.turn = None
        elif split_event(str(kind)) is not None:
            family, phase = split_event(str(kind))  # type: ignore[misc]
            self.tool_event(line, family, phase, payload, ts)
        elif kind in _DUPLICATE_EVENTS:
            return  # user_message / agent_message duplicate response items already imported
        elif kind in QUIET_EVENTS:
            self.quiet[str(kind)] = self.quiet.get(str(kind), 0) + 1
        else:
            self.keep(line, {"type": "event_msg", "payload": payload}, f"event_msg.{kind}")

    def token_count(self, line: int, payload: dict[str, Any]) -> None:
        info = payload.get("info")
        last = info.get("last_token_usage") if isinstance(info, dict) else None
        if not isinstance(last, dict):
            return
        usage = make_usage(
            last.get("input_tokens"),
            last.get("output_tokens"),
            last.get("total_tokens"),
            last.get("cached_input_tokens"),
            None,
            last.get("reasoning_output_tokens"),
        )
        target = self.current_llm or (self.pending_usage[-1] if self.pending_usage else None)
        if target is None or target.usage is not None:
            self.b.problem(
                "token_count with no llm step to attach it to; kept on the session step", line, "info"
            )
            if self.root is not None:
                self.root.attributes.setdefault("unattached_token_counts", []).append(last)
            return
        target.usage = usage
        if target.output is not None and usage is not None:
            target.output["usage"] = last
        if target in self.pending_usage:
            self.pending_usage.remove(target)

    # ------------------------------------------------------------------ items

    def item(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        kind = item.get("type", "message")
        is_output = kind in _OUTPUT_ITEMS or (kind == "message" and item.get("role") == "assistant")
        if is_output:
            llm = self.current_llm or self.start_llm(line, ts)
            llm.output["output"].append(item)
            llm.ended_at = ts or llm.ended_at
            llm.end_line = line
            if kind in _CALL_ITEMS:
                self.function_call(line, item, ts)
        else:
            self.end_llm()
            self.sent_at = ts if ts is not None else self.sent_at
            if kind in _INPUT_ITEMS:
                self.function_output(line, item, ts)
            elif kind in _QUIET_ITEMS:
                self.quiet[f"item.{kind}"] = self.quiet.get(f"item.{kind}", 0) + 1
                return  # bookkeeping the model never sees: not part of the conversation
            elif kind != "message":
                self.keep(line, item, f"item.{kind}")
        self.items.append(item)

    def start_llm(self, line: int, ts: float | None) -> Span:
        request: dict[str, Any] = {"model": self.model, "input": list(self.items)}
        if self.instructions:
            request["instructions"] = self.instructions
        if request["model"] is None:
            del request["model"]
        span = self.b.add(
            "llm",
            self.model or "codex model",
            parent_id=self.parent(),
            started_at=self.sent_at
            if self.sent_at is not None and ts is not None and self.sent_at <= ts
            else ts,
            input={"provider": "openai", "api": "responses", "request": request},
            output={"object": "response", "model": self.model, "output": []},
            attributes={**replay_info(True, _REPLAY_NOTE), "model": self.model},
            line=line,
        )
        self.current_llm = span
        return span

    def end_llm(self) -> None:
        if self.current_llm is not None and self.current_llm.usage is None:
            self.pending_usage = [self.current_llm]
        self.current_llm = None

    def function_call(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        kind = item.get("type")
        call_id = str(item.get("call_id") or item.get("id") or "")
        if kind == "tool_search_call" and not call_id:
            call_id = f"tool_search@{line}"
        raw_arguments = item.get("arguments", item.get("input", item.get("action")))
        arguments = maybe_json(raw_arguments, depth=1)
        span = self.b.add(
            "tool",
            str(item.get("name") or item.get("type")),
            id=call_id or None,
            parent_id=self.parent(),
            started_at=ts,
            input={"name": item.get("name") or item.get("type"), "arguments": arguments, "call_id": call_id},
            ended=False,
            line=line,
        )
        if (
            isinstance(raw_arguments, str)
            and arguments is raw_arguments
            and raw_arguments.strip().startswith("{")
        ):
            span.attributes["arguments_invalid_json"] = True
        if "__" in str(item.get("name") or ""):
            span.attributes["mcp_server"] = str(item["name"]).split("__", 1)[0]
        self.tools[call_id] = span
        if kind == "web_search_call":  # run by the API itself: no output item follows
            self.b.finish(span, ended_at=ts, output=item.get("action") or item.get("status"))
            span.name = "web_search"
            if item.get("status") == "failed":
                span.error = ErrorInfo(
                    type="web_search_failed", message=text_of(item.get("action") or "failed")
                )
        elif kind == "tool_search_call":
            span.name = "tool_search"
            span.attributes["execution"] = item.get("execution")

    def function_output(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        call_id = str(item.get("call_id") or "")
        span = self.tools.get(call_id)
        if item.get("type") == "tool_search_output":
            if span is None:  # a server-side search: the call had no call_id
                span = next(
                    (s for s in reversed(self.tools.values()) if s.name == "tool_search" and not s.ended),
                    None,
                )
            if span is not None:
                self.b.finish(span, ended_at=ts, output=item.get("tools", item.get("output")))
                span.end_line = line
                return
        if span is None:
            self.b.problem(
                f"function_call_output for unknown call_id {call_id!r}; kept as its own step", line, "warning"
            )
            span = self.b.add(
                "tool",
                "unpaired output",
                parent_id=self.parent(),
                started_at=ts,
                input={"call_id": call_id},
                ended=False,
                line=line,
            )
        output, attributes, error = tool_output(item.get("output"))
        self.b.finish(span, ended_at=ts, output=output, error=error)
        span.end_line = line
        span.attributes.update(attributes)

    def tool_event(
        self, line: int, family: str, phase: str, payload: dict[str, Any], ts: float | None
    ) -> None:
        tool_event(self, line, family, phase, payload, ts)

    # ----------------------------------------------------------------- legacy

    def legacy_record(self, line: int, record: dict[str, Any]) -> None:
        if record.get("record_type") == "state":
            if len(record) > 1 and self.root is not None:  # snapshots with content are kept
                self.root.attributes.setdefault("state_records", []).append(record)
            return
        if self.root is None and "id" in record and "timestamp" in record and "type" not in record:
            self.start_session(line, record, parse_time(record.get("timestamp")))
            return
        if "type" in record:
            self.item(line, record, None)
        else:
            self.keep(line, record, "legacy record")


def load(path: Path) -> Trace:
    return _Importer(path).run()


register(Importer("codex", "OpenAI Codex CLI rollout (JSONL, modern envelope and legacy)", sniff, load))
