"""Runs every detector on the trace in a thread worker and posts the findings; while a run is followed,
runs them again once the file has been quiet for a moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from agentdbg.errors import AgentdbgError
from agentdbg.model.trace import Trace
from agentdbg.tui.controllers.base import Controller

DIAGNOSE_MAX_STEPS = 20_000  # bigger traces (or ones read through the index): run `agentdbg diagnose`
DIAGNOSE_QUIET = 2.0  # --follow: seconds without new lines before findings are recomputed


class Diagnoser(Controller):
    """``diagnose(path)`` posts ``FindingsReady`` with the findings, or a note saying why there are none."""

    class FindingsReady(Message):
        """The worker finished (``findings`` and the whole ``trace`` it read) or could not run (``note``)."""

        def __init__(self, findings: list[Any] | None, note: str = "", trace: Trace | None = None) -> None:
            super().__init__()
            self.findings = findings
            self.note = note
            self.trace = trace

    def __init__(self) -> None:
        super().__init__()
        self._quiet_timer: Timer | None = None

    def when_quiet(self, run: Callable[[], None]) -> None:
        """Call ``run`` once nothing has called this for ``DIAGNOSE_QUIET`` seconds (each call restarts the wait)."""
        if self._quiet_timer is None:

            def fire() -> None:
                self._quiet_timer = None  # the next change arms a fresh timer
                run()

            self._quiet_timer = self.set_timer(DIAGNOSE_QUIET, fire)
        else:
            self._quiet_timer.reset()

    @work(thread=True, exclusive=True, exit_on_error=False, group="diagnose")
    def diagnose(self, path: str, format: str | None, steps: int, indexed: bool) -> None:
        """Load the whole trace (small files) and run every detector on it."""
        if steps > DIAGNOSE_MAX_STEPS or indexed:
            note = f"a big trace ({steps:,} steps) is not diagnosed here: run `agentdbg diagnose {path}`"
            self.post_message(self.FindingsReady(None, note))
            return
        try:
            from agentdbg.analysis import diagnose
            from agentdbg.importers import open_trace

            trace = open_trace(path, format=format)
            findings = diagnose(trace)
        except AgentdbgError as error:
            self.post_message(self.FindingsReady(None, f"diagnose could not run: {error}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.FindingsReady(findings, trace=trace))
