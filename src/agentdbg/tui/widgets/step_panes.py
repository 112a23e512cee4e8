"""The tabbed panes of the selected step (Prompt, Response, Tool, Raw, Info, Findings), used by both screens.

The screen hands it a span and a context (attributes down); only the visible tab renders, and
switching tabs renders the kept span into the newly visible pane. Narrow terminals get short
tab labels so every tab stays on screen.
"""

from __future__ import annotations

from textual import on
from textual.widgets import TabbedContent, TabPane

from agentdbg.model.span import Span
from agentdbg.tui.widgets.findings_pane import FindingsPane
from agentdbg.tui.widgets.panes import (
    InfoPane,
    PaneContext,
    PromptPane,
    RawPane,
    ResponsePane,
    StepPane,
    ToolPane,
)

# name -> (pane class, label, short label for narrow terminals)
PANES: dict[str, tuple[type[StepPane], str, str]] = {
    "prompt": (PromptPane, "Prompt", "Prompt"),
    "response": (ResponsePane, "Response", "Resp"),
    "tool": (ToolPane, "Tool", "Tool"),
    "raw": (RawPane, "Raw", "Raw"),
    "info": (InfoPane, "Info", "Info"),
    "findings": (FindingsPane, "Findings", "Find"),
}


class StepPanes(TabbedContent):
    """One tab per pane, numbered for the keys ``1``–``6`` (``names`` picks and orders them)."""

    def __init__(self, names: tuple[str, ...] = tuple(PANES), *, id: str | None = None) -> None:
        self.names = names
        self.prefix = "" if id is None else f"{id}-"
        tabs = [
            TabPane(f"{number} {PANES[name][1]}", PANES[name][0](id=f"{self.prefix}pane-{name}"), id=name)
            for number, name in enumerate(names, start=1)
        ]
        super().__init__(id=id, initial=names[0])
        for tab in tabs:
            self.compose_add_child(tab)  # as ``with TabbedContent(): yield TabPane(...)`` does
        self.span: Span | None = None
        self.context = PaneContext()
        self.current = names[0]  # the visible tab, kept here: ``active`` raises until the tabs are mounted
        self._short = False

    def pane(self, name: str) -> StepPane:
        return self.query_one(f"#{self.prefix}pane-{name}", StepPane)

    @property
    def findings_pane(self) -> FindingsPane:
        return self.query_one(FindingsPane)

    @property
    def visible_pane(self) -> StepPane:
        return self.pane(self.current)

    def show(self, span: Span | None, context: PaneContext | None = None, *, force: bool = False) -> None:
        """Keep ``span`` and render it in the visible pane (once mounted, if it is not yet)."""
        self.span, self.context = span, context or PaneContext()
        for pane in self.query(f"#{self.prefix}pane-{self.current}").results(StepPane):
            pane.show(span, self.context, force=force)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content is not self or event.pane.id is None:
            return
        self.current = event.pane.id
        if self.span is not None:
            self.visible_pane.show(self.span, self.context)

    def short_labels(self, short: bool) -> None:
        """Short tab labels (``2 Resp``) when the panes are narrow, full ones otherwise."""
        if short == self._short:
            return
        self._short = short
        for number, name in enumerate(self.names, start=1):
            label = PANES[name][2] if short else PANES[name][1]
            self.get_tab(name).label = f"{number} {label}"
