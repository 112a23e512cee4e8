"""The one error root of agentdbg.

Every error a user can act on derives from ``AgentdbgError``::

    AgentdbgError
    ├── TraceReadError        a file cannot be opened or is not a trace at all
    ├── StepNotFoundError     a step address names no step
    ├── PatchError            a patch does not parse or does not apply
    ├── ReplayError           a replay cannot start or continue
    │   └── MissingApiKeyError  the provider's key is not in the environment
    ├── ImportFormatError     a foreign file cannot be recognised or converted
    ├── CaptureError          the capture SDK was used wrongly
    ├── ExtraMissingError     an optional extra (agentdbg[mcp], …) is not installed
    ├── PathOutsideRootsError an MCP client named a path outside the server's roots
    └── QueryError            an MCP tool was called with arguments it cannot use

Domain code raises these; the CLI prints ``message`` (and ``hint``) on stderr and
sets the exit code; the TUI shows a notification.
"""

from __future__ import annotations


class AgentdbgError(Exception):
    """An error with a message a user can act on."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class TraceReadError(AgentdbgError):
    """A trace file cannot be opened or read at all."""


class StepNotFoundError(AgentdbgError):
    """A step address (``step-N``, a selector, a span id) names no step."""


class PatchError(AgentdbgError):
    """A patch does not parse or does not apply to the step's document."""


class ReplayError(AgentdbgError):
    """A replay cannot start or continue."""

    exit_code = 1


class MissingApiKeyError(ReplayError):
    """The provider's API key is not set in the environment."""


class ConversionError(ReplayError):
    """A request holds something the target API has no equivalent for (bad input for ``--provider``)."""

    exit_code = 2


class ImportFormatError(AgentdbgError):
    """A foreign trace file cannot be recognised or converted."""


class CaptureError(AgentdbgError):
    """The capture SDK was used in a way it cannot honour."""


class ExtraMissingError(AgentdbgError):
    """A feature needs an optional extra that is not installed (the hint names the pip command)."""


class PathOutsideRootsError(AgentdbgError):
    """A path an MCP client passed resolves outside the roots the server was started with."""


class QueryError(AgentdbgError):
    """An MCP tool was called with arguments it cannot use (unknown part, bad page)."""
