"""The header: trace name, start time, totals, errors, incomplete steps, fork origin, load progress.

Its facts are items that never break inside; they are packed into as many lines as the
terminal's width needs (two on a wide terminal, more at 80 columns), so none is cut.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from agentdbg.render.formatting import fmt_duration, fmt_time, fmt_tokens
from agentdbg.textsafe import safe_line
from agentdbg.tui.steps import StepTable, header_summary


def _item(text: str, style: str = "") -> Text:
    return Text(text, style=style)


def header_lines(
    table: StepTable, *, progress: float | None = None, following: bool = False
) -> list[list[Text]]:
    """The header's facts in two groups (the trace, then its figures), each a list of unbreakable items."""
    header = table.header
    name = (header.name or header.trace_id) if header else table.source_name
    about = [
        _item(safe_line(name or "(unnamed trace)"), "bold"),
        _item(f"started {fmt_time(header.started_at if header else table.first_start)}", "dim"),
    ]
    if table.format != "agentdbg":
        about.append(_item(f"imported from {safe_line(table.format)}", "dim"))
    about.append(_item(safe_line(Path(table.source_name).name), "#6c6c6c"))
    figures = header_summary(table)
    facts = [
        _item(f"{figures['steps']:,} steps", "bold"),
        _item(
            f"tokens {fmt_tokens(figures['input_tokens'])} in{cached_note(figures)} / {fmt_tokens(figures['output_tokens'])} out"
        ),
        _item(fmt_duration(figures["duration"])),
        _item(f"{figures['errors']} error(s)", "bold red" if figures["errors"] else "dim"),
        _item(f"{figures['incomplete']} incomplete", "bold yellow" if figures["incomplete"] else "dim"),
    ]
    if table.problems:
        facts.append(_item(f"{len(table.problems)} line(s) skipped or odd (!)", "#ff875f"))
    fork = header.fork_of if header else None
    if fork is not None:
        facts.append(
            _item(
                f"fork of {safe_line(fork.source or fork.trace_id)} at {safe_line(str(fork.step))}",
                "bold magenta",
            )
        )
    if progress is not None and progress < 1:
        facts.append(_item(f"loading {progress:.0%}", "bold cyan"))
    if following:
        facts.append(_item("following ●", "bold green"))
    return [about, facts]


def pack(groups: list[list[Text]], width: int) -> Text:
    """Each group on a new line; its items joined by separators, wrapping between items (never inside)."""
    text = Text()
    for number, group in enumerate(groups):
        if number:
            text.append("\n")
        column = 0
        for index, item in enumerate(group):
            separator = "" if index == 0 else ("  " if number == 0 else " · ")
            if index and column + len(separator) + item.cell_len > width:
                text.append("\n")
                column = 0
            elif index:
                text.append(separator, style="dim" if number else "")
                column += len(separator)
            if item.cell_len > width:  # one item wider than the line (a long name): cut it
                item = item.copy()
                item.truncate(max(1, width), overflow="ellipsis")
            text.append_text(item)
            column += item.cell_len
    return text


def header_text(
    table: StepTable, *, progress: float | None = None, following: bool = False, width: int = 200
) -> Text:
    """The header as text for ``width`` cells, built from literal ``Text`` only."""
    return pack(header_lines(table, progress=progress, following=following), width)


def column_figures(table: StepTable) -> Text:
    """One line for a tree column (the fork view): its own steps, duration, tokens and errors."""
    figures = header_summary(table)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{figures['steps']:,} steps · {fmt_duration(figures['duration'])}")
    text.append(f" · {figures['errors']} error(s)", style="bold red" if figures["errors"] else "green")
    if figures["incomplete"]:
        text.append(f" · {figures['incomplete']} incomplete", style="bold yellow")
    text.append(f" · {fmt_tokens(figures['input_tokens'])}→{fmt_tokens(figures['output_tokens'])} tokens")
    return text


class TraceHeaderBar(Static):
    """Shows the header for the table; the screen calls ``refresh_from`` after each batch.

    Its height follows the number of packed lines, and changes (a relayout) only when that does.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._groups: list[list[Text]] = []

    def refresh_from(
        self, table: StepTable, *, progress: float | None = None, following: bool = False
    ) -> None:
        self._groups = header_lines(table, progress=progress, following=following)
        self._draw()

    def on_resize(self, event: Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_region.width or (self.app.size.width - 2)
        text = pack(self._groups, max(10, width))
        lines = text.plain.count("\n") + 1
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines
        self.update(text, layout=False)


def cached_note(figures: dict) -> str:
    """`` (N cached)`` when part of the input was read from the prompt cache."""
    cached = figures.get("cached_input_tokens") or 0
    return f" ({fmt_tokens(cached)} cached)" if cached else ""
