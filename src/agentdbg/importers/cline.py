"""Cline / Roo Code task files (``tasks/<id>/api_conversation_history.json``, ``ui_messages.json``) as traces.

``api_conversation_history.json`` is the Anthropic-style conversation the extension
sent: each assistant message is one llm step. Tool calls are native ``tool_use``
blocks or, in older versions and Roo Code, XML tags in the text
(``<read_file><path>…</path></read_file>``); their results come back in the next
user message as ``tool_result`` blocks or as text ``[read_file for 'x'] Result: …``.
Tokens come from the message's ``metrics.tokens`` or, when ``ui_messages.json`` lies
beside it, from its ``api_req_started`` entries (n-th entry for the n-th request).
A ``ui_messages.json`` opened on its own gives the same steps from the UI's view.
Not replayable: the system prompt (and so the tool definitions) is not in the files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._cline_ui import load_ui, ui_usages
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_list,
    make_usage,
    maybe_json,
    parse_time,
    read_json_file,
    sniff_json_head,
    text_of,
)
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_NOT_REPLAYABLE = "the task files hold no system prompt or tool definitions, only the conversation"
_TOOLS = (
    "execute_command|read_file|write_to_file|replace_in_file|apply_diff|insert_content|search_and_replace|"
    "search_files|list_files|list_code_definition_names|codebase_search|browser_action|use_mcp_tool|"
    "access_mcp_resource|ask_followup_question|attempt_completion|plan_mode_respond|act_mode_respond|"
    "new_task|switch_mode|update_todo_list|fetch_instructions|load_mcp_documentation|web_fetch|"
    "new_rule|condense|summarize_task|report_bug|run_slash_command|generate_image|use_subagents"
)
_XML_CALL = re.compile(rf"<({_TOOLS})>(.*?)</\1>", re.DOTALL)
_XML_PARAM = re.compile(r"<(\w+)>(.*?)</\1>", re.DOTALL)
_RESULT = re.compile(r"^\s*\[(\w+)(?: for '(.*?)')?[^\]]*\] Result:", re.DOTALL)
_FAILED = re.compile(
    r"The tool execution failed|<error>|^\s*Error[: ]|\[ERROR\]|The user denied this operation", re.MULTILINE
)


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if not text.startswith(b"["):
        return False
    window = text[:16384]
    compact = window[:4096].replace(b" ", b"").replace(b"\n", b"")
    if compact.startswith(b'[{"ts":') and (b'"type":"say"' in compact or b'"type":"ask"' in compact):
        return True  # ui_messages.json
    if not compact.startswith(b"[{") or b'"role":' not in compact[:400]:
        return False
    markers = (b"<task>", b"<environment_details>", b'"modelInfo"', b"] Result:", b"<feedback>")
    return any(marker in window for marker in markers)


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in as_list(content) if isinstance(b, dict)]


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "text":
        return str(block.get("text") or "")
    if block.get("type") == "tool_result":
        return "\n".join(_block_text(b) for b in _blocks(block.get("content")))
    return ""


def _xml_calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    calls = []
    for match in _XML_CALL.finditer(text):
        params = {m.group(1): m.group(2).strip() for m in _XML_PARAM.finditer(match.group(2))}
        calls.append((match.group(1), params))
    return calls


class _Importer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.b = ImportBuilder(path, "cline")
        self.root: Span | None = None
        self.pending: list[Span] = []  # tool calls of the last answer still waiting for a result
        self.sent_at: float | None = None
        self.history: list[dict[str, Any]] = []

    def run(self, data: list[Any]) -> Trace:
        messages = [m for m in data if isinstance(m, dict)]
        if len(messages) != len(data):
            self.b.problem(
                f"{len(data) - len(messages)} entr(ies) are not objects; skipped", severity="warning"
            )
        task_id = self.path.parent.name
        times = [parse_time(m.get("ts")) for m in messages]
        self.root = self.b.add(
            "agent",
            "cline task",
            id=f"task-{task_id}",
            started_at=min((t for t in times if t), default=None),
            attributes={"task_dir": str(self.path.parent)},
        )
        usages = ui_usages(self.path.parent / "ui_messages.json", self.b)
        answers = 0
        for index, message in enumerate(messages):
            role = message.get("role")
            line = index + 1
            if role == "assistant":
                usage = usages[answers] if answers < len(usages) else None
                self.answer(line, message, times[index], usage)
                answers += 1
            elif role == "user":
                self.user(line, message, times[index])
            else:
                self.b.keep_unknown(f"role {role}", line)
        if usages and len(usages) != answers:
            self.b.problem(
                f"ui_messages.json has {len(usages)} api requests for {answers} answers; tokens paired in order",
                0,
                "info",
            )
        if self.pending:
            self.b.problem(f"{len(self.pending)} tool call(s) have no result; shown as incomplete", 0, "info")
        ends = [s.ended_at for s in self.b.spans if s.ended_at is not None]
        self.root.ended_at = max(ends, default=self.root.started_at)
        return self.b.build(trace_id=f"cline-{task_id}", name=f"cline task {task_id}")

    def answer(self, line: int, message: dict[str, Any], ts: float | None, ui_usage: Any) -> None:
        assert self.root is not None
        info = as_dict(message.get("modelInfo"))
        model = info.get("modelId")
        tokens = as_dict(as_dict(message.get("metrics")).get("tokens"))
        usage = ui_usage
        if usage is None and tokens:
            prompt, cached = tokens.get("prompt"), tokens.get("cached")
            total_in = (prompt or 0) + (cached or 0) if prompt is not None else None
            usage = make_usage(
                total_in, tokens.get("completion"), None, cached
            )  # cached counted in the input
        blocks = _blocks(message.get("content"))
        request: dict[str, Any] = {"messages": list(self.history), "max_tokens": 8192}
        if model:
            request = {"model": model, **request}
        llm = self.b.add(
            "llm",
            str(model or "cline model"),
            parent_id=self.root.id,
            started_at=self.sent_at
            if self.sent_at is not None and ts is not None and self.sent_at <= ts
            else ts,
            ended_at=ts,
            input={"provider": "anthropic", "api": "messages", "request": request},
            output={"role": "assistant", "type": "message", "model": model, "content": blocks},
            usage=usage,
            attributes={
                "model": model,
                "provider": info.get("providerId"),
                "mode": info.get("mode"),
                **replay_info(False, _NOT_REPLAYABLE),
            },
            line=line,
        )
        self.history.append({"role": "assistant", "content": blocks})
        self.pending = []
        for block in blocks:
            if block.get("type") == "tool_use":
                call_id = str(block.get("id") or block.get("call_id") or "")
                self.pending.append(
                    self.tool(line, str(block.get("name") or "tool"), block.get("input"), call_id, ts)
                )
            elif block.get("type") == "text":
                for name, params in _xml_calls(str(block.get("text") or "")):
                    self.pending.append(self.tool(line, name, params, "", ts))
        llm.attributes["tool_calls"] = len(self.pending)

    def tool(self, line: int, name: str, arguments: Any, call_id: str, ts: float | None) -> Span:
        assert self.root is not None
        return self.b.add(
            "tool",
            name,
            id=call_id or None,
            parent_id=self.root.id,
            started_at=ts,
            input={"name": name, "arguments": arguments, "call_id": call_id or None},
            ended=False,
            line=line,
        )

    def user(self, line: int, message: dict[str, Any], ts: float | None) -> None:
        blocks = _blocks(message.get("content"))
        self.history.append({"role": "user", "content": blocks})
        self.sent_at = ts
        for block in blocks:
            if block.get("type") == "tool_result":
                use_id = str(block.get("tool_use_id") or "")
                span = next((s for s in self.pending if s.id == use_id), None) or self.first_open(None)
                error = bool(block.get("is_error")) or bool(_FAILED.search(_block_text(block)[:2000]))
                self.close(span, block.get("content"), _block_text(block), error, ts, line)
                continue
            text = _block_text(block)
            match = _RESULT.match(text)
            if match:
                span = self.first_open(match.group(1))
                body = text[match.end() :]
                self.close(span, body.strip(), body, bool(_FAILED.search(body[:2000])), ts, line)
        # a reply that holds no result of a pending call: the call was not run (interrupted or denied)
        for span in self.pending:
            if not span.ended:
                span.attributes["no_result_in"] = line
        self.pending = [s for s in self.pending if not s.ended]

    def first_open(self, name: str | None) -> Span | None:
        for span in self.pending:
            if not span.ended and (name is None or span.name == name):
                return span
        return next((s for s in self.pending if not s.ended), None) if name is not None else None

    def close(
        self, span: Span | None, output: Any, text: str, failed: bool, ts: float | None, line: int
    ) -> None:
        if span is None:
            self.b.problem(
                "a tool result with no open tool call before it; kept in the conversation only", line, "info"
            )
            return
        error = ErrorInfo(type="tool_error", message=text.strip()[:500]) if failed else None
        self.b.finish(span, ended_at=ts, output=output, error=error)
        span.end_line = line


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "cline")
    data = read_json_file(path, b)
    if not isinstance(data, list):
        if data is not None:
            b.problem("expected a JSON list of messages", severity="error")
        return b.build()
    if (
        data
        and isinstance(data[0], dict)
        and "role" not in data[0]
        and ("say" in data[0] or "ask" in data[0])
    ):
        return load_ui(path, data)
    importer = _Importer(path)
    return importer.run(data)


__all__ = ["load", "maybe_json", "sniff", "text_of"]

register(
    Importer(
        "cline", "Cline / Roo Code task (api_conversation_history.json or ui_messages.json)", sniff, load
    )
)
