"""Render scripted replies as OpenAI chat.completions and responses objects; their streams come from ``wire``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from agentdbg.testing.replies import Reply, ScriptedError, neutral_usage
from agentdbg.wire import openai_chat, openai_responses
from agentdbg.wire.sse import Event

NewId = Callable[[str], str]

_CHAT_FINISH = {"stop": "stop", "tool_calls": "tool_calls", "length": "length"}


def error_body(error: ScriptedError) -> dict[str, Any]:
    """OpenAI's JSON error body."""
    default_type = "invalid_request_error" if error.status < 500 else "server_error"
    if error.status == 429:
        default_type = "rate_limit_exceeded"
    return {
        "error": {
            "message": error.message,
            "type": error.type or default_type,
            "param": None,
            "code": error.code,
        }
    }


def _chat_usage(usage: Mapping[str, int]) -> dict[str, Any]:
    return {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
        "prompt_tokens_details": {"cached_tokens": usage["cached_input_tokens"], "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage["reasoning_tokens"],
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _call_ids(script: Reply, new_id: NewId) -> list[str]:
    return [call.call_id or new_id("call_") for call in script.tool_calls]


def chat_json(script: Reply, request: Mapping[str, Any], new_id: NewId) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    call_ids = _call_ids(script, new_id)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": script.text,
        "refusal": None,
        "annotations": [],
    }
    if script.tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json()}}
            for cid, c in zip(call_ids, script.tool_calls, strict=True)
        ]
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": script.model or request.get("model", "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _CHAT_FINISH.get(script.resolved_finish_reason(), "stop"),
            }
        ],
        "usage": _chat_usage(neutral_usage(script, request)),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def chat_events(script: Reply, request: Mapping[str, Any], new_id: NewId) -> Iterator[Event]:
    """``chat.completion.chunk`` events, a usage chunk if ``stream_options.include_usage``, then ``[DONE]``."""
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    return openai_chat.events(chat_json(script, request, new_id), include_usage=include_usage)


def _responses_usage(usage: Mapping[str, int]) -> dict[str, Any]:
    return {
        "input_tokens": usage["input_tokens"],
        "input_tokens_details": {"cached_tokens": usage["cached_input_tokens"]},
        "output_tokens": usage["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": usage["reasoning_tokens"]},
        "total_tokens": usage["total_tokens"],
    }


def _response_items(script: Reply, new_id: NewId) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if script.reasoning:
        items.append(
            {
                "type": "reasoning",
                "id": new_id("rs_"),
                "summary": [{"type": "summary_text", "text": script.reasoning}],
            }
        )
    if script.text is not None:
        items.append(
            {
                "type": "message",
                "id": new_id("msg_"),
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": script.text, "annotations": [], "logprobs": []}],
            }
        )
    for cid, call in zip(_call_ids(script, new_id), script.tool_calls, strict=True):
        items.append(
            {
                "type": "function_call",
                "id": new_id("fc_"),
                "call_id": cid,
                "name": call.name,
                "arguments": call.arguments_json(),
                "status": "completed",
            }
        )
    return items


def _response_object(
    script: Reply, request: Mapping[str, Any], rid: str, status: str, output: list[dict[str, Any]]
) -> dict[str, Any]:
    done = status != "in_progress"
    incomplete = done and script.resolved_finish_reason() == "length"
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": "incomplete" if incomplete else status,
        "completed_at": int(time.time()) if done else None,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": script.model or request.get("model", "gpt-4o-mini"),
        "output": output,
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": request.get("reasoning") or {"effort": None, "summary": None},
        "temperature": request.get("temperature", 1.0),
        "text": request.get("text") or {"format": {"type": "text"}},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools", []),
        "top_p": request.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": _responses_usage(neutral_usage(script, request)) if done else None,
        "metadata": request.get("metadata") or {},
    }


def responses_json(script: Reply, request: Mapping[str, Any], new_id: NewId) -> dict[str, Any]:
    """A completed ``response`` object."""
    return _response_object(script, request, new_id("resp_"), "completed", _response_items(script, new_id))


def responses_events(script: Reply, request: Mapping[str, Any], new_id: NewId) -> Iterator[Event]:
    """The responses event stream, from ``response.created`` to ``response.completed``."""
    return openai_responses.events(responses_json(script, request, new_id))
