"""Searching every step's text (``/``, ``n``, ``N``): the base class of ``MainScreen`` that owns the hits.

The search runs in a thread worker over whole spans (in-memory traces) or the file's raw bytes
(big indexed traces) and posts ``SearchDone``; the handler here marks hits in the tree.
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import Input
from textual.worker import get_current_worker

from agentdbg.tui.screens.replay_flow import ReplayFlow
from agentdbg.tui.search import search_file, search_steps
from agentdbg.tui.steps import MemorySource


class SearchDone(Message):
    """A search finished: the term and the step numbers whose text holds it."""

    def __init__(self, term: str, hits: list[int]) -> None:
        super().__init__()
        self.term = term
        self.hits = hits


class SearchFlow(ReplayFlow):
    """Search state (term, hits) and its keys."""

    search_term: str | None = None
    hits: list[int] = []

    def action_start_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.value = self.search_term or ""
        box.focus()

    def action_cancel_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.display:
            box.display = False
            self.step_tree.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        term = event.value.strip()
        event.input.display = False
        self.step_tree.focus()
        if not term:
            self._set_hits(None, [])
            return
        self.notify(f"searching {len(self.table):,} steps…", timeout=2, markup=False)
        self.run_search(term, dict(self.table.step_of_id), len(self.table))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, term: str, step_of_id: dict[str, int], count: int) -> None:
        worker = get_current_worker()
        if isinstance(self.source, MemorySource):  # whole spans in memory: exact, requests rebuilt
            hits = search_steps(self.source, count, term, worker)
        else:  # big indexed file: raw bytes, fast even for 100k steps (text of compact requests counts once)
            hits = search_file(self.path, term, step_of_id, worker)
        self.post_message(SearchDone(term, hits))

    def on_search_done(self, message: SearchDone) -> None:
        self._set_hits(message.term, message.hits)
        if not message.hits:
            self.notify(f"no step contains {message.term!r}", severity="warning", markup=False)
            return
        self.notify(
            f"{len(message.hits)} step(s) contain {message.term!r}; n/N to move between them", markup=False
        )
        self.action_next_hit(1, from_current=True)

    def _set_hits(self, term: str | None, hits: list[int]) -> None:
        self.search_term, self.hits = term, hits
        self.step_tree.marked = set(hits)
        self.step_tree.refresh()
        self.refresh_bindings()
        step = self.step_tree.current_step
        if step is not None:
            self.show_step(step, force=True)

    def action_next_hit(self, direction: int, from_current: bool = False) -> None:
        if not self.hits:
            return
        current = self.step_tree.current_step or 0
        if from_current and current in self.hits:
            target: int | None = current
        else:
            target = self.table.next_in_tree(current, self.hits, forward=direction > 0)
        if target is None:
            return
        self.step_tree.select_step(target)
        in_tree = sorted(self.hits, key=self.table.tree_position)
        position = in_tree.index(target) + 1
        self.notify(f"hit {position}/{len(self.hits)}: step-{target}", timeout=1.5, markup=False)
