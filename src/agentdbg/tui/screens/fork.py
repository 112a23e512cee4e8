"""The original run and its replayed fork side by side, the first diverging step highlighted.

Each column has its own figures line (steps, duration, errors) from its own table, so a fork
shows its status and time, not the original's; below, the selected step's panes, labelled.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from agentdbg.model.span import Span
from agentdbg.textsafe import safe_line, safe_text
from agentdbg.tui.fork_view import fork_rows
from agentdbg.tui.steps import MemorySource, StepSource, StepTable
from agentdbg.tui.widgets.step_panes import StepPanes
from agentdbg.tui.widgets.step_tree import StepTree
from agentdbg.tui.widgets.trace_header import column_figures

FORK_PANES = ("response", "prompt", "tool", "info", "raw")


def fork_table(spans: list[Span], header: object, name: str) -> tuple[StepTable, MemorySource]:
    """A step table (on the fork's own timeline) and in-memory source over a fork's spans."""
    table, source = StepTable(), MemorySource()
    table.header = header  # type: ignore[assignment]
    table.source_name = name
    for span in spans:
        source.add(span)
    table.replace_rows(fork_rows(spans))
    return table, source


def step_number(address: str | None) -> int | None:
    if not address:
        return None
    digits = address.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else None


def fork_summary(result: Any, location_note: str = "") -> str:
    """What the replay did, where the fork is, and (if it is not beside the trace) why."""
    from pathlib import Path

    from agentdbg.tui.fork_location import shown

    fork_path = shown(Path(result.fork_path)) if result.fork_path else "-"
    summary = f"replay {result.status}: fork of {result.fork_step} → {fork_path}"
    if location_note:
        summary += f" ({location_note})"
    if result.divergence_step:
        summary += f"\nfirst divergence at {result.divergence_step}: {result.divergence}"
    if result.error:
        summary += f"\nerror: {result.error}"
    return summary


class ForkScreen(Screen[None]):
    """Two trees (o: original, f: fork); the panes of the step selected in the focused tree below."""

    AUTO_FOCUS = "#tree-fork"

    BINDINGS = [
        Binding("o", "focus_tree('original')", "Original"),
        Binding("f", "focus_tree('fork')", "Fork"),
        *(
            Binding(
                str(number),
                f"pane('{name}')",
                "Panes" if number == 1 else name,
                show=number == 1,
                key_display=f"1-{len(FORK_PANES)}" if number == 1 else None,
            )
            for number, name in enumerate(FORK_PANES, start=1)
        ),
        Binding("escape,q", "app.pop_screen", "Back"),
    ]

    def __init__(
        self,
        original: tuple[StepTable, StepSource],
        fork: tuple[StepTable, StepSource],
        *,
        divergence: int | None,
        summary: str,
    ) -> None:
        super().__init__()
        self.original, self.fork = original, fork
        self.divergence = divergence
        self.summary = summary
        self.shown: tuple[str, int] | None = None  # (which tree, step) the panes show

    @classmethod
    def of_replay(
        cls, original: tuple[StepTable, StepSource], result: Any, fork: Any, location_note: str = ""
    ) -> ForkScreen:
        """The fork view of a finished replay (its ``ReplayResult`` and the fork trace read back)."""
        view = fork_table(fork.spans, fork.header, str(result.fork_path))
        summary = fork_summary(result, location_note)
        return cls(original, view, divergence=step_number(result.divergence_step), summary=summary)

    def compose(self) -> ComposeResult:
        yield Static(Text(safe_text(self.summary)), id="fork-summary")
        with Horizontal(id="fork-trees"):
            for which, table, label, style in (
                ("original", self.original[0], "original  (o)", "bold"),
                ("fork", self.fork[0], "fork  (f)", "bold magenta"),
            ):
                with Vertical(classes="fork-column"):
                    title = Text(label, style=style, no_wrap=True, overflow="ellipsis")
                    if which == "fork":
                        title.append("  " + safe_line(table.source_name), style="dim")
                    yield Static(title, classes="fork-title")
                    yield Static(column_figures(table), classes="fork-figures")
                    tree = StepTree(table, id=f"tree-{which}")
                    tree.highlight_step = self.divergence
                    yield tree
        yield Static(Text(""), id="fork-pane-label")
        yield StepPanes(FORK_PANES, id="fork-panes")
        yield Footer()

    def on_mount(self) -> None:
        for tree_id in ("#tree-original", "#tree-fork"):
            tree = self.query_one(tree_id, StepTree)
            tree.reload()
            if self.divergence is not None and self.divergence <= len(tree.table):
                tree.select_step(self.divergence)

    def action_focus_tree(self, which: str) -> None:
        tree = self.query_one(f"#tree-{which}", StepTree)
        tree.focus()
        if tree.current_step is not None:
            self._show(tree, tree.current_step)

    def action_pane(self, name: str) -> None:
        self.query_one(StepPanes).active = name

    @on(StepTree.Selected)
    def step_selected(self, message: StepTree.Selected) -> None:
        message.stop()
        if message.tree.has_focus or not self.query_one("#tree-fork", StepTree).has_focus:
            self._show(message.tree, message.step)

    def _show(self, tree: StepTree, step: int) -> None:
        which = "original" if tree.id == "tree-original" else "fork"
        source = self.original[1] if which == "original" else self.fork[1]
        self.shown = (which, step)
        label = Text()
        label.append(f"step-{step} of the {which}", style="bold magenta" if which == "fork" else "bold")
        if step == self.divergence:
            label.append("  ◎ first divergence", style="magenta")
        label.append(f"  ·  1-{len(FORK_PANES)} panes · o/f switch tree", style="dim")
        self.query_one("#fork-pane-label", Static).update(label)
        self.query_one(StepPanes).show(source.span(step))
