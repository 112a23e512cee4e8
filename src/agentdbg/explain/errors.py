"""Explain's errors, defined in the one tree of ``agentdbg.errors`` and re-exported here.

``NoApiKeyError`` is ``MissingApiKeyError`` (one "missing key" error for replay, verify and explain);
explain attaches its offline ``findings`` to it.
"""

from __future__ import annotations

from agentdbg.errors import ExplainError, InvalidAnswerError, MissingApiKeyError

NoApiKeyError = MissingApiKeyError

__all__ = ["ExplainError", "InvalidAnswerError", "NoApiKeyError"]
