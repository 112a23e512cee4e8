"""OpenAI Codex CLI's ``codex exec --json`` output (JSON Lines on stdout) as traces.

Events: ``thread.started`` (the session id), ``turn.started`` / ``turn.completed`` (with the turn's token
usage) / ``turn.failed``, ``item.started`` / ``item.updated`` / ``item.completed`` and ``error``. Items:
``reasoning`` and ``agent_message`` are what the model said (consecutive ones form one llm step);
``command_execution``, ``file_change``, ``mcp_tool_call``, ``web_search`` and ``todo_list`` are tool steps,
one per item id; an ``error`` item (a non-fatal notice) is a step of its own, not a failure. The file has no timestamps, no requests (llm steps
cannot be re-sent) and one usage per turn, kept on the turn's last llm step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import ImportBuilder, as_dict, first_jsonl_objects, make_usage, read_jsonl
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_EVENTS = {"thread.started", "turn.started", "turn.completed", "turn.failed", "error"}
_ITEM_EVENTS = {"item.started", "item.updated", "item.completed"}
_MODEL_ITEMS = {"reasoning", "agent_message"}
_TOOL_NAMES = {
    "command_execution": "exec_command",
    "file_change": "apply_patch",
    "web_search": "web_search",
    "todo_list": "update_plan",
}
_NOT_REPLAYABLE = "codex exec --json output holds what the model said, not the requests it was sent"


def sniff(head: bytes, path: Path) -> bool:
    objects = first_jsonl_objects(head, 6)
    if not objects:
        return False
    if objects[0].get("type") == "thread.started" and "thread_id" in objects[0]:
        return True
    kinds = {o.get("type") for o in objects}
    return (
        all(isinstance(k, str) for k in kinds)
        and kinds <= _EVENTS | _ITEM_EVENTS
        and bool(kinds & _ITEM_EVENTS)
    )


def _tool_input(item: dict[str, Any]) -> tuple[str, Any]:
    kind = str(item.get("type"))
    if kind == "mcp_tool_call":
        name = ".".join(str(p) for p in (item.get("server"), item.get("tool")) if p) or "mcp"
        return name, item.get("arguments", item.get("input"))
    fields = {
        "command_execution": "command",
        "file_change": "changes",
        "web_search": "query",
        "todo_list": "items",
    }
    field = fields.get(kind)
    return _TOOL_NAMES.get(kind, kind), ({field: item.get(field)} if field else None)


def _tool_outcome(item: dict[str, Any]) -> tuple[Any, ErrorInfo | None]:
    kind = str(item.get("type"))
    status = str(item.get("status") or "")
    if kind == "command_execution":
        output = item.get("aggregated_output", item.get("output"))
        code = item.get("exit_code")
        failed = status == "failed" or (isinstance(code, int) and code != 0)
        return output, ErrorInfo(type="exit_code", message=f"exit code {code}") if failed else None
    if kind == "mcp_tool_call":
        error = item.get("error")
        message = as_dict(error).get("message") if isinstance(error, dict) else error
        failed = status == "failed" or bool(error)
        return item.get("result"), ErrorInfo(
            type="tool_error", message=str(message or status)
        ) if failed else None
    output = {k: v for k, v in item.items() if k not in ("id", "type")}
    return output, ErrorInfo(type="tool_error", message=status) if status == "failed" else None


class _Run:
    def __init__(self, path: Path) -> None:
        self.b = ImportBuilder(path, "codex-exec")
        self.records = read_jsonl(path, self.b)
        self.thread_id: str | None = None
        self.root = self.b.add("agent", "codex exec")
        self.turn: Span | None = None
        self.llm: Span | None = None  # the llm step the current run of model items adds to
        self.turn_llms: list[Span] = []
        self.tools: dict[str, Span] = {}

    def parent(self) -> str:
        return self.turn.id if self.turn is not None else self.root.id

    def run(self) -> Trace:
        for line, record in self.records:
            kind = record.get("type")
            if kind in _ITEM_EVENTS and isinstance(record.get("item"), dict):
                self.item(line, str(kind), record["item"])
            elif kind == "thread.started":
                self.thread_id = str(record.get("thread_id") or "") or None
                self.root.name = f"codex exec {self.thread_id or ''}".strip()
                self.root.attributes["thread_id"] = self.thread_id
            elif kind == "turn.started":
                self.end_turn()
                self.turn = self.b.add("agent", "turn", parent_id=self.root.id, ended=False, line=line)
            elif kind in ("turn.completed", "turn.failed"):
                self.end_turn(line, record)
            elif kind == "error":
                self.error_step(line, record)
            else:
                self.b.keep_unknown(f"event {kind}", line)
                self.b.add(
                    "custom",
                    f"codex exec {kind}",
                    parent_id=self.parent(),
                    attributes={"raw": record},
                    line=line,
                )
        open_tools = [s for s in self.tools.values() if not s.ended]
        if open_tools:
            self.b.problem(
                f"{len(open_tools)} item(s) started but never completed (run interrupted?); shown as incomplete",
                0,
                "info",
            )
        if self.turn is not None:
            self.turn.ended = False  # no turn.completed: the run stopped mid-turn
        return self.b.build(trace_id=self.thread_id, name=self.root.name)

    def error_step(self, line: int, record: dict[str, Any]) -> None:
        """An ``error`` event or item (a retry notice, a usage limit): a step with its message."""
        message = str(record.get("message") or "error")
        self.b.add(
            "custom",
            "codex error",
            parent_id=self.parent(),
            error=ErrorInfo(type="error", message=message),
            attributes={"raw": record},
            line=line,
        )

    def notice_step(self, line: int, item: dict[str, Any]) -> None:
        """An ``error`` item: Codex's non-fatal notice (its warnings, e.g. unknown model metadata), which the
        run goes on after; a step with the message, not a failure (fatal ones are ``error`` / ``turn.failed``)."""
        message = str(item.get("message") or "error")
        self.b.add(
            "custom",
            "codex notice",
            parent_id=self.parent(),
            output=message,
            attributes={"raw": item, "severity": "warning", "nonfatal": True},
            line=line,
        )

    def end_turn(self, line: int = 0, record: dict[str, Any] | None = None) -> None:
        self.llm = None
        if self.turn is None or record is None:
            return
        raw = as_dict(record.get("usage"))
        if raw and self.turn_llms:
            last = self.turn_llms[-1]
            last.usage = make_usage(
                raw.get("input_tokens"),
                raw.get("output_tokens"),
                None,
                raw.get("cached_input_tokens"),
                None,
                raw.get("reasoning_output_tokens"),
            )
            last.attributes["usage_of"] = "the whole turn (codex exec reports one count per turn)"
        elif raw:
            self.turn.attributes["usage"] = raw
        if record.get("type") == "turn.failed":
            error = as_dict(record.get("error"))
            self.turn.error = ErrorInfo(
                type="turn_failed", message=str(error.get("message") or "turn failed")
            )
        self.turn.ended = True
        self.turn.end_line = line
        self.turn, self.turn_llms = None, []

    def item(self, line: int, event: str, item: dict[str, Any]) -> None:
        kind = str(item.get("type"))
        if kind in _MODEL_ITEMS:
            if event == "item.completed":
                self.model_item(line, item)
            return
        self.llm = None  # a tool item ends the model's run of output
        if kind == "error":
            self.notice_step(line, item)
            return
        item_id = str(item.get("id") or f"{kind}@{line}")
        span = self.tools.get(item_id)
        if span is None:
            name, arguments = _tool_input(item)
            span = self.tools[item_id] = self.b.add(
                "tool",
                name,
                id=item_id,
                parent_id=self.parent(),
                input={"name": name, "arguments": arguments, "call_id": item_id},
                ended=False,
                line=line,
            )
            if kind not in _TOOL_NAMES and kind != "mcp_tool_call":
                self.b.keep_unknown(f"item {kind}", line)
        if event == "item.completed":
            output, error = _tool_outcome(item)
            self.b.finish(span, output=output, error=error)
            span.end_line = line
            if "exit_code" in item:
                span.attributes["exit_code"] = item["exit_code"]

    def model_item(self, line: int, item: dict[str, Any]) -> None:
        if self.llm is None:
            self.llm = self.b.add(
                "llm",
                "codex model",
                parent_id=self.parent(),
                input={"provider": "openai", "api": "responses", "request": {}},
                output={"object": "response", "output": []},
                attributes=replay_info(False, _NOT_REPLAYABLE),
                line=line,
            )
            self.turn_llms.append(self.llm)
        text = str(item.get("text") or "")
        if item.get("type") == "reasoning":
            entry: dict[str, Any] = {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
        else:
            entry = {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }
        self.llm.output["output"].append(entry)
        self.llm.end_line = line


def load(path: Path) -> Trace:
    return _Run(path).run()


register(Importer("codex-exec", "OpenAI Codex CLI `codex exec --json` output (JSONL events)", sniff, load))
