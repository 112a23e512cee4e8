"""The header: trace name, start time, totals, errors, incomplete steps, fork origin, load progress."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from agentdbg.render.formatting import fmt_duration, fmt_time, fmt_tokens
from agentdbg.textsafe import safe_line
from agentdbg.tui.steps import StepTable, header_summary


def big_tokens(count: int) -> str:
    """Token totals of long runs: ``12.3M`` rather than ``12345.6k``."""
    return f"{count / 1e6:.1f}M" if count >= 1_000_000 else fmt_tokens(count)


def long_duration(seconds: float | None) -> str:
    """Run durations past an hour as ``3h05m``."""
    if seconds is None or seconds < 3600:
        return fmt_duration(seconds)
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


def header_text(table: StepTable, *, progress: float | None = None, following: bool = False) -> Text:
    """Two lines of trace-level facts, built from literal ``Text`` only."""
    header = table.header
    text = Text()
    name = (header.name or header.trace_id) if header else table.source_name
    text.append(safe_line(name or "(unnamed trace)"), style="bold")
    text.append(f"  started {fmt_time(header.started_at if header else table.first_start)}", style="dim")
    if table.format != "agentdbg":
        text.append(f"  imported from {safe_line(table.format)}", style="dim")
    text.append("  " + safe_line(Path(table.source_name).name), style="#6c6c6c")
    figures = header_summary(table)
    text.append("\n")
    text.append(f"{figures['steps']:,} steps", style="bold")
    text.append(
        f" · tokens {big_tokens(figures['input_tokens'])} in{cached_note(figures)} / {big_tokens(figures['output_tokens'])} out"
    )
    text.append(f" · {long_duration(figures['duration'])}")
    text.append(f" · {figures['errors']} error(s)", style="bold red" if figures["errors"] else "dim")
    text.append(
        f" · {figures['incomplete']} incomplete", style="bold yellow" if figures["incomplete"] else "dim"
    )
    if table.problems:
        text.append(f" · {len(table.problems)} line(s) skipped or odd (!)", style="#ff875f")
    fork = header.fork_of if header else None
    if fork is not None:
        text.append(
            f" · fork of {safe_line(fork.source or fork.trace_id)} at {safe_line(str(fork.step))}",
            style="bold magenta",
        )
    if progress is not None and progress < 1:
        text.append(f" · loading {progress:.0%}", style="bold cyan")
    if following:
        text.append(" · following ●", style="bold green")
    return text


class TraceHeaderBar(Static):
    """Shows ``header_text`` for the table; the screen calls ``refresh_from`` after each batch."""

    def refresh_from(
        self, table: StepTable, *, progress: float | None = None, following: bool = False
    ) -> None:
        # Fixed height (two lines in the stylesheet): no relayout of the whole screen per batch.
        self.update(header_text(table, progress=progress, following=following), layout=False)


def cached_note(figures: dict) -> str:
    """`` (N cached)`` when part of the input was read from the prompt cache."""
    cached = figures.get("cached_input_tokens") or 0
    return f" ({big_tokens(cached)} cached)" if cached else ""
