"""Provider-neutral scripted answers for the fake LLM server, and the helpers that build them.

A ``Reply`` says what the model answers (text, tool calls, reasoning, usage,
finish reason) or which HTTP error it fails with; the server renders it in the
wire format of whichever endpoint was hit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ScriptedToolCall:
    """One tool call the model asks for. ``arguments`` may be a str to script invalid JSON."""

    name: str
    arguments: Any = field(default_factory=dict)
    call_id: str | None = None

    def arguments_json(self) -> str:
        """The arguments as the JSON string OpenAI puts on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)

    def arguments_object(self) -> Any:
        """The arguments as the object Anthropic puts on the wire (invalid JSON kept as a string field)."""
        if isinstance(self.arguments, str):
            try:
                return json.loads(self.arguments)
            except ValueError:
                return {"_raw": self.arguments}
        return self.arguments


@dataclass
class ScriptedError:
    """An HTTP error answer: status, message, error type/code and optional Retry-After."""

    status: int
    message: str
    type: str | None = None
    code: str | None = None
    retry_after: float | None = None


@dataclass
class Reply:
    """What the fake model answers to one request (or the error it fails with)."""

    text: str | None = None
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    reasoning: str | None = None
    usage: dict[str, int] | None = None
    finish_reason: str | None = None  # "stop" | "tool_calls" | "length"; derived when None
    delay: float = 0.0  # seconds before the first byte (non-stream) or first event (stream)
    chunk_delay: float = 0.0  # seconds between streamed events
    model: str | None = None  # defaults to the request's model
    error: ScriptedError | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def resolved_finish_reason(self) -> str:
        """The neutral finish reason: explicit, else ``tool_calls`` when calling tools, else ``stop``."""
        if self.finish_reason:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


def reply(
    text: str,
    *,
    usage: Mapping[str, int] | None = None,
    delay: float = 0.0,
    reasoning: str | None = None,
    finish_reason: str | None = None,
    chunk_delay: float = 0.0,
    model: str | None = None,
) -> Reply:
    """A plain text answer.

    Args:
        text: The assistant's text.
        usage: Token counts in neutral names (``input_tokens``, ``output_tokens``,
            ``cached_input_tokens``, ``cache_creation_input_tokens``, ``reasoning_tokens``);
            missing counts are estimated from the request and answer sizes.
        delay: Seconds to wait before answering (time to first token when streamed).
        reasoning: Optional reasoning/thinking text (rendered where the protocol has it).
        finish_reason: ``stop`` (default) or ``length``.
        chunk_delay: Seconds between streamed events.
        model: Model name to report (default: the request's).
    """
    return Reply(
        text=text,
        usage=dict(usage) if usage else None,
        delay=delay,
        reasoning=reasoning,
        finish_reason=finish_reason,
        chunk_delay=chunk_delay,
        model=model,
    )


def tool_call_reply(
    name: str,
    args: Any,
    *,
    call_id: str | None = None,
    text: str | None = None,
    usage: Mapping[str, int] | None = None,
    delay: float = 0.0,
    reasoning: str | None = None,
) -> Reply:
    """An answer asking for one tool call (``args`` a dict, or a str for raw/invalid JSON)."""
    return tool_calls_reply(
        [ScriptedToolCall(name, args, call_id)], text=text, usage=usage, delay=delay, reasoning=reasoning
    )


def tool_calls_reply(
    calls: Iterable[ScriptedToolCall | tuple[str, Any] | tuple[str, Any, str]],
    *,
    text: str | None = None,
    usage: Mapping[str, int] | None = None,
    delay: float = 0.0,
    reasoning: str | None = None,
) -> Reply:
    """An answer asking for several tool calls at once: ``[(name, args), (name, args, call_id), ...]``."""
    scripted = [c if isinstance(c, ScriptedToolCall) else ScriptedToolCall(*c) for c in calls]
    return Reply(
        text=text,
        tool_calls=scripted,
        usage=dict(usage) if usage else None,
        delay=delay,
        reasoning=reasoning,
    )


def error_reply(
    status: int,
    message: str,
    *,
    type: str | None = None,
    code: str | None = None,
    retry_after: float | None = None,
    delay: float = 0.0,
) -> Reply:
    """An HTTP error with the provider's JSON error body.

    The SDKs retry 408/409/429/5xx (with backoff of ~0.5 s unless ``retry_after``,
    in seconds, is given: it is sent as ``retry-after-ms``) and raise at once on other 4xx.
    """
    return Reply(error=ScriptedError(status, message, type, code, retry_after), delay=delay)


def estimate_tokens(value: Any) -> int:
    """A rough token count (4 characters per token) used when a reply gives no usage."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return max(1, (len(text) + 3) // 4)


def neutral_usage(script: Reply, request_json: Mapping[str, Any]) -> dict[str, int]:
    """Usage counts for a reply: the scripted ones, missing ones estimated from sizes."""
    given = dict(script.usage or {})
    prompt_parts = {k: request_json.get(k) for k in ("messages", "input", "system", "instructions", "tools")}
    answer_parts = [script.text or "", script.reasoning or ""] + [
        c.name + c.arguments_json() for c in script.tool_calls
    ]
    input_tokens = given.get("input_tokens", estimate_tokens({k: v for k, v in prompt_parts.items() if v}))
    reasoning_tokens = given.get(
        "reasoning_tokens", estimate_tokens(script.reasoning) if script.reasoning else 0
    )
    output_tokens = given.get("output_tokens", estimate_tokens("".join(answer_parts)))
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": given.get("total_tokens", input_tokens + output_tokens),
        "cached_input_tokens": given.get("cached_input_tokens", 0),
        "cache_creation_input_tokens": given.get("cache_creation_input_tokens", 0),
        "reasoning_tokens": reasoning_tokens,
    }
