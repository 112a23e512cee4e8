"""Replay-specific errors (all under ``agentdbg.errors.AgentdbgError``).

ReplayError (agentdbg.errors, exit 1)
└── ReplayInputError   the replay was asked for something it cannot do (exit 2)
    └── ToolsSpecError ``--tools module:attr`` is not importable or not tools
OutputExistsError      the fork's output file exists and ``--force`` was not given (exit 2)
"""

from __future__ import annotations

from agentdbg.errors import AgentdbgError, ReplayError


class ReplayInputError(ReplayError):
    """Bad input for a replay: a step that cannot be replayed, an unsupported override."""

    exit_code = 2


class ToolsSpecError(ReplayInputError):
    """``--tools module:attr`` cannot be imported or is not a dict/list of callables."""


class OutputExistsError(AgentdbgError):
    """The output file exists; replay never overwrites without ``--force``."""
