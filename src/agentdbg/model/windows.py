"""Context windows of known models, so detectors can tell how full a request was.

``CONTEXT_WINDOWS`` maps a model name (or the prefix of a family of dated names)
to its input window in tokens; ``context_window`` picks the longest matching
prefix, so ``gpt-4o-2024-08-06`` finds ``gpt-4o`` and not ``gpt-4``.
"""

from __future__ import annotations

CONTEXT_WINDOWS: dict[str, int] = {
    # OpenAI
    "gpt-3.5-turbo": 16_385,
    "gpt-4": 8_192,
    "gpt-4-32k": 32_768,
    "gpt-4-turbo": 128_000,
    "gpt-4-1106": 128_000,
    "gpt-4-0125": 128_000,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.5": 128_000,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o1-mini": 128_000,
    "o1-preview": 128_000,
    "o3": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    # Anthropic
    "claude-2": 100_000,
    "claude-2.1": 200_000,
    "claude-3": 200_000,
    "claude-3-5": 200_000,
    "claude-3-7": 200_000,
    "claude-haiku-4": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-opus-4": 200_000,
    # Others reached through OpenAI-compatible servers
    "gemini-1.5": 1_000_000,
    "gemini-2": 1_000_000,
    "llama-3": 8_192,
    "llama-3.1": 128_000,
    "mistral-large": 128_000,
}


def _normalise(model: str) -> str:
    name = model.strip().lower()
    if "/" in name:  # "openai/gpt-4o", "anthropic/claude-3-5-sonnet"
        name = name.rsplit("/", 1)[1]
    return name


_TABLE = {_normalise(key): value for key, value in CONTEXT_WINDOWS.items()}


def _lookup(name: str, table: dict[str, int]) -> int | None:
    if name in table:
        return table[name]
    prefixes = [key for key in table if name.startswith(key)]
    return table[max(prefixes, key=len)] if prefixes else None


def context_window(model: str | None, overrides: dict[str, int] | None = None) -> int | None:
    """The input window of ``model`` in tokens, or ``None`` when unknown.

    ``overrides`` (from ``--window MODEL=N``) win over the table; both match
    exactly first, then by the longest prefix.
    """
    if not model:
        return None
    name = _normalise(model)
    if overrides:
        found = _lookup(name, {_normalise(key): value for key, value in overrides.items()})
        if found is not None:
            return found
    table = (
        _TABLE
        if len(_TABLE) == len(CONTEXT_WINDOWS)
        else {_normalise(k): v for k, v in CONTEXT_WINDOWS.items()}
    )
    return _lookup(name, table)


__all__ = ["CONTEXT_WINDOWS", "context_window"]
