"""Claude Code's headless output (``claude -p --output-format stream-json --verbose``, the Claude Agent SDK's
message stream, claude-code-action's execution log): the same ``assistant``/``user`` messages as a session
transcript, without ``uuid``/``parentUuid`` links or timestamps, opened by a ``system`` ``init`` record
(model, tools, cwd) and closed by a ``result`` record (final text, cost, turns, the run's total usage).
Messages of a sub-agent carry the ``parent_tool_use_id`` of the Task call that started it.

An ``assistant`` record is written as its content block ends, before the API's ``message_delta``: its
``usage.output_tokens`` is the count of ``message_start`` (1 or 2), not the answer's. With
``--include-partial-messages`` the ``stream_event`` records carry that ``message_delta`` (final usage and
stop reason), which ``StreamEvents`` puts on the step; without them only the ``result`` total is right,
and ``settle_output_tokens`` keeps it on the session step instead of the start counts.
"""

from __future__ import annotations

from typing import Any

from agentdbg.importers._common import as_dict, make_usage
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.views import ANTHROPIC_MESSAGES, usage_from_response

#: attribute of an llm step whose usage a ``message_delta`` made final
FINAL_USAGE = "usage_from_message_delta"

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
        status = record.get("api_error_status")
        status_code = status if isinstance(status, int) and not isinstance(status, bool) else None
        # CLI 2.1.x ends a run whose API call failed with subtype 'success', is_error and api_error_status
        kind = subtype if subtype.startswith("error") else ("api_error" if status_code else "error")
        session.error = ErrorInfo(
            type=kind, message=text or subtype or "the run failed", status_code=status_code
        )


class StreamEvents:
    """``stream_event`` records: ``message_start`` names the message the next events belong to,
    ``message_delta`` gives its step the final usage and stop reason; the rest repeat the assistant
    records and are counted (``counts``)."""

    def __init__(self) -> None:
        self.message_id: dict[str, str] = {}  # parent_tool_use_id ('' for the main thread) -> message id
        self.counts: dict[str, int] = {}

    def event(self, record: dict[str, Any], llm_by_message: dict[str, Span]) -> None:
        event = as_dict(record.get("event"))
        kind = str(event.get("type") or "unknown")
        self.counts[f"stream_event.{kind}"] = self.counts.get(f"stream_event.{kind}", 0) + 1
        thread = str(record.get("parent_tool_use_id") or "")
        if kind == "message_start":
            message_id = as_dict(event.get("message")).get("id")
            if message_id:
                self.message_id[thread] = str(message_id)
            return
        if kind != "message_delta":
            return
        span = llm_by_message.get(self.message_id.get(thread, ""))
        if span is None or not isinstance(span.output, dict):
            return
        usage = {k: v for k, v in as_dict(event.get("usage")).items() if v is not None}
        if usage:
            span.output["usage"] = {**as_dict(span.output.get("usage")), **usage}
            span.usage = usage_from_response(ANTHROPIC_MESSAGES, span.output)
            span.attributes[FINAL_USAGE] = True
        delta = as_dict(event.get("delta"))
        if delta.get("stop_reason"):
            span.output["stop_reason"] = delta["stop_reason"]
            span.attributes["finish_reason"] = delta["stop_reason"]


def settle_output_tokens(session: Span, llm_steps: list[Span]) -> str | None:
    """Without ``message_delta`` events the llm steps hold ``message_start`` output counts. When the
    ``result`` total (the main thread's calls) is larger than its steps' counts, those counts are shown
    for what they are: unknown (kept as an attribute), sub-agents' too, and the session step holds the
    main thread's rest of the total, so the run's output tokens add up; returns the note saying so."""
    result = as_dict(session.attributes.get("result"))
    total = as_dict(result.get("usage")).get("output_tokens")
    if not isinstance(total, int) or isinstance(total, bool):
        return None

    def output(span: Span) -> int:
        return (span.usage.output_tokens or 0) if span.usage else 0

    at_start = [
        s
        for s in llm_steps
        if s.usage and s.usage.output_tokens is not None and not s.attributes.get(FINAL_USAGE)
    ]
    main = [s for s in llm_steps if s.parent_id == session.id]
    final = sum(output(s) for s in main if s.attributes.get(FINAL_USAGE))
    if not at_start or total <= sum(output(s) for s in main):
        return None
    for span in at_start:
        assert span.usage is not None
        span.attributes["output_tokens_at_message_start"] = span.usage.output_tokens
        span.usage = span.usage.model_copy(update={"output_tokens": None, "total_tokens": None})
    session.usage = make_usage(None, total - final)
    return (
        f"stream-json holds each answer as of message_start: the output tokens of {len(at_start)} llm "
        f"step(s) are not in the file; the result's total for the main thread ({total - final}) is on "
        "the session step"
    )
