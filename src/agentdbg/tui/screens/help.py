"""The help screen: every key, grouped by what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Moving",
        [
            ("↑ ↓  k j", "previous / next step"),
            ("pgup pgdn", "a page up / down"),
            ("g  G  home end", "first / last step"),
            ("enter  space", "fold / unfold the selected step's children"),
            ("← h  → l", "collapse (or go to parent) / expand"),
            ("e  E", "next / previous failed or incomplete step"),
            ("tab", "move focus between the tree and the pane"),
        ],
    ),
    (
        "Panes",
        [
            ("1", "Prompt: every message the model saw, context-window gauge"),
            ("2", "Response: answer, reasoning (foldable), tool calls"),
            ("3", "Tool: arguments and result, or the calls an LLM asked for"),
            ("4", "Raw: the step's JSON record"),
            ("5", "Info: model, parameters, usage, cost, latency, ids, error"),
            ("6", "Findings: what diagnose flagged (marked ! in the tree)"),
        ],
    ),
    (
        "Search and copy",
        [
            ("/", "search the text of every step"),
            ("n  N", "next / previous search hit"),
            ("y", "copy the selected step as JSON (terminal clipboard, OSC 52)"),
            ("Y", "copy the step and the steps under it as Markdown"),
            ("!", "show lines of the file that were skipped (read problems)"),
        ],
    ),
    (
        "Replay",
        [
            ("p", "edit the selected step's replay document (request or tool result)"),
            ("r", "replay from the selected step (with your edit) and open the fork beside the original"),
            ("R", "the same, re-running the program the trace recorded (its output goes to <fork>.log)"),
            ("o  f  1-5", "in the fork view: focus the original / the fork tree; its panes"),
            ("x", "explain the run from the selected step (asks the model)"),
        ],
    ),
    ("App", [("?", "this help"), ("q", "quit")]),
]


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold #ffaf5f", no_wrap=True, min_width=16)
    table.add_column()
    for group, keys in KEYS:
        table.add_row(Text(group, style="bold underline"), Text(""))
        for key, what in keys:
            table.add_row(Text(key), Text(what))
        table.add_row(Text(""), Text(""))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(Text("agentdbg — keys", style="bold"), classes="dialog-title")
            with VerticalScroll():
                yield Static(help_table(), id="help-keys")
            yield Static(Text("↑ ↓ scroll · esc to close", style="dim"))
