"""The debugger screen: header, execution tree with token chart, and the step panes.

Loading, following and searching run in thread workers that only post messages; the
handlers here own the state (the step table, the selection, the search hits).
"""

from __future__ import annotations

import gc
import re
import time
from typing import Any

import orjson
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Input, TabbedContent, TabPane
from textual.worker import get_current_worker

from agentdbg.errors import AgentdbgError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.tui.index_source import BIG_FILE, index_batches, open_index
from agentdbg.tui.loading import Batch, TraceTail, looks_native
from agentdbg.tui.screens.search_flow import SearchFlow
from agentdbg.tui.steps import MemorySource, StepSource, StepTable
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
from agentdbg.tui.widgets.step_tree import StepTree
from agentdbg.tui.widgets.token_chart import TokenChart
from agentdbg.tui.widgets.trace_header import TraceHeaderBar

PANES = ("prompt", "response", "tool", "raw", "info", "findings")
_STEP_RE = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)
FOLLOW_POLL = 0.25
YIELD_AFTER_KEY = 0.1  # the loader idles this long after a key press, so the UI has the GIL to itself
YIELD_MAX = 0.1  # ... but never longer than this per batch: loading always moves on
FIRST_SCREEN_QUIET = 0.3  # the loader idles (at most YIELD_MAX) while the first screen is drawn
DIAGNOSE_QUIET = 2.0  # --follow: seconds without new lines before findings are recomputed


