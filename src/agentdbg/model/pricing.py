"""List prices of known models, so a step's cost can be shown where the price is known.

``PRICES`` maps a model name (or family prefix) to USD per million tokens:
(input, cached input, output). ``step_cost`` picks the longest matching prefix. These are
public list prices at the time of writing; an estimate, never a bill.
"""

from __future__ import annotations

from agentdbg.model.records import Usage

PRICES: dict[str, tuple[float, float, float]] = {
    # OpenAI (input, cached input, output) per 1M tokens
    "gpt-4o": (2.50, 1.25, 10.00),
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4.1": (2.00, 0.50, 8.00),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1-nano": (0.10, 0.025, 0.40),
    "gpt-5": (1.25, 0.125, 10.00),
    "gpt-5-mini": (0.25, 0.025, 2.00),
    "gpt-5-nano": (0.05, 0.005, 0.40),
    "o3": (2.00, 0.50, 8.00),
    "o4-mini": (1.10, 0.275, 4.40),
    "gpt-3.5-turbo": (0.50, 0.50, 1.50),
    # Anthropic (input, cache read, output); cache writes cost 1.25x input
    "claude-opus-4": (15.00, 1.50, 75.00),
    "claude-sonnet-4": (3.00, 0.30, 15.00),
    "claude-3-7-sonnet": (3.00, 0.30, 15.00),
    "claude-3-5-sonnet": (3.00, 0.30, 15.00),
    "claude-3-5-haiku": (0.80, 0.08, 4.00),
    "claude-haiku-4": (1.00, 0.10, 5.00),
}


def price_of(model: str | None) -> tuple[float, float, float] | None:
    """Per-million prices of ``model`` (longest prefix match), or ``None`` when unknown."""
    if not model:
        return None
    name = model.strip().lower().rsplit("/", 1)[-1]
    matches = [key for key in PRICES if name.startswith(key)]
    return PRICES[max(matches, key=len)] if matches else None


def step_cost(model: str | None, usage: Usage | None, provider: str | None = None) -> float | None:
    """Estimated USD cost of one call, or ``None`` when the price or usage is unknown.

    OpenAI counts cached tokens inside ``input_tokens``; Anthropic reports them apart.
    """
    prices = price_of(model)
    if prices is None or usage is None or usage.input_tokens is None:
        return None
    per_input, per_cached, per_output = (p / 1_000_000 for p in prices)
    cached = usage.cached_input_tokens or 0
    written = usage.cache_creation_input_tokens or 0
    anthropic = provider == "anthropic" or (model or "").lower().startswith("claude")
    fresh = usage.input_tokens if anthropic else max(0, usage.input_tokens - cached)
    cost = fresh * per_input + cached * per_cached + (usage.output_tokens or 0) * per_output
    if anthropic:
        cost += written * per_input * 1.25
    return cost


__all__ = ["PRICES", "price_of", "step_cost"]
