"""Claude Code's headless output (``claude -p --output-format stream-json --verbose``, the Claude Agent SDK's
message stream, claude-code-action's execution log): the same ``assistant``/``user`` messages as a session
transcript, without ``uuid``/``parentUuid`` links or timestamps, opened by a ``system`` ``init`` record
(model, tools, cwd) and closed by a ``result`` record (final text, cost, turns, the run's total usage).
Messages of a sub-agent carry the ``parent_tool_use_id`` of the Task call that started it.
"""

from __future__ import annotations

from typing import Any

from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span

_STREAM_TYPES = {"system", "assistant", "user", "result", "stream_event", "rate_limit_event"}
_META = {"session_id": "sessionId", "claude_code_version": "version", "cwd": "cwd", "model": "model"}


def is_stream(objects: list[dict[str, Any]]) -> bool:
    """The first records of a file look like stream-json output."""
    if not objects:
        return False
    first = objects[0]
    if first.get("type") == "system" and first.get("subtype") == "init" and "session_id" in first:
        return True
    return all(o.get("type") in _STREAM_TYPES and "session_id" in o for o in objects) and any(
        o.get("type") in ("assistant", "user") and isinstance(o.get("message"), dict) for o in objects
    )


def stream_meta(records: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Session metadata from the ``init`` record (named as a transcript names them), else from any record."""
    init = next((r for _, r in records if r.get("type") == "system" and r.get("subtype") == "init"), None)
    source = init or next((r for _, r in records if r.get("session_id")), {})
    meta = {name: source[key] for key, name in _META.items() if source.get(key) is not None}
    if init is not None:
        meta["init"] = {k: v for k, v in init.items() if k not in ("type", "subtype")}
    return meta


def apply_result(session: Span, record: dict[str, Any]) -> None:
    """The closing ``result`` record: the run's answer and totals on the session step, its failure as the
    session's error (the per-call usage stays on the llm steps: the totals are not added again)."""
    session.output = (
        record.get("result") if record.get("result") is not None else record.get("structured_output")
    )
    session.attributes["result"] = {k: v for k, v in record.items() if k not in ("type", "result")}
    subtype = str(record.get("subtype") or "")
    if record.get("is_error") or subtype.startswith("error"):
        text = str(record.get("result") or "").strip()
        session.error = ErrorInfo(type=subtype or "error", message=text or subtype or "the run failed")
