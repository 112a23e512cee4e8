"""Give a tool step the id of the call that asked for it, when its span names the tool but not the call.

OpenInference's tool spans (openai-agents, LlamaIndex) carry ``tool.name`` and the arguments but no call id,
while the llm span before them holds the answer's tool calls with their ids. Pairing them here lets every
command (diagnose's unanswered calls, replay's cached results) see which call a result answered.
"""

from __future__ import annotations

from typing import Any

from agentdbg.model.apis import api_key
from agentdbg.model.span import Span
from agentdbg.wire import codec


def _answer_calls(span: Span) -> list[dict[str, Any]]:
    """The neutral tool calls of an llm step's answer (none when its API or output is not known)."""
    step_input = span.input if isinstance(span.input, dict) else {}
    wire = codec(api_key(step_input.get("provider"), step_input.get("api")))
    if wire is None or not isinstance(span.output, dict):
        return []
    try:
        return wire.tool_calls(span.output)
    except (AttributeError, TypeError):  # an output that only looks like the API's response
        return []


def link_call_ids(spans: list[Span]) -> None:
    """Set ``input.call_id`` of tool steps without one to the id of the earliest open call of the same tool
    (equal arguments first) asked by an answer that started before the tool step."""
    claimed = {
        s.input.get("call_id")
        for s in spans
        if s.kind == "tool" and isinstance(s.input, dict) and s.input.get("call_id")
    }
    open_calls: list[dict[str, Any]] = []
    ordered = sorted(spans, key=lambda s: (s.started_at is None, s.started_at or 0.0))
    for span in ordered:
        if span.kind == "llm":
            open_calls.extend(c for c in _answer_calls(span) if c.get("id") and c["id"] not in claimed)
            continue
        if span.kind != "tool" or not isinstance(span.input, dict) or span.input.get("call_id"):
            continue
        name = span.input.get("name") or span.name
        same_name = [c for c in open_calls if c.get("name") == name]
        same_arguments = [c for c in same_name if c.get("arguments") == span.input.get("arguments")]
        candidates = same_arguments or same_name
        if candidates:
            match = candidates[0]
            span.input["call_id"] = match["id"]
            claimed.add(match["id"])
            open_calls.remove(match)
