"""The base of the screen's controllers: a widget that never shows and takes no room."""

from __future__ import annotations

from textual.widget import Widget


class Controller(Widget):
    """Hidden from layout and focus; lives in the screen's DOM so its workers and messages do."""

    can_focus = False

    def __init__(self) -> None:
        super().__init__()
        self.display = False
