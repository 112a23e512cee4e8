"""What a detector reports: a ``Finding`` at a step, and the options that tune the detectors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}

PATTERNS: dict[str, str] = {
    "loop": "the same tool called again and again (or two tools in ping-pong)",
    "schema": "tool-call arguments that break the offered JSON Schema",
    "unknown-tool": "a call to a tool the request did not offer",
    "wrong-tool": "a tool that seems unrelated to the user's request (a suspicion)",
    "context": "input close to or over the model's context window",
    "truncation": "system prompt or earlier messages missing from a later request",
    "retrieval": "retrieved documents with low lexical relevance to the query",
    "error": "tool exceptions, API errors, incomplete steps, runs without a final answer",
}


class Finding(BaseModel):
    """One suspected failure, pointing at the step where it starts.

    ``step`` is the 1-based step number (``address`` gives ``step-N``); ``evidence``
    says what was seen, ``fix`` what to try; ``details`` holds machine-readable facts.
    """

    severity: Severity
    pattern: str
    step: int
    span_id: str | None = None
    title: str
    evidence: str
    fix: str
    related_steps: list[int] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None

    @property
    def address(self) -> str:
        return f"step-{self.step}"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict with ``step`` as ``step-N`` (what users and scripts type)."""
        data = self.model_dump()
        data["step"] = self.address
        data["related_steps"] = [f"step-{n}" for n in self.related_steps]
        return data


class DiagnoseOptions(BaseModel):
    """Knobs of the detectors; the defaults suit most runs."""

    loop_threshold: int = Field(default=3, ge=2, description="Calls in a row that make a loop.")
    windows: dict[str, int] = Field(
        default_factory=dict, description="Context windows by model, over the built-in table."
    )
    pressure_ratio: float = Field(
        default=0.9, gt=0, description="Share of the window that counts as pressure."
    )
    retrieval_threshold: float = Field(
        default=0.2, ge=0, le=1, description="Best-document relevance below this is flagged."
    )
    patterns: list[str] | None = Field(default=None, description="Run only these detectors (pattern ids).")
    final_tools: list[str] = Field(
        default_factory=list, description="Tools whose call is the final answer (besides the known ones)."
    )


def at_least(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings at or above ``severity``."""
    floor = SEVERITY_RANK[severity]
    return [finding for finding in findings if finding.rank >= floor]


__all__ = ["PATTERNS", "SEVERITY_RANK", "DiagnoseOptions", "Finding", "Severity", "at_least"]
