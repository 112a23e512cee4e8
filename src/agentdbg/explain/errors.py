"""Errors of ``explain`` (all under ``agentdbg.errors.AgentdbgError``).

AgentdbgError
├── NoApiKeyError        no key for the model provider; carries the offline findings (exit 2)
└── ExplainError         the model could not be asked, or its answer is unusable (exit 1)
    └── InvalidAnswerError  the answer did not validate, even after one retry with the error
"""

from __future__ import annotations

from typing import Any

from agentdbg.errors import AgentdbgError


class NoApiKeyError(AgentdbgError):
    """The provider's key is not in the environment; the offline diagnose findings are still attached."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, *, variable: str, findings: list[Any]) -> None:
        super().__init__(message, hint)
        self.variable = variable
        self.findings = findings


class ExplainError(AgentdbgError):
    """The model could not be asked (API error, unusable provider) or gave no usable answer."""

    exit_code = 1


class InvalidAnswerError(ExplainError):
    """The model's answer failed validation twice (first answer, then the retry with the error)."""

    def __init__(self, message: str, hint: str | None = None, *, errors: list[str], raw: list[str]) -> None:
        super().__init__(message, hint)
        self.errors = errors
        self.raw = raw


__all__ = ["ExplainError", "InvalidAnswerError", "NoApiKeyError"]
