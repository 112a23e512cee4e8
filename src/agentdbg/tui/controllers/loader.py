"""Loads the trace in a thread worker and posts each batch; follows the file with ``--follow``."""

from __future__ import annotations

import time

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from agentdbg.errors import AgentdbgError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.tui.controllers.base import Controller
from agentdbg.tui.index_source import BIG_FILE, index_batches, open_index
from agentdbg.tui.loading import Batch, TraceTail, looks_native

FOLLOW_POLL = 0.25
YIELD_AFTER_KEY = 0.1  # the loader idles this long after a key press, so the UI has the GIL to itself
YIELD_MAX = 0.1  # ... but never longer than this per batch: loading always moves on
FIRST_SCREEN_QUIET = 0.3  # the loader idles (at most YIELD_MAX) while the first screen is drawn


class TraceLoader(Controller):
    """Reads the file in batches (native format) or whole (imported formats), then follows it.

    The screen tells it when a key was pressed (``key_pressed``) and when it applied a batch
    (``batch_applied``): the loader thread shares the GIL with the UI, so it steps back then.
    """

    class BatchLoaded(Message):
        """More of the file was read."""

        def __init__(self, batch: Batch) -> None:
            super().__init__()
            self.batch = batch

    class Failed(Message):
        """The trace could not be opened."""

        def __init__(self, error: AgentdbgError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self, path: str, *, format: str | None, follow: bool, index_min_bytes: int = BIG_FILE
    ) -> None:
        super().__init__()
        self.path = path
        self.format = format
        self.following = follow
        self.index_min_bytes = index_min_bytes
        self._posted = 0  # written only by the worker thread
        self._applied = 0  # written only by the UI thread
        self._key_at = 0.0  # monotonic time of the last key press (read by the worker thread)

    def key_pressed(self, quiet: float = 0.0) -> None:
        """A key was pressed (or the first screen is being drawn, ``quiet`` seconds more)."""
        self._key_at = time.monotonic() + quiet

    def first_screen(self) -> None:
        """The first screen is the UI's biggest paint: idle as after a key press, a little longer."""
        self.key_pressed(FIRST_SCREEN_QUIET - YIELD_AFTER_KEY)

    def batch_applied(self) -> None:
        self._applied += 1

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load(self) -> None:
        worker = get_current_worker()
        try:
            name = self.format or ("agentdbg" if looks_native(self.path) else None)
            if name is None:
                from agentdbg.importers import detect_format

                name = detect_format(self.path)
            if name != "agentdbg":
                from agentdbg.importers import open_trace

                trace = open_trace(self.path, format=name)
                self._post(whole_trace_batch(trace.spans, trace.problems, trace.header, name))
                return
            index = None if self.following else open_index(self.path, self.index_min_bytes)
            if index is not None:
                for batch in index_batches(index, lambda: worker.is_cancelled):
                    self._post(batch)
                return
            tail = TraceTail(self.path)
        except AgentdbgError as error:
            self.post_message(self.Failed(error))
            return
        caught_up = False
        try:
            while not worker.is_cancelled:
                batch = tail.poll(final=not self.following)
                if batch.read_bytes >= batch.total_bytes and self.following and not caught_up:
                    batch.done = caught_up = True  # the initial read is complete; keep following
                if batch:
                    self._post(batch)
                if batch.done and not self.following:
                    return
                if caught_up and batch.read_bytes >= batch.total_bytes:
                    time.sleep(FOLLOW_POLL)
        finally:
            tail.close()

    def _post(self, batch: Batch) -> None:
        """Post a batch, first waiting while two are still unapplied (so keys never queue behind many).

        Right after a key press it also waits a moment: the loader and the UI share one GIL, and
        a busy loader thread doubled the time the UI took to answer keys.
        """
        worker = get_current_worker()
        while self._posted - self._applied >= 2 and not worker.is_cancelled:
            time.sleep(0.002)
        give_up = time.monotonic() + YIELD_MAX
        while time.monotonic() - self._key_at < YIELD_AFTER_KEY and time.monotonic() < give_up:
            time.sleep(0.005)
        self._posted += 1
        self.post_message(self.BatchLoaded(batch))


def whole_trace_batch(spans: list[Span], problems: list[Problem], header: TraceHeader, name: str) -> Batch:
    """One final batch holding a trace read whole (an imported format)."""
    return Batch(
        new=list(spans),
        problems=list(problems),
        header=header,
        done=True,
        read_bytes=1,
        total_bytes=1,
        format=name,
    )
