"""The execution tree as rich renderables: one line per step, indented by nesting."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from agentdbg.model.span import Span, StepSummary
from agentdbg.model.trace import Trace
from agentdbg.render.formatting import KIND_GLYPHS, STATUS_STYLES, fmt_duration, fmt_time, fmt_tokens
from agentdbg.textsafe import safe_line

if TYPE_CHECKING:
    from agentdbg.store.index_rows import TreeFields

Row = Span | StepSummary


@functools.lru_cache(maxsize=4096)
def _safe_name(name: str) -> str:
    return safe_line(name)[:60] or "(unnamed)"


def step_segments(row: Row, depth: int) -> list[tuple[str, str]]:
    """The (text, style) pieces of one tree line; ``step_line`` styles them, pipes get them plain."""
    summary = row.summary() if isinstance(row, Span) else row
    status = summary.status
    parts = [
        ("  " * depth, ""),
        (f"{summary.address:<8}", "bold"),
        (f" {KIND_GLYPHS.get(summary.kind, '•')} {summary.kind:<9} ", "dim"),
        (_safe_name(summary.name), "red" if status == "error" else ""),
        (f"  {fmt_duration(summary.duration)}", "cyan"),
    ]
    has_usage = row.usage is not None if isinstance(row, Span) else summary.has_usage
    if has_usage:
        parts.append(
            (f"  {fmt_tokens(summary.input_tokens)}→{fmt_tokens(summary.output_tokens)} tok", "blue")
        )
    parts.append((f"  {status}", STATUS_STYLES[status]))
    if summary.error_type is not None:
        message = safe_line(summary.error_message or "")[:120]
        parts.append((f"  {safe_line(summary.error_type)}: {message}", "red"))
    if summary.origin and summary.origin != "recorded":
        parts.append((f"  [{summary.origin}]", "magenta"))
    return parts


def step_line(span: Row, depth: int) -> Text:
    """``step-N  kind  name  duration  in/out tokens  status`` for one span (or its summary)."""
    line = Text()
    for text, style in step_segments(span, depth):
        line.append(text, style=style)
    return line


def plain_tree_lines(trace: Trace) -> Iterator[str]:
    """The tree's lines as plain text (what a pipe gets), from summaries only: no payload is parsed."""
    for row, depth in trace.rows():
        yield "".join(text for text, _ in step_segments(row, depth))


def plain_index_lines(rows: Iterable[TreeFields]) -> Iterator[str]:
    """``plain_tree_lines`` for an indexed trace, from ``TraceIndex.tree_fields()`` tuples (same text)."""
    glyph = KIND_GLYPHS.get

    def parts(depth: int, kind: str, name: str) -> tuple[str, str]:
        return "  " * depth, f" {glyph(kind, '•')} {kind:<9} {_safe_name(name)}  "

    # a run repeats its depths, kinds, names and durations: each piece of text is made once (bounded caches)
    head_of = functools.lru_cache(maxsize=4096)(parts)
    duration_of = functools.lru_cache(maxsize=4096)(fmt_duration)
    for (
        depth,
        step,
        kind,
        name,
        duration,
        tokens_in,
        tokens_out,
        status,
        error_type,
        error_message,
        origin,
    ) in rows:
        indent, head = head_of(depth, kind, name)
        line = f"{indent}{'step-' + str(step):<8}{head}{duration_of(duration)}"
        if tokens_in is not None or tokens_out is not None:
            line += f"  {fmt_tokens(tokens_in)}→{fmt_tokens(tokens_out)} tok"
        line += f"  {status}"
        if error_type is not None:
            line += f"  {safe_line(error_type)}: {safe_line(error_message or '')[:120]}"
        if origin and origin != "recorded":
            line += f"  [{origin}]"
        yield line


def _cached(totals: dict) -> str:
    """`` (N cached)``: the part of the input read from the prompt cache, when there is one."""
    cached = totals.get("cached_input_tokens") or 0
    return f" ({fmt_tokens(cached)} cached)" if cached else ""


def header_lines(trace: Trace) -> Text:
    """Trace name, start time and totals."""
    totals = trace.totals()
    text = Text()
    text.append(safe_line(trace.header.name or trace.header.trace_id), style="bold")
    text.append(f"  {fmt_time(trace.header.started_at)}", style="dim")
    text.append(
        f"\n{totals['steps']} steps · {fmt_tokens(totals['input_tokens'])} in{_cached(totals)}"
        f" / {fmt_tokens(totals['output_tokens'])} out tokens"
        f" · {fmt_duration(totals['duration'])}"
    )
    if totals["errors"]:
        text.append(f" · {totals['errors']} error(s)", style="red")
    if totals["incomplete"]:
        text.append(f" · {totals['incomplete']} incomplete", style="yellow")
    fork = trace.header.fork_of
    if fork is not None:
        text.append(
            f"\nfork of {safe_line(fork.source or fork.trace_id)} at {safe_line(str(fork.step))}",
            style="magenta",
        )
    if trace.format != "agentdbg":
        text.append(f"\nimported from {trace.format}", style="dim")
    return text


def render_tree(trace: Trace) -> RenderableType:
    """Header plus the whole tree."""
    lines: list[RenderableType] = [header_lines(trace), Text("")]
    lines.extend(step_line(row, depth) for row, depth in trace.rows())
    return Group(*lines)
