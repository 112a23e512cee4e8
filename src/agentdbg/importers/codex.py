"""OpenAI Codex CLI rollouts (``~/.codex/sessions/**/rollout-*.jsonl``), modern and legacy, as traces.

Modern files wrap every line in ``{timestamp, type, payload}``; legacy files hold
bare response items plus ``{"record_type": "state"}`` lines. Consecutive model
output items (message, reasoning, function_call) form one llm step, expressed as
an OpenAI Responses request (all items so far as ``input``) and response.
Token counts come from ``last_token_usage`` (the per-call delta), never the
cumulative ``total_token_usage``. Recent CLI versions add tool events
(``exec_command_end``, ``mcp_tool_call_end``, ``patch_apply_end``, ``web_search_end``) and
items (``web_search_call``, ``tool_search_call``): they are tool steps, merged by ``call_id``
with the item that asked for them (see ``_codex_tools``); Codex 0.17x says how a command ended in
``item_completed`` events instead, and adds ``token_usage_record`` lines (the response id of each call),
``world_state`` lines and a ``thread_settings_applied`` event (kept on the session step). Times before 2000 or after 2100
(counters, not clock times) are ignored. llm steps are replayable as Responses requests
(``instructions`` from the session, the conversation so far; tool definitions are not in the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._codex_items import Conversation
from agentdbg.importers._codex_tools import QUIET_EVENTS, item_tool_event, split_event
from agentdbg.importers._common import (
    ImportBuilder,
    first_jsonl_objects,
    parse_time,
    read_jsonl,
)
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_ENVELOPE_TYPES = {"session_meta", "turn_context", "response_item", "event_msg", "compacted"}
_CLOCK = (946684800.0, 4102444800.0)  # 2000-01-01 .. 2100-01-01: anything else is not a clock time


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
        self.meta: dict[str, Any] = {}
        self.root: Span | None = None
        self.turn: Span | None = None
        self.legacy = False
        self.quiet: dict[str, int] = {}
        self.chat = Conversation(self.b, self.parent, lambda: self.root, self.keep, self.quiet)

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
        self.chat.end_llm()
        if self.root is not None and self.quiet:
            self.root.attributes["other_events"] = dict(sorted(self.quiet.items()))
        if self.root is not None:
            ends = [s.ended_at for s in self.b.spans if s.ended_at is not None]
            self.root.ended_at = max(ends, default=self.root.started_at)
        if self.turn is not None and self.turn.ended_at is None:
            self.turn.ended = False
        open_tools = sum(1 for span in self.chat.tools.values() if not span.ended)
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
        self.chat.instructions = (
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
            self.chat.model = payload.get("model") or self.chat.model
            if self.turn is not None:
                self.turn.attributes["turn_context"] = payload
        elif kind == "response_item" and isinstance(payload, dict):
            self.chat.item(line, payload, ts)
        elif kind == "event_msg" and isinstance(payload, dict):
            self.event(line, payload, ts)
        elif kind == "compacted":
            self.chat.compacted(line, payload, ts)
        elif kind == "token_usage_record" and isinstance(payload, dict):
            self.chat.usage_record(payload)
        elif kind == "world_state" and isinstance(payload, dict) and self.root is not None:
            self.root.attributes.setdefault("world_states", []).append(payload)
        else:
            self.keep(line, record, str(kind))

    def event(self, line: int, payload: dict[str, Any], ts: float | None) -> None:
        kind = payload.get("type")
        if kind == "task_started":
            self.chat.end_llm()
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
            self.chat.end_llm()
            if self.turn is not None:
                self.turn.ended = True
                self.turn.ended_at = ts or _clock(parse_time(payload.get("completed_at")))
                self.turn.output = payload.get("last_agent_message")
                self.turn.attributes["completion"] = payload
                failure = payload.get("error")  # Codex 0.17x: the turn ended on this error
                if failure:
                    info = failure if isinstance(failure, dict) else {"message": failure}
                    self.turn.error = self.turn.error or ErrorInfo(
                        type=str(info.get("codex_error_info") or "task_error"),
                        message=str(info.get("message") or failure),
                    )
            self.turn = None
        elif kind == "token_count":
            self.chat.token_count(line, payload)
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
            self.chat.end_llm()
            if self.turn is not None:
                self.turn.ended, self.turn.ended_at = True, ts
                self.turn.error = ErrorInfo(
                    type="turn_aborted", message=str(payload.get("reason") or "turn aborted")
                )
            self.turn = None
        elif split_event(str(kind)) is not None:
            family, phase = split_event(str(kind))  # type: ignore[misc]
            self.chat.tool_event(line, family, phase, payload, ts)
        elif kind in ("item_started", "item_completed") and (ran := item_tool_event(payload)) is not None:
            self.chat.tool_event(line, *ran, ts)
        elif kind == "thread_settings_applied" and self.root is not None:
            self.root.attributes["thread_settings"] = payload.get("thread_settings", payload)
        elif kind in _DUPLICATE_EVENTS:
            return  # user_message / agent_message duplicate response items already imported
        elif kind in QUIET_EVENTS:
            self.quiet[str(kind)] = self.quiet.get(str(kind), 0) + 1
        else:
            self.keep(line, {"type": "event_msg", "payload": payload}, f"event_msg.{kind}")

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
            self.chat.item(line, record, None)
        else:
            self.keep(line, record, "legacy record")


def load(path: Path) -> Trace:
    return _Importer(path).run()


register(Importer("codex", "OpenAI Codex CLI rollout (JSONL, modern envelope and legacy)", sniff, load))
