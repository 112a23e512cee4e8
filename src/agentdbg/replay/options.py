"""How a fork is run, as one typed value: what ``replay``, ``verify``, ``explain --verify`` and the TUI pass around."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ToolsArg = str | Mapping[str, Callable[..., Any]] | Sequence[Callable[..., Any]] | None


@dataclass(frozen=True, kw_only=True)
class ReplayOptions:
    """Everything about a built-in replay except where it starts and what it changes.

    Attributes:
        model, provider, base_url: Overrides of the recorded ones (``provider`` must match the recorded API
            unless ``model`` is given too).
        tools: ``"module:attr"``, a dict name→function, a list of functions or framework tool objects, for
            tool calls not in the trace.
        final_tools: Tools whose call ends the run as its answer (besides the known framework ones).
        max_steps: The most llm calls a fork may make (status ``max-steps`` when reached).
        max_retries: SDK retries on 408/409/429/5xx.
        keep_recorded_headers: Send the ``extra_headers`` / ``extra_query`` a recorded request carries
            (dropped by default, with a note: a trace must not choose headers sent with your key).
    """

    model: str | None = None
    provider: str | None = None
    base_url: str | None = None
    tools: ToolsArg = None
    final_tools: Sequence[str] = field(default_factory=tuple)
    max_steps: int = 20
    max_retries: int = 2
    keep_recorded_headers: bool = False


__all__ = ["ReplayOptions", "ToolsArg"]
