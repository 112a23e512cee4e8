"""What ``diff`` returns: one ``StepDiff`` per aligned pair and the ``TraceDiff`` around them.

Plain slotted dataclasses (a 100k-step diff builds 200k of them; a validated model cost more
than the whole comparison of two identical steps). ``model_dump()`` gives the JSON-ready
dicts, field for field and in order, that ``diff --json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StepStatus = Literal["identical", "changed", "only-in-a", "only-in-b"]


@dataclass(slots=True, kw_only=True)
class StepDiff:
    """One aligned pair of steps (or a step only one run has), with what changed."""

    status: StepStatus
    a_step: int | None = None
    b_step: int | None = None
    kind: str
    name: str
    changes: list[str] = field(default_factory=list)
    prompt_diff: list[str] = field(default_factory=list)
    response_diff: list[str] = field(default_factory=list)
    a_tokens: tuple[int | None, int | None] | None = None
    b_tokens: tuple[int | None, int | None] | None = None
    a_latency: float | None = None
    b_latency: float | None = None

    def label(self) -> str:
        """``step-3 ↔ step-3``, ``step-4 →  —`` and so on."""
        a = f"step-{self.a_step}" if self.a_step else "—"
        b = f"step-{self.b_step}" if self.b_step else "—"
        return f"{a} ↔ {b}"

    def model_dump(self) -> dict[str, Any]:
        """This pair as a JSON-ready dict (every field, in declaration order)."""
        return {
            "status": self.status,
            "a_step": self.a_step,
            "b_step": self.b_step,
            "kind": self.kind,
            "name": self.name,
            "changes": list(self.changes),
            "prompt_diff": list(self.prompt_diff),
            "response_diff": list(self.response_diff),
            "a_tokens": self.a_tokens,
            "b_tokens": self.b_tokens,
            "a_latency": self.a_latency,
            "b_latency": self.b_latency,
        }


@dataclass(slots=True, kw_only=True)
class TraceDiff:
    """Two runs side by side: aligned steps, the first divergence, final answers and deltas."""

    a_source: str | None
    b_source: str | None
    a_trace_id: str
    b_trace_id: str
    fork_step: int | None = None
    steps: list[StepDiff]
    first_divergence: int | None = None  # index into steps of the first non-identical pair
    final_a: str | None = None
    final_b: str | None = None
    totals_a: dict[str, Any] = field(default_factory=dict)
    totals_b: dict[str, Any] = field(default_factory=dict)

    @property
    def divergent(self) -> StepDiff | None:
        return self.steps[self.first_divergence] if self.first_divergence is not None else None

    @property
    def identical(self) -> bool:
        return self.first_divergence is None and self.final_a == self.final_b

    def deltas(self) -> dict[str, float | int | None]:
        """B minus A for tokens in/out, step latency, step count and errors."""
        out: dict[str, float | int | None] = {}
        for key in ("input_tokens", "output_tokens", "latency", "steps", "errors"):
            a, b = self.totals_a.get(key), self.totals_b.get(key)
            out[key] = (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
        return out

    def model_dump(self, *, steps: bool = True) -> dict[str, Any]:
        """Every field as JSON-ready values, in declaration order."""
        return {
            "a_source": self.a_source,
            "b_source": self.b_source,
            "a_trace_id": self.a_trace_id,
            "b_trace_id": self.b_trace_id,
            "fork_step": self.fork_step,
            "steps": [step.model_dump() for step in self.steps] if steps else [],
            "first_divergence": self.first_divergence,
            "final_a": self.final_a,
            "final_b": self.final_b,
            "totals_a": dict(self.totals_a),
            "totals_b": dict(self.totals_b),
        }

    def to_json(self, *, steps: bool = True) -> dict[str, Any]:
        """The ``diff --json`` document; ``steps=False`` leaves ``steps`` empty (the CLI streams them)."""
        data = self.model_dump(steps=steps)
        data["first_divergence"] = self.divergent.model_dump() if self.divergent else None
        data["final_answers_equal"] = self.final_a == self.final_b
        data["deltas"] = self.deltas()
        return data


__all__ = ["StepDiff", "StepStatus", "TraceDiff"]
