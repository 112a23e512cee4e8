"""Token counts from any provider response, in neutral names."""

from __future__ import annotations

from typing import Any

from agentdbg.model.records import Usage
from agentdbg.wire import codec


def usage_from_response(api: str, response: Any) -> Usage | None:
    """Neutral token counts from a provider response (``None`` if it holds none)."""
    if not isinstance(response, dict):
        return None
    wire = codec(api)
    if wire is not None:
        counts = wire.usage(response)
        return Usage(**counts) if counts is not None else None
    raw = response.get("usage") or response.get("usage_metadata")
    if not isinstance(raw, dict):
        return None
    return Usage(
        input_tokens=raw.get("input_tokens", raw.get("prompt_tokens")),
        output_tokens=raw.get("output_tokens", raw.get("completion_tokens")),
        total_tokens=raw.get("total_tokens"),
    )


def input_incl_cache_raw(raw: Any) -> int | None:
    """:func:`input_incl_cache` of a usage dict as stored in a trace line (neutral field names)."""
    if not isinstance(raw, dict):
        return None
    fresh = raw.get("input_tokens")
    if not isinstance(fresh, int) or isinstance(fresh, bool):
        return None
    written = raw.get("cache_creation_input_tokens")
    if written is None:
        return fresh  # OpenAI / Gemini style: the cached part is already inside input_tokens
    cached = raw.get("cached_input_tokens")
    return fresh + (cached if isinstance(cached, int) else 0) + (written if isinstance(written, int) else 0)


def input_incl_cache(usage: Usage | None) -> int | None:
    """Every input token the model read for one call: fresh, read from the prompt cache and written to it.

    The one definition of "input tokens" for the tree, the header, the sparkline and the step index.
    Anthropic reports cache reads (``cached_input_tokens``) and writes (``cache_creation_input_tokens``)
    apart from ``input_tokens``; OpenAI and Gemini count the cached part inside ``input_tokens``.
    A usage that carries ``cache_creation_input_tokens`` (only the Anthropic form has it) is read the
    Anthropic way. ``None`` when the call has no input count.
    """
    if usage is None:
        return None
    return input_incl_cache_raw(
        {
            "input_tokens": usage.input_tokens,
            "cached_input_tokens": usage.cached_input_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        }
    )


def cached_part(usage: Usage | None) -> int:
    """How many of :func:`input_incl_cache`'s tokens were read from the prompt cache (0 if none)."""
    return (usage.cached_input_tokens or 0) if usage is not None else 0
