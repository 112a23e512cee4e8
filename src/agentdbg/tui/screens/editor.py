"""Edit a step's replay document (request or tool result) as JSON, in the app, before replaying."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

KEYS = Text("ctrl+s keep · ctrl+r keep & replay · esc discard", style="dim")


class JsonArea(TextArea):
    """A TextArea whose ``End`` goes to the end of the line itself, not of its soft-wrapped row."""

    def action_cursor_line_end(self, select: bool = False) -> None:
        row = self.cursor_location[0]
        self.move_cursor((row, len(self.document.get_line(row))), select=select)


class DocumentEditor(ModalScreen[str | None]):
    """A JSON editor below the trace header; ctrl+s keeps the edit, ctrl+r keeps it and replays, esc discards."""

    BINDINGS = [
        Binding("ctrl+s", "keep", "Keep edit"),
        Binding("ctrl+r", "keep_and_replay", "Keep & replay"),
        Binding("escape", "discard", "Discard", priority=True),
    ]

    def __init__(self, address: str, document_text: str, *, top: int = 0) -> None:
        super().__init__()
        self.top = top  # rows of the trace header left visible above the dialog
        self.address = address
        self.document_text = document_text
        self.replay_requested = False

    def compose(self) -> ComposeResult:
        box = Vertical(id="editor-box", classes="dialog")
        box.styles.margin = (self.top, 0, 1, 0)  # below the trace header, which stays readable
        with box:
            yield Static(Text(f"replay document of {self.address}", style="bold"), id="editor-title")
            yield JsonArea(
                self.document_text, id="editor", show_line_numbers=True, tab_behavior="indent", soft_wrap=True
            )
            yield Static(KEYS, id="editor-status")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def _valid_text(self) -> str | None:
        text = self.query_one(TextArea).text
        try:
            json.loads(text)
        except ValueError as exc:
            error = Text(f"not valid JSON: {exc}  ", style="bold red")
            self.query_one("#editor-status", Static).update(error.append_text(KEYS))
            return None
        return text

    def action_keep(self) -> None:
        text = self._valid_text()
        if text is not None:
            self.dismiss(text)

    def action_keep_and_replay(self) -> None:
        text = self._valid_text()
        if text is not None:
            self.replay_requested = True
            self.dismiss(text)

    def action_discard(self) -> None:
        self.dismiss(None)
