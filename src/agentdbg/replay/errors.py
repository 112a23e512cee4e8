"""Replay's errors, defined in the one tree of ``agentdbg.errors`` and re-exported here for replay code."""

from __future__ import annotations

from agentdbg.errors import OutputExistsError, ReplayDivergenceError, ReplayInputError, ToolsSpecError

__all__ = ["OutputExistsError", "ReplayDivergenceError", "ReplayInputError", "ToolsSpecError"]
