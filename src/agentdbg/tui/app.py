"""The Textual app: a thin shell that opens the debugger screen on one trace."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from agentdbg.tui.screens.help import HelpScreen
from agentdbg.tui.screens.main import MainScreen


class AgentdbgApp(App[None]):
    """``agentdbg show TRACE`` on a terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "agentdbg"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, path: str, *, step: str | int | None = None, follow: bool = False, format: str | None = None
    ) -> None:
        super().__init__()
        self.trace_path = path
        self.initial_step = str(step) if step is not None else None
        self.follow = follow
        self.trace_format = format

    def get_default_screen(self) -> MainScreen:
        return MainScreen(
            self.trace_path, step=self.initial_step, follow=self.follow, format=self.trace_format
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
