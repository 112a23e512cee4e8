"""Claude Code records that are not messages (CLI 2.x), and the sub-agent files of the newer layout.

CLI 2.x writes, besides ``user``/``assistant``/``summary``: ``system`` records (``subtype``
``api_error``, ``compact_boundary``, ``turn_duration``, ``local_command``, ``informational``,
``stop_hook_summary`` …), ``progress`` (hook and tool progress; ``agent_progress`` names the
sub-agent a Task call started: ``data.agentId`` and ``parentToolUseID``),
``file-history-snapshot``, ``queue-operation`` and a few bookkeeping types. Only an API error
and a compaction are steps; the rest is counted on the session step.

Also the message shapes every record reader shares: content as blocks, consecutive same-role
messages merged as the Messages API wants them, a prompt's text, the error of an API error record.

Sub-agents of the newer layout live in ``<session>/subagents/agent-<agentId>.jsonl`` (with an
optional ``agent-<agentId>.meta.json``: ``agentType``, ``description``) next to ``<session>.jsonl``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers._common import text_of
from agentdbg.model.records import ErrorInfo

#: Record types that carry no step: counted on the session step, no problem reported.
BOOKKEEPING = {
    "file-history-snapshot",
    "queue-operation",
    "progress",
    "last-prompt",
    "custom-title",
    "agent-name",
    "tag",
    "pr-link",
    "permission-mode",
    "attachment",
    "worktree-state",
    "mode",
}
#: ``system`` subtypes that are steps (the rest is bookkeeping).
SYSTEM_STEPS = {"api_error", "compact_boundary"}
TASK_TOOLS = ("Task", "Agent")


@dataclass
class Chain:
    """One conversation (the main one or a sidechain): its history and where its steps hang."""

    parent_id: str | None
    history: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    sent_at: float | None = None  # time of the last user/tool-result record: when the next request went out


def subagent_files(session_file: Path, session_id: str | None = None) -> list[Path]:
    """The sub-agent transcripts that belong to ``session_file``.

    CLI 2.1 writes them to ``<stem>/subagents/agent-*.jsonl``; 2.0 wrote ``agent-*.jsonl`` next to the
    session files, each naming its parent in ``sessionId`` (only the first line of those is read).
    """
    folder = session_file.with_suffix("")
    found: list[Path] = []
    for where in (folder / "subagents", folder):
        if where.is_dir():
            found.extend(sorted(p for p in where.glob("agent-*.jsonl") if p.is_file()))
    if session_id and not session_file.name.startswith("agent-"):
        for sibling in sorted(session_file.parent.glob("agent-*.jsonl")):
            if sibling.is_file() and _first_session_id(sibling) == session_id:
                found.append(sibling)
    return found


def _first_session_id(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            first = handle.readline(1 << 20)
        data = orjson.loads(first)
    except (OSError, orjson.JSONDecodeError):
        return None
    return str(data.get("sessionId")) if isinstance(data, dict) and data.get("sessionId") else None


def agent_id_of(path: Path) -> str:
    """The agent id in a sub-agent file name (``agent-<id>.jsonl``)."""
    return path.stem.removeprefix("agent-")


def agent_meta(path: Path) -> dict[str, Any]:
    """``agent-<id>.meta.json`` beside a sub-agent file (``agentType``, ``description``), if any."""
    meta = path.with_name(f"{path.stem}.meta.json")
    try:
        data = orjson.loads(meta.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def system_error_text(record: dict[str, Any]) -> str:
    """A readable message for a ``system`` ``api_error`` record."""
    error = record.get("error")
    if isinstance(error, dict):
        nested = error.get("error")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else error
        message = inner.get("message") or inner.get("type") or error.get("status")
        text = str(message) if message else orjson.dumps(error).decode()[:300]
    else:
        text = str(record.get("content") or error or "API error")
    attempt = record.get("retryAttempt")
    if attempt is not None:
        text += f" (attempt {attempt} of {record.get('maxRetries', '?')})"
    return text[:500]


def api_error(record: dict[str, Any], blocks: list[Any]) -> ErrorInfo:
    """The error of a message Claude Code wrote in the model's place: its text, and since CLI 2.x the
    record's ``error`` (``rate_limit``, ``authentication_failed``, or ``{status, message}``) and
    ``apiErrorStatus``."""
    text = " ".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))
    detail = record.get("error")
    status = record.get("apiErrorStatus")
    if isinstance(detail, dict):
        status = status if status is not None else detail.get("status")
        text = text or str(detail.get("message") or "")
        detail = None
    return ErrorInfo(
        type=str(detail) if isinstance(detail, str) and detail else "api_error",
        message=text[:500] or "API error",
        status_code=status if isinstance(status, int) and not isinstance(status, bool) else None,
        body=error_body(record.get("errorDetails")),
    )


def error_body(details: Any) -> Any:
    """The provider's answer in ``errorDetails`` (CLI 2.1.x: ``'400 {"type":"error",...}'``), parsed when it
    is JSON after the status; other text as it is."""
    if not isinstance(details, str) or not details:
        return details
    status, _, rest = details.partition(" ")
    if status.isdigit() and rest.lstrip().startswith("{"):
        try:
            return orjson.loads(rest)
        except ValueError:
            return details
    return details


def content_blocks(content: Any) -> list[Any]:
    if isinstance(content, list):
        return content
    if content is None:
        return []
    return [{"type": "text", "text": content if isinstance(content, str) else text_of(content)}]


def append_message(history: list[dict[str, Any]], role: str, content: Any) -> None:
    """Add a message, merging consecutive same-role messages as the Messages API requires."""
    if history and history[-1]["role"] == role:
        last = history[-1]
        last["content"] = content_blocks(last["content"]) + content_blocks(content)
    else:
        history.append(
            {"role": role, "content": content if isinstance(content, str) else list(content_blocks(content))}
        )


def normal(text: str) -> str:
    """Prompt text with whitespace runs collapsed, for matching a sidechain to its Task call."""
    return " ".join(text.split())


def prompt_text(content: Any) -> str:
    if isinstance(content, str):
        return content.strip()
    return "\n".join(
        str(b.get("text", ""))
        for b in content_blocks(content)
        if isinstance(b, dict) and b.get("type") == "text"
    ).strip()
