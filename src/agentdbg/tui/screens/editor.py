"""Edit a step's replay document (request or tool result) as JSON, in the app, before replaying."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class DocumentEditor(ModalScreen[str | None]):
    """A JSON editor; ctrl+s keeps the edit, ctrl+r keeps it and replays, escape discards it."""

    BINDINGS = [
        Binding("ctrl+s", "keep", "Keep edit"),
        Binding("ctrl+r", "keep_and_replay", "Keep & replay"),
        Binding("escape", "discard", "Discard", priority=True),
    ]

    def __init__(self, address: str, document_text: str) -> None:
        super().__init__()
        self.address = address
        self.document_text = document_text
        self.replay_requested = False

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-box", classes="dialog"):
            title = Text(f"replay document of {self.address}", style="bold")
            title.append("  ctrl+s keep · ctrl+r keep and replay · esc discard", style="dim")
            yield Static(title, classes="dialog-title")
            yield TextArea(self.document_text, id="editor", show_line_numbers=True, tab_behavior="indent")
            yield Static(Text(""), id="editor-status")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def _valid_text(self) -> str | None:
        text = self.query_one(TextArea).text
        try:
            json.loads(text)
        except ValueError as exc:
            self.query_one("#editor-status", Static).update(Text(f"not valid JSON: {exc}", style="bold red"))
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
