"""The debugger screen: header, execution tree with token chart, and the step panes.

Composed of widgets (``widgets/``) and controllers (``controllers/``: loader, diagnoser,
search, replayer) that run thread workers and post messages; the handlers here own the
state: the step table and source, the selection, the search hits and the findings.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.tui.controllers.clipboard import Clipboard
from agentdbg.tui.controllers.diagnoser import Diagnoser
from agentdbg.tui.controllers.loader import TraceLoader
from agentdbg.tui.controllers.replayer import Replayer
from agentdbg.tui.controllers.search import StepSearch
from agentdbg.tui.index_source import BIG_FILE, IndexSource
from agentdbg.tui.loading import apply_batch
from agentdbg.tui.steps import MemorySource, StepSource, StepTable
from agentdbg.tui.widgets.panes import PaneContext, StepPane
from agentdbg.tui.widgets.search_bar import SearchBar
from agentdbg.tui.widgets.step_panes import StepPanes
from agentdbg.tui.widgets.step_tree import StepTree
from agentdbg.tui.widgets.token_chart import TokenChart
from agentdbg.tui.widgets.trace_header import TraceHeaderBar

NARROW = 110  # below this many columns: short tab labels, a narrower tree without tokens or waterfall


class MainScreen(Screen[None]):
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
        Binding("R", "replay(True)", "Replay program", show=False),
        Binding("x", "explain", "Explain", show=False),
        Binding("tab", "switch_focus", "Tree/pane", show=False),
        Binding("y", "copy_step", "Copy JSON"),
        Binding("Y", "copy_markdown", "Copy Markdown", show=False),
        Binding("exclamation_mark", "show_problems", "Problems"),
    ]

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
        self.path = path
        self.initial_step = step
        self.following = follow
        self.format = format
        self.table = StepTable()
        self.table.source_name = path
        self.source: StepSource = MemorySource()
        self.progress: float | None = 0.0
        self.loaded = False
        self.diagnosed = False
        self.findings: list[Any] | None = None
        self.full_trace: Trace | None = None
        self._chart_at = 0.0
        self.loader = TraceLoader(path, format=format, follow=follow, index_min_bytes=index_min_bytes)
        self.diagnoser = Diagnoser()
        self.searcher = StepSearch()
        self.replayer = Replayer()
        self.clipboard = Clipboard()

    def compose(self) -> ComposeResult:
        yield TraceHeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield StepTree(self.table, id="tree")
                yield TokenChart(id="tokens")
            yield StepPanes(id=None)
        yield SearchBar(id="search")
        yield Footer()
        yield from (self.loader, self.diagnoser, self.searcher, self.replayer, self.clipboard)

    def on_mount(self) -> None:
        self.step_tree.follow(self.following)
        self.step_tree.focus()
        self._refresh_header()
        self.loader.load()

    @property
    def step_tree(self) -> StepTree:
        return self.query_one("#tree", StepTree)

    @property
    def panes(self) -> StepPanes:
        return self.query_one(StepPanes)

    @property
    def edits(self) -> dict[int, tuple[Any, Any]]:
        return self.replayer.edits

    @property
    def search_term(self) -> str | None:
        return self.searcher.term

    @property
    def hits(self) -> list[int]:
        return self.searcher.hits

    def span(self, step: int) -> Span:
        return self.source.span(step)

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        self.panes.short_labels(narrow)
        footer = self.query_one(Footer)
        footer.compact = narrow
        footer.show_command_palette = not narrow  # ctrl+p still opens it; the room goes to our keys

    def on_key(self) -> None:
        self.loader.key_pressed()

    # --------------------------------------------------------------- loading

    @on(TraceLoader.BatchLoaded)
    def apply_batch(self, message: TraceLoader.BatchLoaded) -> None:
        self.loader.batch_applied()
        batch = message.batch
        table, tree = self.table, self.step_tree
        first = len(table) == 0
        self.source, new_steps = apply_batch(table, self.source, batch)
        if batch.total_bytes:
            self.progress = batch.read_bytes / batch.total_bytes
        if new_steps:
            # Rows live as long as the screen: move them out of the collector's sight, so full
            # collections stay small while a 100k-step trace loads (they paused keys ~120 ms).
            gc.freeze()
        if first and new_steps:
            self.loader.first_screen()  # the first keys are not answered behind the loader
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
            self.diagnoser.when_quiet(self._diagnose_now)  # while following
        self._refresh_header()
        now = time.monotonic()
        if batch.done or now - self._chart_at > 0.5:
            self._chart_at = now
            self.query_one(TokenChart).set_data(table.llm_input_tokens())

    def _finish_loading(self) -> None:
        header = self.table.header
        if header is not None and header.fork_of and isinstance(self.source, MemorySource):
            from agentdbg.tui.fork_view import fork_rows

            self.table.replace_rows(fork_rows(self.source.spans))  # the fork's own times and status
            self.step_tree.reload()
        self.step_tree.flush()
        self.loaded = True
        self.progress = None
        self.refresh_bindings()
        self._diagnose_now()
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

    def _diagnose_now(self) -> None:
        indexed = isinstance(self.source, IndexSource)
        self.diagnoser.diagnose(self.path, self.format, len(self.table), indexed)

    def _try_initial_step(self, final: bool) -> bool:
        wanted = (self.initial_step or "").strip()
        step = self.table.step_named(wanted)
        if step is not None:
            self.step_tree.select_step(step)
            return True
        if final:
            valid = f"step-1 … step-{len(self.table)}" if self.table.rows else "none"
            self.notify(
                f"no step {wanted!r} in this trace; valid steps: {valid}", severity="error", markup=False
            )
            return True
        return False

    @on(TraceLoader.Failed)
    def load_failed(self, message: TraceLoader.Failed) -> None:
        self.progress = None
        self.notify(str(message.error), title="cannot open trace", severity="error", timeout=30, markup=False)
        self._refresh_header()

    def _refresh_header(self) -> None:
        self.query_one(TraceHeaderBar).refresh_from(
            self.table, progress=self.progress, following=self.following and self.loaded
        )

    # -------------------------------------------------------------- findings

    @on(Diagnoser.FindingsReady)
    def findings_ready(self, message: Diagnoser.FindingsReady) -> None:
        self.findings = message.findings
        self.diagnosed = True
        if message.trace is not None:
            self.full_trace = message.trace
        pane = self.panes.findings_pane
        pane.findings = message.findings
        pane.note = message.note or pane.note
        self.step_tree.flagged_by_findings = {f.step for f in message.findings or []}
        self.step_tree.refresh()
        self._show_current()

    def findings_on(self, step: int) -> list[tuple[str, str]]:
        return [(f.severity, f"{f.title}: {f.evidence}") for f in self.findings or [] if f.step == step]

    # ------------------------------------------------------------- selection

    @on(StepTree.Selected)
    def step_selected(self, message: StepTree.Selected) -> None:
        self.show_step(message.step)

    def show_step(self, step: int, *, force: bool = False) -> None:
        """Render the visible pane for ``step`` (other panes render when their tab opens)."""
        self.panes.show(self.span(step), self.pane_context(step), force=force)

    def _show_current(self) -> None:
        step = self.step_tree.current_step
        if step is not None:
            self.show_step(step, force=True)

    def pane_context(self, step: int) -> PaneContext:
        return PaneContext(
            search=self.search_term if step in self.hits else None, findings=self.findings_on(step)
        )

    def active_pane(self) -> StepPane:
        return self.panes.visible_pane

    def action_pane(self, name: str) -> None:
        self.panes.active = name

    def action_switch_focus(self) -> None:
        if self.step_tree.has_focus:
            self.active_pane().focus()
        else:
            self.step_tree.focus()

    # ---------------------------------------------------------------- search

    def action_start_search(self) -> None:
        self.query_one(SearchBar).open(self.search_term)

    @on(SearchBar.Closed)
    def search_closed(self) -> None:
        self.step_tree.focus()

    @on(SearchBar.Search)
    def search_requested(self, message: SearchBar.Search) -> None:
        self.step_tree.focus()
        if not message.term:
            self._set_hits(None, [])
            return
        self.notify(f"searching {len(self.table):,} steps…", timeout=2, markup=False)
        self.searcher.search(
            message.term, self.source, self.path, dict(self.table.step_of_id), len(self.table)
        )

    @on(StepSearch.Done)
    def search_done(self, message: StepSearch.Done) -> None:
        self._set_hits(message.term, message.hits)
        if not message.hits:
            self.notify(f"no step contains {message.term!r}", severity="warning", markup=False)
            return
        self.notify(
            f"{len(message.hits)} step(s) contain {message.term!r}; n/N to move between them", markup=False
        )
        self.action_next_hit(1, from_current=True)

    def _set_hits(self, term: str | None, hits: list[int]) -> None:
        self.searcher.term, self.searcher.hits = term, hits
        self.step_tree.marked = set(hits)
        self.step_tree.refresh()
        self.refresh_bindings()
        self._show_current()

    def action_next_hit(self, direction: int, from_current: bool = False) -> None:
        found = self.searcher.next_hit(self.table, self.step_tree.current_step or 0, direction, from_current)
        if found is not None:
            target, position = found
            self.step_tree.select_step(target)
            self.notify(f"hit {position}/{len(self.hits)}: step-{target}", timeout=1.5, markup=False)

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
        if step is not None:
            self.clipboard.copy_json(step, self.span(step))

    def action_copy_markdown(self) -> None:
        step = self.step_tree.current_step
        if step is not None:
            self.clipboard.copy_markdown(step, self.table, self.span)

    def action_show_problems(self) -> None:
        from agentdbg.tui.screens.problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen(self.table.problems))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_problems":
            return bool(self.table.problems)
        if action == "next_hit":
            return bool(self.hits)
        return True

    # ---------------------------------------------------- edit, replay, explain

    def action_edit_document(self) -> None:
        step = self.step_tree.current_step
        if step is not None:
            # The whole trace if diagnose read it, else a trace of this one step (enough for its document).
            span = self.span(step)
            header = self.table.header or TraceHeader(trace_id="unknown")
            trace = self.full_trace or Trace(header=header, spans=[span], source=self.path)
            self.replayer.edit(step, span, trace, top=self.query_one(TraceHeaderBar).size.height)

    def action_replay(self, program: bool = False) -> None:
        step = self.step_tree.current_step
        if step is not None:
            self.replayer.replay(step, self.path, self.full_trace, (self.table, self.source), program=program)

    @on(Replayer.ReplayRequested)
    def replay_requested(self, message: Replayer.ReplayRequested) -> None:
        self.replayer.replay(message.step, self.path, self.full_trace, (self.table, self.source))

    def action_explain(self) -> None:
        from agentdbg.tui.screens.explain import ExplainScreen

        step = self.step_tree.current_step
        self.app.push_screen(
            ExplainScreen(self.path, step=f"step-{step}" if step else None, format=self.format)
        )
