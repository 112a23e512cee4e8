"""What a replay returns: status, the fork's path, where it diverged, old vs new final answer, steps, tokens."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentdbg.model.span import Span
from agentdbg.replay.tools import canonical_arguments

Status = Literal["finished", "needs-tool-result", "max-steps", "errored", "dry-run", "diverged"]
OUTCOME = {
    "finished": "finished",
    "max-steps": "looped",
    "errored": "errored",
    "needs-tool-result": "needs-tool-result",
    "diverged": "diverged",
}
EXIT_CODES = {
    "finished": 0,
    "dry-run": 0,
    "needs-tool-result": 3,
    "max-steps": 4,
    "errored": 1,
    "diverged": 5,
}


class StepSummary(BaseModel):
    """One step of the fork, as the summary lists it."""

    step: str
    kind: str
    name: str
    origin: str
    status: str
    detail: str = ""

    @classmethod
    def of(cls, span: Span) -> StepSummary:
        """The summary row of ``span`` (its signature, cut, as the detail)."""
        return cls(
            step=span.address,
            kind=span.kind,
            name=span.name,
            origin=span.origin or "",
            status=span.status,
            detail=span_signature(span)[:200],
        )


class NeededTool(BaseModel):
    """The tool call the replay could not answer, and how to resume it."""

    step: str
    name: str
    arguments: Any = None
    call_id: str | None = None
    template: str | None = None
    resume: str | None = None


class ReplayResult(BaseModel):
    """The outcome of one replay, by either engine (``replay`` built-in loop, ``replay_program`` the user's code)."""

    status: Status
    engine: Literal["builtin", "program"] = "builtin"
    program_exit: int | None = None  # the program's own exit code (code-level replay)
    served: int = 0  # LLM requests answered from the record (code-level replay)
    source: str | None = None
    fork_path: str | None = None
    fork_step: str
    divergence_step: str | None = None
    divergence: str = ""
    old_answer: str | None = None
    new_answer: str | None = None
    steps: list[StepSummary] = Field(default_factory=list)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    model_seconds: float = 0.0
    wall_seconds: float = 0.0
    error: str | None = None
    needs: NeededTool | None = None
    notes: list[str] = Field(default_factory=list)
    request: dict[str, Any] | None = None
    api: str | None = None
    signatures: list[str] = Field(default_factory=list, exclude=True)

    @property
    def exit_code(self) -> int:
        if self.program_exit is not None:
            return self.program_exit
        return EXIT_CODES.get(self.status, 1)

    @property
    def outcome(self) -> str:
        return OUTCOME.get(self.status, self.status)


class RepeatResult(BaseModel):
    """``--repeat K``: outcome counts, distinct final answers with counts, where runs first part ways."""

    runs: list[ReplayResult]
    outcomes: dict[str, int]
    answers: list[tuple[str, int]]
    split_step: str | None = None
    split_detail: str = ""
    split_variants: list[tuple[str, int]] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = {run.exit_code for run in self.runs}
        return 0 if codes == {0} else max(codes)


def span_signature(span: Span) -> str:
    """What a step produced, comparable across runs: an llm answer + its calls, or a tool result."""
    if span.kind == "llm":
        from agentdbg.providers import ADAPTERS
        from agentdbg.replay.document import span_api

        adapter = ADAPTERS.get(span_api(span))
        error = f" error={span.error.message}" if span.error else ""
        if adapter is None or not isinstance(span.output, dict):
            return f"llm: {span.output!r}{error}"
        calls = ", ".join(
            f"{call.name}({canonical_arguments(call.arguments)})" for call in adapter.tool_calls(span.output)
        )
        return f"llm: {adapter.final_text(span.output)!r} calls=[{calls}]{error}"
    if span.kind == "tool":
        tool = span.tool
        if tool is None:
            return "tool"
        result = canonical_arguments(tool.result) if not isinstance(tool.result, str) else tool.result
        error = f" error={span.error.message}" if span.error else ""
        return f"tool {tool.name}({canonical_arguments(tool.arguments)}) -> {result!r}{error}"
    return f"{span.kind} {span.name}"


def first_difference(left: list[str], right: list[str]) -> int | None:
    """The first index where two signature lists differ (or one ends), ``None`` when equal."""
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return index
    if len(left) != len(right):
        return min(len(left), len(right))
    return None


def summarize_repeats(runs: list[ReplayResult], fork_step_number: int) -> RepeatResult:
    """Aggregate K runs of the same fork into a distribution."""
    outcomes = Counter(run.outcome for run in runs)
    answers = Counter(run.new_answer if run.new_answer is not None else f"({run.outcome})" for run in runs)
    split: int | None = None
    for run in runs[1:]:
        index = first_difference(runs[0].signatures, run.signatures)
        if index is not None:
            split = index if split is None else min(split, index)
    detail = ""
    variants: Counter[str] = Counter()
    if split is not None:
        variants = Counter(
            run.signatures[split] if split < len(run.signatures) else "(run ended)" for run in runs
        )
        detail = f"{len(variants)} different outcomes of this step across {len(runs)} runs"
    return RepeatResult(
        runs=runs,
        outcomes=dict(outcomes),
        answers=answers.most_common(),
        split_step=f"step-{fork_step_number + split}" if split is not None else None,
        split_detail=detail,
        split_variants=variants.most_common(),
    )


def default_fork_path(source: str | None) -> Path | None:
    """``run.fork.jsonl`` beside ``run.jsonl`` (``run.fork-2.jsonl``, ... when taken)."""
    if not source:
        return None
    path = Path(source)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    candidate = path.with_name(f"{stem}.fork.jsonl")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.fork-{number}.jsonl")
        number += 1
    return candidate
