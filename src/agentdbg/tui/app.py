"""The Textual app: a thin shell that opens the debugger screen on one trace."""

from __future__ import annotations

import sys

from textual.app import App
from textual.binding import Binding

from agentdbg.tui.index_source import BIG_FILE
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
        self,
        path: str,
        *,
        step: str | int | None = None,
        follow: bool = False,
        format: str | None = None,
        index_min_bytes: int = BIG_FILE,
    ) -> None:
        super().__init__()
        self.index_min_bytes = index_min_bytes
        self.trace_path = path
        self.initial_step = str(step) if step is not None else None
        self.follow = follow
        self.trace_format = format

    def on_mount(self) -> None:
        # Loader threads are CPU-bound: hand the GIL back to the UI thread sooner so keys stay fast.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(
            self.trace_path,
            step=self.initial_step,
            follow=self.follow,
            format=self.trace_format,
            index_min_bytes=self.index_min_bytes,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
