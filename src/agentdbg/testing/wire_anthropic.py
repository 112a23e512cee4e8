"""Render scripted replies as Anthropic ``message`` objects; their streams come from ``wire``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from agentdbg.testing.replies import Reply, ScriptedError, neutral_usage
from agentdbg.wire import anthropic_messages
from agentdbg.wire.sse import Event

NewId = Callable[[str], str]

_STOP = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_body(error: ScriptedError) -> dict[str, Any]:
    """Anthropic's JSON error body."""
    kind = error.type or _ERROR_TYPES.get(error.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": error.message}}


def _usage(usage: Mapping[str, int]) -> dict[str, Any]:
    return {
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
        "cache_read_input_tokens": usage["cached_input_tokens"],
        "service_tier": "standard",
    }


def _signature(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:48]


def _blocks(script: Reply, new_id: NewId) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if script.reasoning:
        blocks.append(
            {"type": "thinking", "thinking": script.reasoning, "signature": _signature(script.reasoning)}
        )
    if script.text is not None and (script.text or not script.tool_calls):
        blocks.append({"type": "text", "text": script.text})
    for call in script.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": call.call_id or new_id("toolu_"),
                "name": call.name,
                "input": call.arguments_object(),
            }
        )
    return blocks


def _message(script: Reply, request: Mapping[str, Any], mid: str, content: list[Any]) -> dict[str, Any]:
    return {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": script.model or request.get("model", "claude-sonnet-4-6"),
        "content": content,
        "stop_reason": _STOP.get(script.resolved_finish_reason(), "end_turn"),
        "stop_sequence": None,
        "usage": _usage(neutral_usage(script, request)),
    }


def messages_json(script: Reply, request: Mapping[str, Any], new_id: NewId) -> dict[str, Any]:
    """A ``message`` object."""
    return _message(script, request, new_id("msg_"), _blocks(script, new_id))


def messages_events(script: Reply, request: Mapping[str, Any], new_id: NewId) -> Iterator[Event]:
    """``message_start`` … ``content_block_*`` … ``message_delta``, ``message_stop``."""
    return anthropic_messages.events(messages_json(script, request, new_id))