class MainScreen(SearchFlow):
    """Everything about one trace."""

    BINDINGS = [
        Binding("slash", "start_search", "Search"),
        Binding("n", "next_hit(1)", "Next hit"),
        Binding("N", "next_hit(-1)", "Prev hit", show=False),
        Binding("e", "next_error(1)", "Next error"),
        Binding("E", "next_error(-1)", "Prev error", show=False),
        Binding("1", "pane('prompt')", "Panes", key_display="1-6"),
        Binding("2", "pane('response')", "Response", show=False),
        Binding("3", "pane('tool')", "Tool", show=False),
        Binding("4", "pane('raw')", "Raw", show=False),
        Binding("5", "pane('info')", "Info", show=False),
        Binding("6", "pane('findings')", "Findings", show=False),
        Binding("p", "edit_document", "Edit"),
        Binding("r", "replay", "Replay"),
        Binding("x", "explain", "Explain", show=False),
        Binding("tab", "switch_focus", "Tree/pane", show=False),
        Binding("y", "copy_step", "Copy JSON"),
        Binding("exclamation_mark", "show_problems", "Problems"),
        Binding("escape", "cancel_search", "Cancel", show=False),
    ]

    class BatchLoaded(Message):
        """A loader worker read more of the file."""

        def __init__(self, batch: Batch) -> None:
            super().__init__()
            self.batch = batch

    class LoadFailed(Message):
        def __init__(self, error: AgentdbgError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        path: str,
        *,
        step: str | None = None,
        follow: bool = False,
        format: str | None = None,
        index_min_bytes: int = BIG_FILE,
    ) -> None:
        super().__init__()
        self.index_min_bytes = index_min_bytes
        self.path = path
        self.initial_step = step
        self.following = follow
        self.format = format
        self.table = StepTable()
        self.table.source_name = path
        self.source: StepSource = MemorySource()
        self.progress: float | None = 0.0
        self.loaded = False
        self.search_term: str | None = None
        self.hits: list[int] = []
        self._chart_at = 0.0
        self._batches_posted = 0
        self._diagnose_timer: Timer | None = None
        self.edits: dict[int, tuple[Any, Any]] = {}  # step -> (original document, edited document)
        self.last_replay: Any = None
        self._batches_applied = 0
        self._key_at = 0.0  # monotonic time of the last key press (read by the loader thread)

    def compose(self) -> ComposeResult:
        yield TraceHeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield StepTree(self.table, id="tree")
                yield TokenChart(id="tokens")
            with TabbedContent(id="panes", initial="prompt"):
                yield TabPane("1 Prompt", PromptPane(id="pane-prompt"), id="prompt")
                yield TabPane("2 Response", ResponsePane(id="pane-response"), id="response")
                yield TabPane("3 Tool", ToolPane(id="pane-tool"), id="tool")
                yield TabPane("4 Raw", RawPane(id="pane-raw"), id="raw")
                yield TabPane("5 Info", InfoPane(id="pane-info"), id="info")
                yield TabPane("6 Findings", FindingsPane(id="pane-findings"), id="findings")
        yield Input(placeholder="search every step's text · enter to search · esc to cancel", id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.step_tree.follow(self.following)
        self.step_tree.focus()
        self._refresh_header()
        self.load_trace()

    # --------------------------------------------------------------- loading

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_trace(self) -> None:
        """Read the file in batches (native format) or whole (imported formats), then follow it."""
        worker = get_current_worker()
        try:
            name = self.format or ("agentdbg" if looks_native(self.path) else None)
            if name is None:
                from agentdbg.importers import detect_format

                name = detect_format(self.path)
            if name != "agentdbg":
                from agentdbg.importers import open_trace

                trace = open_trace(self.path, format=name)
                self._post_batch(_whole_trace_batch(trace.spans, trace.problems, trace.header, name))
                return
            index = None if self.following else open_index(self.path, self.index_min_bytes)
            if index is not None:
                for batch in index_batches(index, lambda: worker.is_cancelled):
                    self._post_batch(batch)
                return
            tail = TraceTail(self.path)
        except AgentdbgError as error:
            self.post_message(self.LoadFailed(error))
            return
        caught_up = False
        try:
            while not worker.is_cancelled:
                batch = tail.poll(final=not self.following)
                if batch.read_bytes >= batch.total_bytes and self.following and not caught_up:
                    batch.done = caught_up = True  # the initial read is complete; keep following
                if batch:
                    self._post_batch(batch)
                if batch.done and not self.following:
                    return
                if caught_up and batch.read_bytes >= batch.total_bytes:
                    time.sleep(FOLLOW_POLL)
        finally:
            tail.close()

    def _post_batch(self, batch: Batch) -> None:
        """Post a batch, first waiting while two are still unapplied (so keys never queue behind many).

        Right after a key press it also waits a moment: the loader and the UI share one GIL, and
        a busy loader thread doubled the time the UI took to answer keys.
        """
        worker = get_current_worker()
        while self._batches_posted - self._batches_applied >= 2 and not worker.is_cancelled:
            time.sleep(0.002)
        give_up = time.monotonic() + YIELD_MAX
        while time.monotonic() - self._key_at < YIELD_AFTER_KEY and time.monotonic() < give_up:
            time.sleep(0.005)
        self._batches_posted += 1  # written only by the worker thread
        self.post_message(self.BatchLoaded(batch))

    @on(BatchLoaded)
    def apply_batch(self, message: BatchLoaded) -> None:
        self._batches_applied += 1  # written only by the UI thread
        batch = message.batch
        table, tree = self.table, self.step_tree
        first = len(table) == 0
        if batch.header is not None:
            table.header = batch.header
        if batch.format:
            table.format = batch.format
        if batch.source is not None:
            self.source = batch.source
        new_steps = []
        source = self.source
        for span in batch.new:
            if isinstance(source, MemorySource):
                source.add(span)
            new_steps.append(table.add_span(span).step)
        for row, parent_id in batch.rows:
            new_steps.append(table.add(row, parent_id).step)
        for span in batch.ended:
            table.update_span(span)
        for row in batch.changed_rows:
            table.refresh_row(row)
        table.problems.extend(batch.problems)
        if batch.total_bytes:
            self.progress = batch.read_bytes / batch.total_bytes
        if new_steps:
            # Rows live as long as the screen: move them out of the collector's sight, so full
            # collections stay small while a 100k-step trace loads (they paused keys ~120 ms).
            gc.freeze()
        if first and new_steps:
            # The first screen (tree, first pane, footer) is the UI's biggest paint: the loader
            # waits as after a key press, so the first keys are not answered behind it.
            self._key_at = time.monotonic() + FIRST_SCREEN_QUIET - YIELD_AFTER_KEY
            tree.reload()
        elif new_steps:
            tree.appended(new_steps)
        elif batch.ended or batch.changed_rows:
            tree.refresh()
        current = tree.current_step
        if first and new_steps and not self.initial_step:
            tree.cursor = 0
        elif current is not None and (
            any(span.step == current for span in batch.ended)
            or any(row.step == current for row in batch.changed_rows)
        ):
            self.show_step(current, force=True)
        if self.initial_step and self._try_initial_step(final=batch.done):
            self.initial_step = None
        if batch.done and not self.loaded:
            self._finish_loading()
        elif self.loaded and self.following and (new_steps or batch.ended):
            self._diagnose_again_soon()
        self._refresh_header()
        now = time.monotonic()
        if batch.done or now - self._chart_at > 0.5:
            self._chart_at = now
            self.query_one(TokenChart).set_data(table.llm_input_tokens())

    def _finish_loading(self) -> None:
        self.step_tree.flush()
        self.loaded = True
        self.progress = None
        self.refresh_bindings()
        self.run_diagnose()
        problems = self.table.problems
        if problems:
            self.notify(
                f"{len(problems)} line(s) of the file were skipped or odd; press ! to see them",
                title="read problems",
                severity="warning",
                timeout=8,
                markup=False,
            )
        if not self.table.rows:
            self.notify("this trace has no steps", severity="warning", markup=False)

    def _diagnose_again_soon(self) -> None:
        """While following, re-run diagnose once the run has been quiet for a moment."""
        if self._diagnose_timer is None:
            self._diagnose_timer = self.set_timer(DIAGNOSE_QUIET, self._diagnose_now)
        else:
            self._diagnose_timer.reset()

    def _diagnose_now(self) -> None:
        self._diagnose_timer = None  # the next change arms a fresh timer
        self.run_diagnose()

    def _try_initial_step(self, final: bool) -> bool:
        wanted = (self.initial_step or "").strip()
        match = _STEP_RE.match(wanted)
        step = int(match.group(1)) if match else self.table.step_of_id.get(wanted)
        if step is not None and 1 <= step <= len(self.table):
            self.step_tree.select_step(step)
            return True
        if final:
            valid = f"step-1 … step-{len(self.table)}" if self.table.rows else "none"
            self.notify(
                f"no step {wanted!r} in this trace; valid steps: {valid}", severity="error", markup=False
            )
            return True
        return False

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.progress = None
        self.notify(str(message.error), title="cannot open trace", severity="error", timeout=30, markup=False)
        self._refresh_header()

    def _refresh_header(self) -> None:
        self.query_one(TraceHeaderBar).refresh_from(
            self.table, progress=self.progress, following=self.following and self.loaded
        )

    def on_key(self) -> None:
        self._key_at = time.monotonic()

    # ------------------------------------------------------------- selection

    @on(StepTree.Selected)
    def step_selected(self, message: StepTree.Selected) -> None:
        self.show_step(message.step)

    def show_step(self, step: int, *, force: bool = False) -> None:
        """Render the active pane for ``step`` (other panes render when their tab opens)."""
        pane = self.active_pane()
        pane.show(self.span(step), self.pane_context(step), force=force)

    def pane_context(self, step: int) -> PaneContext:
        return PaneContext(
            search=self.search_term if step in self.hits else None, findings=self.findings_on(step)
        )

    def active_pane(self) -> StepPane:
        active = self.query_one(TabbedContent).active or "prompt"
        return self.query_one(f"#pane-{active}", StepPane)

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        step = self.step_tree.current_step
        if step is not None:
            self.show_step(step)

    def action_pane(self, name: str) -> None:
        self.query_one(TabbedContent).active = name

    def action_switch_focus(self) -> None:
        if self.step_tree.has_focus:
            self.active_pane().focus()
        else:
            self.step_tree.focus()

    # ------------------------------------------------------ errors, copying

    def action_next_error(self, direction: int) -> None:
        current = self.step_tree.current_step or 1
        target = self.table.next_flagged(current, forward=direction > 0) if self.table.rows else None
        if target is None:
            self.notify("no failed or incomplete steps", markup=False)
            return
        self.step_tree.select_step(target)

    def action_copy_step(self) -> None:
        step = self.step_tree.current_step
        if step is None:
            return
        data = orjson.dumps(self.span(step).to_record(), default=str, option=orjson.OPT_INDENT_2).decode()
        self.app.copy_to_clipboard(data)
        self.notify(f"copied step-{step} as JSON ({len(data):,} characters)", markup=False)

    def action_show_problems(self) -> None:
        from agentdbg.tui.screens.problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen(self.table.problems))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_problems":
            return bool(self.table.problems)
        if action == "next_hit":
            return bool(self.hits)
        return True


def _whole_trace_batch(spans: list[Span], problems: list[Problem], header: TraceHeader, name: str) -> Batch:
    return Batch(
        new=list(spans),
        problems=list(problems),
        header=header,
        done=True,
        read_bytes=1,
        total_bytes=1,
        format=name,
    )
