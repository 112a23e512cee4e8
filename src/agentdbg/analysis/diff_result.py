"""What ``diff`` returns: one ``StepDiff`` per aligned pair and the ``TraceDiff`` around them.

Plain slotted dataclasses (a validated model cost more than the whole comparison of two
identical steps). ``TraceDiff.steps`` is a ``StepRows`` sequence: a pair found identical
without parsing, or a step only one run has, is held as two positions and built into its
``StepDiff`` when asked for, so a 100k-step diff holds a few bytes per pair, not 200k
objects. ``model_dump()`` gives the JSON-ready dicts, field for field and in order, that
``diff --json`` prints.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from agentdbg.analysis.diff_sides import Side

StepStatus = Literal["identical", "changed", "only-in-a", "only-in-b"]


@dataclass(slots=True, kw_only=True)
class StepDiff:
    """One aligned pair of steps (or a step only one run has), with what changed."""

    status: StepStatus
    a_step: int | None = None
    b_step: int | None = None
    kind: str
    name: str
    changes: Sequence[str] = ()  # lists from compare_steps; rows built on access share the empty tuple
    prompt_diff: Sequence[str] = ()
    response_diff: Sequence[str] = ()
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


_HELD = -2  # a row compared whole: its StepDiff is kept
_NONE = -1  # no step on this side


class StepRows(Sequence[StepDiff]):
    """The aligned pairs of two runs in order, held as step positions (``-1``: none on that side); a
    pair compared whole keeps its ``StepDiff``. Rows are built on access (each access a new object)."""

    def __init__(self, a: Side, b: Side) -> None:
        self.a, self.b = a, b
        self._a = array("q")
        self._b = array("q")
        self._held: dict[int, StepDiff] = {}

    def identical(self, i: int, j: int) -> None:
        """Step ``i`` of ``a`` and ``j`` of ``b``, identical (told without parsing them)."""
        self._a.append(i)
        self._b.append(j)

    def identical_run(self, start: int, stop: int) -> None:
        """Steps ``start`` … ``stop - 1`` of a run compared with themselves."""
        self._a.extend(range(start, stop))
        self._b.extend(range(start, stop))

    def only_a(self, i: int) -> None:
        self._a.append(i)
        self._b.append(_NONE)

    def only_b(self, j: int) -> None:
        self._a.append(_NONE)
        self._b.append(j)

    def held(self, step: StepDiff) -> None:
        """A pair compared whole (``compare_steps``)."""
        self._held[len(self._a)] = step
        self._a.append(_HELD)
        self._b.append(_HELD)

    def __len__(self) -> int:
        return len(self._a)

    @overload
    def __getitem__(self, index: int) -> StepDiff: ...
    @overload
    def __getitem__(self, index: slice) -> list[StepDiff]: ...
    def __getitem__(self, index: int | slice) -> StepDiff | list[StepDiff]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("step row index out of range")
        return self._row(index)

    def __iter__(self) -> Iterator[StepDiff]:
        row = self._row
        for index in range(len(self._a)):
            yield row(index)

    def differing(self) -> Iterator[tuple[int, StepDiff]]:
        """(index, row) of every row that is not identical, in order, without building the others."""
        for index, (i, j) in enumerate(zip(self._a, self._b, strict=True)):
            if i == _HELD:
                step = self._held[index]
                if step.status != "identical":
                    yield index, step
            elif i == _NONE or j == _NONE:
                yield index, self._row(index)

    def _row(self, index: int) -> StepDiff:
        i, j = self._a[index], self._b[index]
        if i == _HELD:
            return self._held[index]
        a, b = self.a, self.b
        if i == _NONE or j == _NONE:  # a step only one run has
            in_a = j == _NONE
            side, position = (a, i) if in_a else (b, j)
            step, tokens, latency = side.step(position), side.tokens(position), side.duration(position)
            return StepDiff(
                status="only-in-a" if in_a else "only-in-b",
                a_step=step if in_a else None,
                b_step=None if in_a else step,
                kind=side.kinds[position],
                name=side.names[position],
                a_tokens=tokens if in_a else None,
                b_tokens=None if in_a else tokens,
                a_latency=latency if in_a else None,
                b_latency=None if in_a else latency,
            )
        return StepDiff(
            status="identical",
            a_step=a.step(i),
            b_step=b.step(j),
            kind=a.kinds[i],
            name=a.names[i],
            a_tokens=a.tokens(i),
            b_tokens=b.tokens(j),
            a_latency=a.duration(i),
            b_latency=b.duration(j),
        )


@dataclass(slots=True, kw_only=True)
class TraceDiff:
    """Two runs side by side: aligned steps, the first divergence, final answers and deltas."""

    a_source: str | None
    b_source: str | None
    a_trace_id: str
    b_trace_id: str
    fork_step: int | None = None
    steps: Sequence[StepDiff]  # a StepRows from diff_traces (rows built on access); a list works too
    first_divergence: int | None = None  # index into steps of the first non-identical pair
    final_a: str | None = None
    final_b: str | None = None
    totals_a: dict[str, Any] = field(default_factory=dict)
    totals_b: dict[str, Any] = field(default_factory=dict)

    @property
    def divergent(self) -> StepDiff | None:
        return self.steps[self.first_divergence] if self.first_divergence is not None else None

    def changed_steps(self) -> Iterator[StepDiff]:
        """The ``changed`` rows in order (from a ``StepRows``, without building the identical ones)."""
        steps = self.steps
        if isinstance(steps, StepRows):
            return (step for _, step in steps.differing() if step.status == "changed")
        return (step for step in steps if step.status == "changed")

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


__all__ = ["StepDiff", "StepRows", "StepStatus", "TraceDiff"]
