"""Claude Code sub-agents and non-message records: the parts of the importer that CLI 2.x added.

``agent_chain`` hangs a sub-agent known by id (``agentId`` on its records) under the Task call
that started it: the call named by an ``agent_progress`` record or by the Task result's
``toolUseResult.agentId``, else the one with the same prompt, else the latest open one.
``read_subagents`` reads ``<session>/subagents/agent-*.jsonl``; ``other_record`` turns
``system`` API errors and compactions into steps and counts everything else.
"""

from __future__ import annotations

from typing import Any

from agentdbg.importers._claude_records import (
    BOOKKEEPING,
    SYSTEM_STEPS,
    Chain,
    agent_id_of,
    agent_meta,
    subagent_files,
    system_error_text,
)
from agentdbg.importers._common import ImportBuilder, parse_time, read_jsonl
from agentdbg.model.records import ErrorInfo


def _prompt_text(content: Any) -> str:
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, list):
        return ""
    return "\n".join(
        str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
    ).strip()


def agent_chain(imp: Any, agent_id: str, record: dict[str, Any], line: int) -> Chain:
    """The chain of a sub-agent known by id, hung under the Task call that started it."""
    chain = imp.agent_chains.get(agent_id)
    if chain is not None:
        return chain
    prompt = _prompt_text((record.get("message") or {}).get("content"))
    task = imp.tool_by_use_id.get(imp.agent_task.get(agent_id, ""))
    matched_by = "agent id" if task is not None else None
    if task is None:
        task, matched_by = imp.sidechains.match_task(prompt, parse_time(record.get("timestamp")))
    elif task.id in imp.sidechains.matched_tasks:
        task, matched_by = None, None
    if task is not None:
        imp.sidechains.matched_tasks.add(task.id)
    meta = imp.current_meta if imp.source_file else {}
    description = meta.get("description") or (
        task.input.get("arguments", {}).get("description", "") if task else ""
    )
    chain = imp.agent_chains[agent_id] = imp.sidechains.sub_agent(
        f"sub-agent: {description}" if description or task else "sub-agent (unmatched)",
        f"agent-{agent_id}",
        task,
        matched_by,
        prompt,
        parse_time(record.get("timestamp")),
        line,
        {"agent_id": agent_id, "agent_type": meta.get("agentType"), "source_file": imp.source_file},
        f"sub-agent {agent_id} matches no Task tool call by agent id, prompt or timing; shown under the session",
    )
    return chain


def read_subagents(imp: Any) -> None:
    """Read the sub-agent files of the newer layout, each under the Task call that started it."""
    for file in subagent_files(imp.b.path, imp.meta.get("sessionId")):
        reader = ImportBuilder(file, "claude-code")
        records = read_jsonl(file, reader)
        for problem in reader.problems:
            imp.b.problem(f"{file.name}: {problem.message}", 0, problem.severity)
        imp.source_file = str(file)
        imp.current_meta = agent_meta(file)
        fallback = agent_id_of(file)
        for line, record in records:
            record.setdefault("agentId", fallback)
            kind = record.get("type")
            try:
                if kind == "assistant":
                    imp.assistant(line, record)
                elif kind == "user":
                    imp.user(line, record)
                else:
                    imp.other_record(line, record, str(kind))
            except (AttributeError, TypeError, KeyError, ValueError) as exc:
                imp.b.problem(f"{file.name}: record of type {kind!r} has an unexpected shape ({exc})", line)
        imp.source_file = None


def other_record(imp: Any, line: int, record: dict[str, Any], kind: str) -> None:
    """A record that is not a message: an API error or compaction step, else counted on the session."""
    raw_data = record.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    if kind == "progress" and data.get("type") == "agent_progress" and data.get("agentId"):
        parent = record.get("parentToolUseID")
        if parent:
            imp.agent_task.setdefault(str(data["agentId"]), str(parent))
    subtype = str(record.get("subtype") or "")
    if kind == "system" and (subtype in SYSTEM_STEPS or record.get("level") == "error"):
        chain = imp.chain_for(record, line)
        is_error = subtype != "compact_boundary"
        attempt = record.get("retryAttempt")
        previous = imp.last_api_error
        if (
            is_error
            and previous is not None
            and isinstance(attempt, int)
            and attempt > previous.attributes["attempts"][-1]
        ):
            # the next retry of the same failed call: one error step per call, with every attempt
            previous.attributes["attempts"].append(attempt)
            previous.error = ErrorInfo(type=subtype or "system_error", message=system_error_text(record))
            previous.ended_at = parse_time(record.get("timestamp")) or previous.ended_at
            previous.end_line = line
            return
        span = imp.b.add(
            "custom",
            "context compacted" if not is_error else f"claude-code {subtype or 'system error'}",
            id=record.get("uuid"),
            parent_id=chain.parent_id,
            started_at=parse_time(record.get("timestamp")),
            output=record.get("content") or record.get("compactMetadata"),
            error=ErrorInfo(type=subtype or "system_error", message=system_error_text(record))
            if is_error
            else None,
            attributes={"raw": record, "attempts": [attempt if isinstance(attempt, int) else 0]},
            line=line,
        )
        imp.last_api_error = span if is_error else None
        return
    label = f"{kind}.{subtype}" if kind == "system" and subtype else kind
    imp.other[label] = imp.other.get(label, 0) + 1
    if kind not in BOOKKEEPING and kind != "system":
        imp.b.keep_unknown(kind, line)
        if imp.session_root is not None:
            kept = imp.session_root.attributes.setdefault("unknown_records", [])
            if len(kept) < 50:
                kept.append(record)
