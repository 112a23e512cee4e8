"""A ``TraceDiff`` as rich renderables: the step table, inline text diffs, final answers and deltas."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agentdbg.analysis.diff import StepDiff, TraceDiff
from agentdbg.render.formatting import fmt_duration, fmt_tokens
from agentdbg.textsafe import safe_line, safe_text

STATUS_STYLES = {"identical": "dim", "changed": "yellow", "only-in-a": "red", "only-in-b": "green"}
MAX_DIFF_LINES = 40


def _tokens(pair: tuple[int | None, int | None] | None) -> str:
    return f"{fmt_tokens(pair[0])}→{fmt_tokens(pair[1])}" if pair else "—"


def diff_lines(lines: list[str], limit: int = MAX_DIFF_LINES) -> Text:
    """``-`` lines red, ``+`` lines green, context dim; cut after ``limit`` lines."""
    text = Text()
    for line in lines[:limit]:
        style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
        text.append(safe_line(line)[:300] + "\n", style=style)
    if len(lines) > limit:
        text.append(f"… {len(lines) - limit} more diff lines (--json for all)\n", style="dim")
    return text


def _pair(a: str, b: str) -> str:
    return a if a == b else f"{a} / {b}"


def steps_table(diff: TraceDiff) -> Table:
    """One row per aligned pair: A step, B step, what it is, status and changed parts, tokens and latency."""
    table = Table(box=box.SIMPLE_HEAD, expand=True)
    table.add_column("A", no_wrap=True, min_width=8)
    table.add_column("B", no_wrap=True, min_width=7)
    table.add_column("step", ratio=2)
    table.add_column("status", ratio=2)
    table.add_column("tokens A / B", no_wrap=True)
    table.add_column("latency A / B", no_wrap=True)
    for index, step in enumerate(diff.steps):
        marker = "▶ " if index == diff.first_divergence else ""
        status = Text(step.status, style=STATUS_STYLES[step.status])
        if step.changes:
            status.append(": " + ", ".join(step.changes), style="dim")
        table.add_row(
            Text(marker + (f"step-{step.a_step}" if step.a_step else "—"), style="bold" if marker else ""),
            f"step-{step.b_step}" if step.b_step else "—",
            Text(f"{step.kind} {safe_line(step.name)[:60]}"),
            status,
            _pair(_tokens(step.a_tokens), _tokens(step.b_tokens)),
            _pair(fmt_duration(step.a_latency), fmt_duration(step.b_latency)),
        )
    return table


def step_detail(step: StepDiff) -> Text:
    """What changed in one pair: the inline diffs of its prompt (or arguments) and response (or result)."""
    text = Text()
    text.append(f"{step.label()}  {step.kind} {safe_line(step.name)}: ", style="bold")
    text.append(", ".join(step.changes) or step.status, style=STATUS_STYLES[step.status])
    text.append("\n")
    labels = ("arguments", "result") if step.kind == "tool" else ("prompt", "response")
    for label, lines in zip(labels, (step.prompt_diff, step.response_diff), strict=True):
        if lines:
            text.append(f"{label}:\n", style="underline")
            text.append_text(diff_lines(lines))
    return text


def _final(label: str, answer: str | None) -> Text:
    text = Text(f"{label}\n", style="bold")
    text.append(safe_text(answer) if answer else "(no final answer)", style="" if answer else "dim")
    return text


def _delta(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{'+' if value >= 0 else '-'}{fmt_duration(abs(float(value)))}"
    return f"{value:+,}"


def render_diff(diff: TraceDiff) -> RenderableType:
    """Everything ``agentdbg diff`` prints."""
    parts: list[RenderableType] = []
    head = Text()
    head.append("A ", style="bold")
    head.append(safe_line(diff.a_source or diff.a_trace_id))
    head.append("\nB ", style="bold")
    head.append(safe_line(diff.b_source or diff.b_trace_id))
    if diff.fork_step is not None:
        head.append(f"\nfork at step-{diff.fork_step}: steps before it are shared", style="magenta")
    parts.append(head)
    parts.append(steps_table(diff))
    divergent = diff.divergent
    if divergent is None:
        parts.append(Text("no step differs", style="green"))
    else:
        parts.append(Text(f"first divergence: {divergent.label()}", style="bold yellow"))
    for step in diff.steps:
        if step.status == "changed" and (step.prompt_diff or step.response_diff):
            parts.append(step_detail(step))
    answers = Table(box=box.SIMPLE_HEAD, show_header=False, expand=True)
    answers.add_column("A", ratio=1)
    answers.add_column("B", ratio=1)
    answers.add_row(_final("final answer A", diff.final_a), _final("final answer B", diff.final_b))
    parts.append(answers)
    deltas = diff.deltas()
    parts.append(
        Text(
            f"B − A: input tokens {_delta(deltas['input_tokens'])}, output tokens {_delta(deltas['output_tokens'])}, "
            f"step latency {_delta(deltas['latency'], 's')}, steps {_delta(deltas['steps'])}"
            + ("  (final answers identical)" if diff.final_a == diff.final_b else "  (final answers differ)"),
            style="blue",
        )
    )
    return Group(*parts)


__all__ = ["diff_lines", "render_diff", "step_detail", "steps_table"]
