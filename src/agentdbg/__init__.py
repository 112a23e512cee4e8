"""agentdbg: debug failed AI-agent runs.

Capture with ``wrap_openai`` / ``wrap_anthropic`` / ``instrument()`` / ``@tool`` / ``span()`` /
``trace()``, open traces with ``open_trace``, and work on the ``Trace`` model.

Every name loads on first use (``import agentdbg`` costs only ``errors``), so an agent that
only captures never imports the importers, the TUI or the CLI. Type checkers see the real
signatures through the ``TYPE_CHECKING`` imports below; a misspelt name is an error for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentdbg.errors import AgentdbgError

if TYPE_CHECKING:
    from agentdbg.capture import (
        carry_context,
        current_span,
        span,
        tool,
        trace,
        wrap_anthropic,
        wrap_openai,
    )
    from agentdbg.capture.instrument import instrument, uninstrument
    from agentdbg.importers import open_trace
    from agentdbg.model import Span, Trace
    from agentdbg.replay.inline import replaying
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
# name -> the module it lives in, imported on first use
_LAZY = {
    **dict.fromkeys(_CAPTURE_NAMES, "agentdbg.capture"),
    "open_trace": "agentdbg.importers",
    "Span": "agentdbg.model",
    "Trace": "agentdbg.model",
    "read_trace": "agentdbg.store",
    "replaying": "agentdbg.replay.inline",  # code-level replay around the user's own call
}

if not TYPE_CHECKING:  # hidden from type checkers, so they judge every name by the imports above

    def __getattr__(name: str) -> Any:
        """Load ``name`` from its module on first use (then it is a plain module attribute)."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'agentdbg' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


__all__ = [
    "AgentdbgError",
    "Span",
    "Trace",
    "__version__",
    "carry_context",
    "current_span",
    "instrument",
    "open_trace",
    "read_trace",
    "replaying",
    "span",
    "tool",
    "trace",
    "uninstrument",
    "wrap_anthropic",
    "wrap_openai",
]
