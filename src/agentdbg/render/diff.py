"""A ``TraceDiff`` as rich renderables: the step table, inline text diffs, final answers and deltas."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

from rich import box
from rich.cells import cell_len
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


def diff_lines(lines: Sequence[str], limit: int = MAX_DIFF_LINES) -> Text:
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


HEADERS = ("A", "B", "step", "status", "tokens A / B", "latency A / B")
MIN_WIDTHS = (8, 7, 0, 0, 0, 0)  # of the A and B columns, so a short run's table does not jump


def step_cells(a_step: int | None, b_step: int | None, divergent: bool) -> tuple[str, str]:
    """The A and B cells of a row: ``step-N`` (the divergent pair marked) or ``—``."""
    return (
        ("▶ " if divergent else "") + (f"step-{a_step}" if a_step else "—"),
        f"step-{b_step}" if b_step else "—",
    )


class RowCells:
    """The text of each row of the step table (``steps_table`` styles it, ``plain_steps_table`` pads it);
    the name, status, token and latency cells are memoised, since they repeat across a run's rows."""

    def __init__(self) -> None:
        self._what: dict[tuple[str, str], str] = {}
        self._latency: dict[tuple[float | None, float | None], str] = {}
        self._rows: dict[tuple[object, ...], tuple[str, str, str, str]] = {}

    def __call__(self, step: StepDiff, divergent: bool) -> tuple[str, str, str, str, str, str]:
        return (*self.steps(step, divergent), *self.rest(step))

    @staticmethod
    def steps(step: StepDiff, divergent: bool) -> tuple[str, str]:
        """The A and B cells: ``step-N`` (the divergent pair marked) or ``—``."""
        return step_cells(step.a_step, step.b_step, divergent)

    def rest(self, step: StepDiff) -> tuple[str, str, str, str]:
        """The step, status, tokens and latency cells (one memo lookup for a row like an earlier one)."""
        key = (step.kind, step.name, step.status, tuple(step.changes), step.a_tokens, step.b_tokens)
        row_key = (key, step.a_latency, step.b_latency)
        found = self._rows.get(row_key)
        if found is not None:
            return found
        what_key = (step.kind, step.name)
        what = self._what.get(what_key)
        if what is None:
            what = self._what[what_key] = f"{step.kind} {safe_line(step.name)[:60]}"
        status = step.status + (": " + ", ".join(step.changes) if step.changes else "")
        tokens = _pair(_tokens(step.a_tokens), _tokens(step.b_tokens))
        latency_key = (step.a_latency, step.b_latency)
        latency = self._latency.get(latency_key)
        if latency is None:
            latency = _pair(fmt_duration(step.a_latency), fmt_duration(step.b_latency))
            self._latency[latency_key] = latency
        found = (what, status, tokens, latency)
        if len(self._rows) < 100_000:
            self._rows[row_key] = found
        return found


def steps_table(diff: TraceDiff) -> Table:
    """One row per aligned pair: A step, B step, what it is, status and changed parts, tokens and latency."""
    table = Table(box=box.SIMPLE_HEAD, expand=True)
    table.add_column(HEADERS[0], no_wrap=True, min_width=MIN_WIDTHS[0])
    table.add_column(HEADERS[1], no_wrap=True, min_width=MIN_WIDTHS[1])
    table.add_column(HEADERS[2], ratio=2)
    table.add_column(HEADERS[3], ratio=2)
    table.add_column(HEADERS[4], no_wrap=True)
    table.add_column(HEADERS[5], no_wrap=True)
    row_cells = RowCells()
    for index, step in enumerate(diff.steps):
        a, b, what, status_text, tokens, latency = row_cells(step, index == diff.first_divergence)
        status = Text(step.status, style=STATUS_STYLES[step.status])
        if step.changes:
            status.append(status_text[len(step.status) :], style="dim")
        table.add_row(
            Text(a, style="bold" if a.startswith("▶") else ""), b, Text(what), status, tokens, latency
        )
    return table


