"""The original run and its replayed fork side by side, the first diverging step highlighted."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from agentdbg.model.span import Span
from agentdbg.textsafe import safe_line, safe_text
from agentdbg.tui.steps import MemorySource, StepSource, StepTable
from agentdbg.tui.widgets.panes import PaneContext, ResponsePane
from agentdbg.tui.widgets.step_tree import StepTree


def fork_table(spans: list[Span], header: object, name: str) -> tuple[StepTable, MemorySource]:
    """A step table and in-memory source over a fork's spans."""
    table, source = StepTable(), MemorySource()
    table.header = header  # type: ignore[assignment]
    table.source_name = name
    for span in spans:
        source.add(span)
        table.add_span(span)
    return table, source


class ForkScreen(Screen[None]):
    """Two trees (o: original, f: fork); the response of the step selected in the focused tree below."""

    BINDINGS = [
        Binding("o", "focus_tree('original')", "Original"),
        Binding("f", "focus_tree('fork')", "Fork"),
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

    def compose(self) -> ComposeResult:
        yield Static(Text(safe_text(self.summary)), id="fork-summary")
        with Horizontal(id="fork-trees"):
            with Vertical(classes="fork-column"):
                yield Static(Text("original  (o)", style="bold"), classes="fork-title")
                yield StepTree(self.original[0], id="tree-original")
            with Vertical(classes="fork-column"):
                title = Text("fork  (f)  ", style="bold magenta")
                title.append(safe_line(self.fork[0].source_name), style="dim")
                yield Static(title, classes="fork-title")
                yield StepTree(self.fork[0], id="tree-fork")
        yield ResponsePane(id="fork-response")
        yield Footer()

    def on_mount(self) -> None:
        for tree_id in ("#tree-original", "#tree-fork"):
            tree = self.query_one(tree_id, StepTree)
            tree.highlight_step = self.divergence
            tree.reload()
            if self.divergence is not None and self.divergence <= len(tree.table):
                tree.select_step(self.divergence)
        self.query_one("#tree-fork", StepTree).focus()

    def action_focus_tree(self, which: str) -> None:
        tree = self.query_one(f"#tree-{which}", StepTree)
        tree.focus()
        if tree.current_step is not None:
            self._show(tree, tree.current_step)

    @on(StepTree.Selected)
    def step_selected(self, message: StepTree.Selected) -> None:
        message.stop()
        if message.tree.has_focus or not self.query_one("#tree-fork", StepTree).has_focus:
            self._show(message.tree, message.step)

    def _show(self, tree: StepTree, step: int) -> None:
        source = self.original[1] if tree.id == "tree-original" else self.fork[1]
        self.query_one(ResponsePane).show(source.span(step), PaneContext())
