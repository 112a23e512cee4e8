"""Token counts from any provider response, in neutral names."""

from __future__ import annotations

from typing import Any

from agentdbg.model.apis import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES
from agentdbg.model.records import Usage


def usage_from_response(api: str, response: Any) -> Usage | None:
    """Neutral token counts from a provider response (``None`` if it holds none)."""
    if not isinstance(response, dict):
        return None
    raw = response.get("usage") or response.get("usage_metadata")
    if not isinstance(raw, dict):
        return None
    if api == OPENAI_CHAT:
        details = raw.get("prompt_tokens_details") or {}
        out_details = raw.get("completion_tokens_details") or {}
        return Usage(
            input_tokens=raw.get("prompt_tokens"),
            output_tokens=raw.get("completion_tokens"),
            total_tokens=raw.get("total_tokens"),
            cached_input_tokens=details.get("cached_tokens") if isinstance(details, dict) else None,
            reasoning_tokens=out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None,
        )
    if api == OPENAI_RESPONSES:
        details = raw.get("input_tokens_details") or {}
        out_details = raw.get("output_tokens_details") or {}
        return Usage(
            input_tokens=raw.get("input_tokens"),
            output_tokens=raw.get("output_tokens"),
            total_tokens=raw.get("total_tokens"),
            cached_input_tokens=details.get("cached_tokens") if isinstance(details, dict) else None,
            reasoning_tokens=out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None,
        )
    if api == ANTHROPIC_MESSAGES:
        input_tokens = raw.get("input_tokens")
        output_tokens = raw.get("output_tokens")
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=(input_tokens or 0) + (output_tokens or 0) if input_tokens is not None else None,
            cached_input_tokens=raw.get("cache_read_input_tokens"),
            cache_creation_input_tokens=raw.get("cache_creation_input_tokens"),
        )
    return Usage(
        input_tokens=raw.get("input_tokens", raw.get("prompt_tokens")),
        output_tokens=raw.get("output_tokens", raw.get("completion_tokens")),
        total_tokens=raw.get("total_tokens"),
    )