def plain_steps_table(diff: TraceDiff) -> Iterator[str]:
    """The lines ``steps_table`` prints on a pipe or file (natural column widths, no styles, lines
    right-stripped), written without a rich row per step: a 100k-step diff spent most of its time
    laying those out. Two passes (widths, then rows), holding only the distinct rows' text.
    ``tests/analysis/test_diff_plain.py`` holds both renderings equal."""
    cells = RowCells()
    divergent = diff.first_divergence

    def width(cell: str) -> int:
        return len(cell) if cell.isascii() else cell_len(cell)

    widths = [max(minimum, width(header)) for header, minimum in zip(HEADERS, MIN_WIDTHS, strict=True)]
    distinct: dict[tuple[str, str, str, str], None] = {}
    rests: list[tuple[str, str, str, str]] = []  # each row's cells after B (mostly the same few tuples)
    numbers = array("q")  # each row's A and B step numbers (0: none), so the rows are read once
    for index, step in enumerate(diff.steps):
        a, b = cells.steps(step, index == divergent)
        widths[0] = max(widths[0], width(a))
        widths[1] = max(widths[1], width(b))
        numbers.append(step.a_step or 0)
        numbers.append(step.b_step or 0)
        rest = cells.rest(step)
        rests.append(rest)
        distinct[rest] = None
    for row in distinct:
        for column, cell in enumerate(row, start=2):
            widths[column] = max(widths[column], width(cell))

    def pad(cell: str, size: int) -> str:
        return " " + cell + " " * (size - width(cell)) + " "

    padded: dict[tuple[str, str, str, str], str] = {}
    for row in distinct:
        padded[row] = (
            " " + " ".join(pad(cell, size) for cell, size in zip(row, widths[2:], strict=True))
        ).rstrip()
    del distinct

    def line(a: str, b: str, rest: str) -> str:
        return " " + pad(a, widths[0]) + " " + pad(b, widths[1]) + rest

    yield ""  # the box's top edge: blank in SIMPLE_HEAD
    yield (
        line(HEADERS[0], HEADERS[1], "")
        + " "
        + " ".join(pad(h, w) for h, w in zip(HEADERS[2:], widths[2:], strict=True))
    ).rstrip()
    yield " " + "─".join("─" * (size + 2) for size in widths)
    a_width, b_width = widths[0], widths[1]
    for index, rest in enumerate(rests):
        a, b = step_cells(numbers[2 * index], numbers[2 * index + 1], index == divergent)
        if a.isascii() and b.isascii():  # line(), with ljust padding: one cell per character
            yield "  " + a.ljust(a_width) + "   " + b.ljust(b_width) + " " + padded[rest]
        else:
            yield line(a, b, padded[rest])
    yield ""  # bottom edge


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


def diff_head(diff: TraceDiff) -> Text:
    """Which two runs, and the fork point when one is a fork of the other."""
    head = Text()
    head.append("A ", style="bold")
    head.append(safe_line(diff.a_source or diff.a_trace_id))
    head.append("\nB ", style="bold")
    head.append(safe_line(diff.b_source or diff.b_trace_id))
    if diff.fork_step is not None:
        head.append(f"\nfork at step-{diff.fork_step}: steps before it are shared", style="magenta")
    return head


def diff_tail(diff: TraceDiff) -> list[RenderableType]:
    """What follows the step table: the first divergence, each changed pair's diffs, answers, deltas."""
    parts: list[RenderableType] = []
    divergent = diff.divergent
    if divergent is None:
        parts.append(Text("no step differs", style="green"))
    else:
        parts.append(Text(f"first divergence: {divergent.label()}", style="bold yellow"))
    for step in diff.changed_steps():  # a diff's changed pairs, the identical ones never built
        if step.prompt_diff or step.response_diff:
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
    return parts


def render_diff(diff: TraceDiff) -> RenderableType:
    """Everything ``agentdbg diff`` prints (on a pipe the CLI writes the step table with ``plain_steps_table``)."""
    return Group(diff_head(diff), steps_table(diff), *diff_tail(diff))


__all__ = [
    "diff_head",
    "diff_lines",
    "diff_tail",
    "plain_steps_table",
    "render_diff",
    "RowCells",
    "step_detail",
    "steps_table",
]
