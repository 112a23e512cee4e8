"""The execution tree as rich renderables: one line per step, indented by nesting."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.render.formatting import KIND_GLYPHS, STATUS_STYLES, fmt_duration, fmt_time, fmt_tokens
from agentdbg.textsafe import safe_line


def step_line(span: Span, depth: int) -> Text:
    """``step-N  kind  name  duration  in/out tokens  status`` for one span."""
    line = Text()
    line.append("  " * depth)
    line.append(f"{span.address:<8}", style="bold")
    line.append(f" {KIND_GLYPHS.get(span.kind, '•')} {span.kind:<9} ", style="dim")
    line.append(safe_line(span.name)[:60] or "(unnamed)", style="red" if span.status == "error" else "")
    line.append(f"  {fmt_duration(span.duration)}", style="cyan")
    if span.usage is not None:
        line.append(f"  {fmt_tokens(span.input_tokens)}→{fmt_tokens(span.output_tokens)} tok", style="blue")
    line.append(f"  {span.status}", style=STATUS_STYLES[span.status])
    if span.error is not None:
        line.append(f"  {safe_line(span.error.type)}: {safe_line(span.error.message)[:120]}", style="red")
    if span.origin and span.origin != "recorded":
        line.append(f"  [{span.origin}]", style="magenta")
    return line


def header_lines(trace: Trace) -> Text:
    """Trace name, start time and totals."""
    totals = trace.totals()
    text = Text()
    text.append(safe_line(trace.header.name or trace.header.trace_id), style="bold")
    text.append(f"  {fmt_time(trace.header.started_at)}", style="dim")
    text.append(
        f"\n{totals['steps']} steps · {fmt_tokens(totals['input_tokens'])} in / {fmt_tokens(totals['output_tokens'])} out tokens"
        f" · {fmt_duration(totals['duration'])}"
    )
    if totals["errors"]:
        text.append(f" · {totals['errors']} error(s)", style="red")
    if totals["incomplete"]:
        text.append(f" · {totals['incomplete']} incomplete", style="yellow")
    fork = trace.header.fork_of
    if fork is not None:
        text.append(f"\nfork of {safe_line(fork.source or fork.trace_id)} at {safe_line(str(fork.step))}", style="magenta")
    if trace.format != "agentdbg":
        text.append(f"\nimported from {trace.format}", style="dim")
    return text


def render_tree(trace: Trace) -> RenderableType:
    """Header plus the whole tree."""
    lines: list[RenderableType] = [header_lines(trace), Text("")]
    lines.extend(step_line(span, depth) for span, depth in trace.walk())
    return Group(*lines)
