"""Claude Code session transcripts (``~/.claude/projects/*/<session>.jsonl``) as traces.

One API response is split over several lines sharing ``message.id``: they are
merged into one llm step whose usage is counted once. Tool results are paired
with their ``tool_use`` by ``tool_use_id`` (not by ``parentUuid``). Sidechains
(sub-agents started by the ``Task`` tool) become nested steps under that Task
call, matched by prompt text; unmatched sidechains go under a grouping step.
Sub-agents of CLI 2.x (``<session>/subagents/agent-<id>.jsonl`` beside the session file)
hang under the Task call whose result or ``agent_progress`` record names their agent id.
Records that are not messages (``system``, ``progress``, snapshots …) are counted on the
session step; only API errors and compactions become steps.
llm steps are replayable as Anthropic Messages requests rebuilt from the transcript
(Claude Code's system prompt and tool definitions are not in the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._claude_agents import agent_chain, other_record, read_subagents
from agentdbg.importers._claude_records import (
    TASK_TOOLS,
    api_error,
    append_message,
    content_blocks,
    prompt_text,
)
from agentdbg.importers._claude_records import Chain as _Chain
from agentdbg.importers._claude_sidechains import Sidechains
from agentdbg.importers._claude_stream import (
    StreamEvents,
    apply_result,
    is_stream,
    settle_output_tokens,
    stream_meta,
)
from agentdbg.importers._common import (
    ImportBuilder,
    first_jsonl_objects,
    parse_time,
    read_jsonl,
)
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import ANTHROPIC_MESSAGES, usage_from_response

_KNOWN_TYPES = {"user", "assistant", "summary"}
_REPLAY_NOTE = (
    "Anthropic Messages request rebuilt from the transcript; Claude Code's system prompt and tool "
    "definitions are not in the file, so a fork runs without them"
)
_MAX_TOKENS = 32000  # Claude Code's default output limit; the transcript does not record it


def sniff(head: bytes, path: Path) -> bool:
    objects = first_jsonl_objects(head, 8)
    if is_stream(objects):
        return True  # headless stream-json output
    for record in objects:
        if record.get("type") in ("user", "assistant", "summary", "system") and (
            "leafUuid" in record or "parentUuid" in record or ("uuid" in record and "sessionId" in record)
        ):
            return True
    compact = head[:65536].replace(b" ", b"")
    # a first line longer than the sniffed head: fall back to the field names Claude Code always writes
    return compact.startswith(b"{") and b'"sessionId":' in compact and b'"parentUuid":' in compact


class _Importer:
    def __init__(self, path: Path) -> None:
        self.b = ImportBuilder(path, "claude-code")
        self.records = read_jsonl(path, self.b)
        self.sidechains = Sidechains(self.b, self.session_id)
        self.llm_by_message: dict[str, Span] = {}
        self.tool_by_use_id: dict[str, Span] = {}
        self.summaries: list[dict[str, Any]] = []
        self.session_root: Span | None = None
        self.meta: dict[str, Any] = {}
        self.agent_task: dict[str, str] = {}  # sub-agent id -> call id of the Task call that started it
        self.agent_chains: dict[str, _Chain] = {}
        self.other: dict[str, int] = {}  # records that are not messages, by type (and system subtype)
        self.source_file: str | None = None  # set while reading a sub-agent file
        self.current_meta: dict[str, Any] = {}  # its agent-<id>.meta.json
        self.last_api_error: Span | None = None  # retries of one failed call join its error step
        self.stream: StreamEvents | None = None  # set for stream-json output

    def chain_for(self, record: dict[str, Any], line: int) -> _Chain:
        agent_id = record.get("agentId")
        if agent_id and (record.get("isSidechain") or self.source_file):
            return self.agent_chain(str(agent_id), record, line)
        task = self.tool_by_use_id.get(str(record.get("parent_tool_use_id") or ""))
        if task is not None:  # stream-json: a sub-agent's message names the Task call that started it
            return self.sidechains.under_task(task)
        if not record.get("isSidechain"):
            return self.sidechains.main()
        return self.sidechains.chain(record, line)

    def agent_chain(self, agent_id: str, record: dict[str, Any], line: int) -> _Chain:
        return agent_chain(self, agent_id, record, line)

    def session_id(self) -> str | None:
        return self.session_root.id if self.session_root else None

    def run(self) -> Trace:
        self.sidechains.index(self.records)
        first = next((r for _, r in self.records if r.get("sessionId")), {})
        self.meta = {
            k: first.get(k)
            for k in ("sessionId", "version", "cwd", "gitBranch", "userType")
            if first.get(k) is not None
        }
        if not first and is_stream([r for _, r in self.records[:8]]):
            self.meta = stream_meta(self.records)
            self.stream = StreamEvents()
            first = {"sessionId": self.meta.get("sessionId", "unknown")}
        start = next((parse_time(r.get("timestamp")) for _, r in self.records if r.get("timestamp")), None)
        self.session_root = self.b.add(
            "agent",
            "claude-code session",
            id=f"session-{first.get('sessionId', 'unknown')}",
            started_at=start,
            attributes=dict(self.meta),
        )
        for line, record in self.records:
            kind = record.get("type")
            try:
                if kind in ("assistant", "user"):
                    self.last_api_error = None
                if kind == "assistant":
                    self.assistant(line, record)
                elif kind == "user":
                    self.user(line, record)
                elif kind == "result" and "session_id" in record:
                    assert self.session_root is not None
                    apply_result(self.session_root, record)
                elif kind == "stream_event" and self.stream is not None:
                    self.stream.event(record, self.llm_by_message)
                elif kind == "summary":
                    self.summaries.append(
                        {"summary": record.get("summary"), "leafUuid": record.get("leafUuid")}
                    )
                else:
                    self.other_record(line, record, str(kind))
            except (AttributeError, TypeError, KeyError, ValueError) as exc:
                self.b.problem(
                    f"record of type {kind!r} has an unexpected shape ({exc}); kept raw", line, "warning"
                )
                self.unknown(line, record, f"{kind} (malformed)")
        read_subagents(self)
        self.close()
        name = self.summaries[0]["summary"] if self.summaries and self.summaries[0].get("summary") else ""
        if self.summaries:
            assert self.session_root is not None
            self.session_root.attributes["summaries"] = (
                self.summaries
            )  # also the trace name and header metadata
        return self.b.build(
            trace_id=self.meta.get("sessionId"),
            name=str(name or ""),
            metadata={**self.meta, "summaries": self.summaries},
        )

    def other_record(self, line: int, record: dict[str, Any], kind: str) -> None:
        other_record(self, line, record, kind)

    def unknown(self, line: int, record: dict[str, Any], label: str) -> None:
        self.b.keep_unknown(label, line)
        ts = parse_time(record.get("timestamp"))
        self.b.add(
            "custom",
            f"claude-code {label}",
            parent_id=self.session_id(),
            started_at=ts,
            attributes={"raw": record},
            line=line,
        )

    def assistant(self, line: int, record: dict[str, Any]) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            raise TypeError("assistant record without a message object")
        chain = self.chain_for(record, line)
        ts = parse_time(record.get("timestamp"))
        msg_id = str(message.get("id") or record.get("uuid"))
        span = self.llm_by_message.get(msg_id)
        blocks = content_blocks(message.get("content"))
        if span is None:
            response = {k: v for k, v in message.items() if k != "content"}
            response["content"] = []
            request: dict[str, Any] = {"max_tokens": _MAX_TOKENS, "messages": list(chain.history)}
            if message.get("model"):
                request = {"model": message["model"], **request}
            replay = replay_info(True, _REPLAY_NOTE)
            if not chain.history or chain.history[-1]["role"] != "user":
                replay = replay_info(False, "no user turn precedes this answer in the transcript")
            elif message.get("model") == "<synthetic>":
                replay = replay_info(
                    False, "a message Claude Code wrote itself (<synthetic>), not a model answer"
                )
            span = self.b.add(
                "llm",
                str(message.get("model") or "claude"),
                id=msg_id,
                parent_id=chain.parent_id,
                started_at=chain.sent_at
                if chain.sent_at is not None and ts is not None and chain.sent_at <= ts
                else ts,
                input={"provider": "anthropic", "api": "messages", "request": request},
                output=response,
                attributes={
                    **replay,
                    "model": message.get("model"),
                    "request_id": record.get("requestId"),
                    "record_uuids": [],
                },
                line=line,
            )
            self.llm_by_message[msg_id] = span
            chain.history.append({"role": "assistant", "content": response["content"]})
        span.output["content"].extend(blocks)
        for key in ("stop_reason", "stop_sequence", "usage"):
            if message.get(key) is not None:
                span.output[key] = message[key]  # the last line of a split response holds the final values
        span.usage = usage_from_response(ANTHROPIC_MESSAGES, span.output)
        span.ended_at = ts
        span.end_line = line
        span.attributes["record_uuids"].append(record.get("uuid"))
        if span.output.get("stop_reason"):
            span.attributes["finish_reason"] = span.output["stop_reason"]
        if record.get("isApiErrorMessage") or message.get("model") == "<synthetic>":
            span.error = api_error(record, blocks)
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                self.tool_use(line, block, chain, ts)

    def tool_use(self, line: int, block: dict[str, Any], chain: _Chain, ts: float | None) -> None:
        call_id = str(block.get("id") or "")
        arguments = block.get("input")
        tool = self.b.add(
            "tool",
            str(block.get("name") or "tool"),
            id=call_id or None,
            parent_id=chain.parent_id,
            started_at=ts,
            input={"name": block.get("name"), "arguments": arguments, "call_id": call_id},
            ended=False,
            line=line,
        )
        self.tool_by_use_id[call_id] = tool
        if block.get("name") in TASK_TOOLS and isinstance(arguments, dict) and arguments.get("prompt"):
            self.sidechains.task_call(tool, str(arguments["prompt"]))

    def user(self, line: int, record: dict[str, Any]) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            raise TypeError("user record without a message object")
        chain = self.chain_for(record, line)
        content = message.get("content")
        append_message(chain.history, "user", content)
        ts = parse_time(record.get("timestamp"))
        chain.sent_at = ts
        for block in content_blocks(content):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                self.tool_result(line, record, block, ts, chain)

    def tool_result(
        self, line: int, record: dict[str, Any], block: dict[str, Any], ts: float | None, chain: _Chain
    ) -> None:
        use_id = str(block.get("tool_use_id") or "")
        tool = self.tool_by_use_id.get(use_id)
        if tool is None:
            tool = self.b.unpaired_result("tool_result", "tool_use_id", use_id, chain.parent_id, ts, line)
        if tool.ended:
            self.b.problem(
                f"second tool_result for tool_use_id {use_id!r}; the first is kept, this one is in attributes",
                line,
                "warning",
            )
            tool.attributes.setdefault("extra_results", []).append(block)
            return
        error = None
        if block.get("is_error"):
            raw = block.get("content")
            error = ErrorInfo(
                type="tool_error", message=prompt_text(raw) if not isinstance(raw, str) else raw
            )
        self.b.finish(tool, ended_at=ts, output=block.get("content"), error=error)
        tool.end_line = line
        if "toolUseResult" in record:
            tool.attributes["tool_use_result"] = record["toolUseResult"]
            result = record["toolUseResult"]
            if isinstance(result, dict) and result.get("agentId") and tool.name in TASK_TOOLS:
                self.agent_task.setdefault(str(result["agentId"]), tool.id)

    def close(self) -> None:
        open_tools = [span for span in self.tool_by_use_id.values() if not span.ended]
        if open_tools:
            self.b.problem(
                f"{len(open_tools)} tool call(s) have no tool_result (run interrupted?); shown as incomplete",
                0,
                "info",
            )
        assert self.session_root is not None
        if self.stream is not None:
            self.other.update(self.stream.counts)
            note = settle_output_tokens(self.session_root, [s for s in self.b.spans if s.kind == "llm"])
            if note:
                self.b.problem(note, 0, "info")
        if self.other:
            self.session_root.attributes["other_records"] = dict(sorted(self.other.items()))
        ends = [s.ended_at for s in self.b.spans if s.ended_at is not None]
        self.session_root.ended_at = max(ends, default=self.session_root.started_at)
        for span in self.b.spans:
            if span.kind == "agent" and span.id.startswith(("sidechain-", "agent-")):
                child_ends = [
                    c.ended_at for c in self.b.spans if c.parent_id == span.id and c.ended_at is not None
                ]
                span.ended_at = max(child_ends, default=span.started_at)


def load(path: Path) -> Trace:
    return _Importer(path).run()


register(Importer("claude-code", "Claude Code session transcript (JSONL)", sniff, load))
