"""agentdbg: debug failed AI-agent runs.

Capture with ``wrap_openai`` / ``wrap_anthropic`` / ``@tool`` / ``span()`` /
``trace()``, open traces with ``open_trace``, and work on the ``Trace`` model.
"""

from __future__ import annotations

from typing import Any

from agentdbg.errors import AgentdbgError
from agentdbg.importers import open_trace
from agentdbg.model import Span, Trace
from agentdbg.store import read_trace

__version__ = "0.1.0"

_CAPTURE_NAMES = (
    "wrap_openai",
    "wrap_anthropic",
    "tool",
    "span",
    "trace",
    "current_span",
    "carry_context",
    "instrument",
    "uninstrument",
)


def __getattr__(name: str) -> Any:
    """Capture helpers load lazily, so reading traces never imports the SDK machinery."""
    if name in _CAPTURE_NAMES:
        from agentdbg import capture

        return getattr(capture, name)
    if name == "replaying":  # code-level replay around the user's own call (agentdbg.replay.inline)
        from agentdbg.replay.inline import replaying

        return replaying
    raise AttributeError(f"module 'agentdbg' has no attribute {name!r}")


__all__ = [
    "AgentdbgError",
    "Span",
    "Trace",
    "__version__",
    "open_trace",
    "read_trace",
    "replaying",
    *_CAPTURE_NAMES,
]
