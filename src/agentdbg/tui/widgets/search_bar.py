"""The search box (``/``): hidden until opened; posts ``Search`` on enter and ``Closed`` on escape."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class SearchBar(Input):
    """One line at the bottom of the screen; the screen runs the search and keeps the hits."""

    BINDINGS = [Binding("escape", "close", "Cancel", show=False)]

    class Search(Message):
        """Search every step for ``term`` (``""``: clear the search)."""

        def __init__(self, term: str) -> None:
            super().__init__()
            self.term = term

    class Closed(Message):
        """The box closed without a search."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="search every step's text · enter to search · esc to cancel", id=id)
        self.display = False

    def open(self, term: str | None) -> None:
        self.display = True
        self.value = term or ""
        self.focus()

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.display = False
        self.post_message(self.Search(event.value.strip()))
