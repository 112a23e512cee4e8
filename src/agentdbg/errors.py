"""The one error root of agentdbg.

Every error a user can act on derives from ``AgentdbgError``::

    AgentdbgError                 (exit 2 unless said otherwise)
    ├── TraceReadError            a file cannot be opened or is not a trace at all
    ├── StepNotFoundError         a step address names no step
    ├── PatchError                a patch does not parse or does not apply
    ├── MissingApiKeyError        the provider's key is not in the environment (replay, verify, explain;
    │                             explain attaches its offline ``findings``)
    ├── ReplayError               a replay cannot start or continue (exit 1)
    │   ├── ConversionError       ``--provider``: the request holds what the target API cannot carry (exit 2)
    │   ├── ReplayDivergenceError code-level replay: the program's request differs from the record (exit 5)
    │   └── ReplayInputError      the replay was asked for something it cannot do (exit 2)
    │       └── ToolsSpecError    ``--tools module:attr`` is not importable or not tools
    ├── OutputExistsError         the output file exists and ``--force`` was not given
    ├── ImportFormatError         a foreign file cannot be recognised or converted
    │   └── NotATraceError        no importer recognises the file and it is not ours (search skips it)
    ├── CaptureError              the capture SDK was used wrongly
    │   └── ReplayedToolError     a tool whose recorded call failed, replayed: raised in its place
    ├── HTTPStatusFailure         a raw-httpx model call answered non-2xx (a step's error, never raised
    │                             into the recorded program)
    ├── TraceFileBusyError        another process is writing the same trace file
    ├── ExportError               unknown export format, or the output cannot be written
    │   └── UnusualExportValue    internal: a value the direct OTLP encoder leaves to the dict path
    │                             (caught by the exporter, never shown)
    ├── ExplainError              the model could not be asked, or its answer is unusable (exit 1)
    │   └── InvalidAnswerError    the answer did not validate, even after one retry with the error
    ├── ProviderChoiceError       ``explain --provider`` names a provider it cannot ask
    ├── UnknownPatternError       a ``--finding`` pattern id names no detector
    ├── SearchInputError          a search argument is unusable (missing directory, bad date)
    ├── WindowOptionError         a ``--window`` value is not ``MODEL=TOKENS``
    ├── VerifyInputError          ``verify`` found nothing to work on
    ├── ExtraMissingError         an optional extra (agentdbg[mcp], …) is not installed
    ├── PathOutsideRootsError     an MCP client named a path outside the server's roots
    ├── QueryError                an MCP tool was called with arguments it cannot use
    └── SourceError               a tracing backend is unreachable, lacks the id or refused the key (``pull``)

``tests/surface/test_error_tree.py`` checks that every exception class in the package is here.

Domain code raises these; the CLI prints ``message`` (and ``hint``) on stderr and
sets the exit code; the TUI shows a notification.
"""

from __future__ import annotations

from typing import Any


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


class MissingApiKeyError(AgentdbgError):
    """The provider's API key is not set in the environment (checked before anything is sent).

    ``variable`` names the environment variable; ``findings`` holds what could be worked out
    offline meanwhile (``explain`` attaches its diagnose findings).
    """

    def __init__(
        self, message: str, hint: str | None = None, *, variable: str | None = None, findings: list[Any] | None = None
    ) -> None:
        super().__init__(message, hint)
        self.variable = variable
        self.findings = findings if findings is not None else []


class ConversionError(ReplayError):
    """A request holds something the target API has no equivalent for (bad input for ``--provider``)."""

    exit_code = 2


class ImportFormatError(AgentdbgError):
    """A foreign trace file cannot be recognised or converted."""


class NotATraceError(ImportFormatError):
    """No importer recognises the file and it is not agentdbg JSONL: not a trace at all (a patch, a config)."""


class CaptureError(AgentdbgError):
    """The capture SDK was used in a way it cannot honour."""


class TraceFileBusyError(AgentdbgError):
    """Another process holds the trace file open for writing; two runs are never merged into one file."""


class ExtraMissingError(AgentdbgError):
    """A feature needs an optional extra that is not installed (the hint names the pip command)."""


class PathOutsideRootsError(AgentdbgError):
    """A path an MCP client passed resolves outside the roots the server was started with."""


class QueryError(AgentdbgError):
    """An MCP tool was called with arguments it cannot use (unknown part, bad page)."""


class SourceError(AgentdbgError):
    """A tracing backend is unreachable, does not know the id, or refused the key (``agentdbg pull``)."""


# --- replay -------------------------------------------------------------------------------------------------


class ReplayDivergenceError(ReplayError):
    """The program sent a request before the fork that differs from the record (exit 5 on the CLI)."""

    exit_code = 5

    def __init__(self, divergence: Any) -> None:
        super().__init__(divergence.text)
        self.divergence = divergence


class ReplayInputError(ReplayError):
    """Bad input for a replay: a step that cannot be replayed, an unsupported override."""

    exit_code = 2


class ToolsSpecError(ReplayInputError):
    """``--tools module:attr`` cannot be imported or is not a dict/list of callables."""


class OutputExistsError(AgentdbgError):
    """The output file exists; replay never overwrites without ``--force``."""


# --- capture ------------------------------------------------------------------------------------------------


class ReplayedToolError(CaptureError):
    """A tool whose recorded call failed, replayed: raised in place of the original exception."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('type', 'Error')}: {error.get('message', '')} (recorded tool error, replayed)")


class HTTPStatusFailure(AgentdbgError):
    """A non-2xx answer to a raw-httpx model call (the step's error; never raised to the program)."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.body = body


# --- export, explain, analysis, CLI options -----------------------------------------------------------------


class ExportError(AgentdbgError):
    """A trace cannot be exported: unknown format, or the output cannot be written."""


class UnusualExportValue(ExportError):
    """Internal: a value the direct OTLP encoder (``exporters/otlp_encode.py``) leaves to the dict path."""

    def __init__(self, message: str = "a value the direct OTLP encoder leaves to the dict path") -> None:
        super().__init__(message)


class ExplainError(AgentdbgError):
    """The model could not be asked (API error, unusable provider) or gave no usable answer."""

    exit_code = 1


class InvalidAnswerError(ExplainError):
    """The model's answer failed validation twice (first answer, then the retry with the error)."""

    def __init__(self, message: str, hint: str | None = None, *, errors: list[str], raw: list[str]) -> None:
        super().__init__(message, hint)
        self.errors = errors
        self.raw = raw


class ProviderChoiceError(AgentdbgError):
    """``--provider`` names a provider explain cannot ask."""


class UnknownPatternError(AgentdbgError):
    """A pattern id given to ``--finding`` / ``patterns=`` names no detector."""


class SearchInputError(AgentdbgError):
    """A search argument is unusable (missing directory, bad date)."""


class WindowOptionError(AgentdbgError):
    """A ``--window`` value is not ``MODEL=TOKENS``."""


class VerifyInputError(AgentdbgError):
    """``verify`` found nothing to work on."""
