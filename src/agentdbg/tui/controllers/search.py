"""Searches every step's text in a thread worker and posts the hits; a new search replaces a running one.

It also keeps the current term and hits (set by the screen when the hits arrive) and finds the next hit
in tree order for ``n``/``N``."""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from agentdbg.tui.controllers.base import Controller
from agentdbg.tui.search import search_file, search_steps
from agentdbg.tui.steps import MemorySource, StepSource, StepTable


class StepSearch(Controller):
    """``search(term, …)`` posts ``Done`` with the step numbers whose text holds the term."""

    class Done(Message):
        def __init__(self, term: str, hits: list[int]) -> None:
            super().__init__()
            self.term = term
            self.hits = hits

    def __init__(self) -> None:
        super().__init__()
        self.term: str | None = None
        self.hits: list[int] = []

    def next_hit(
        self, table: StepTable, current: int, direction: int, from_current: bool = False
    ) -> tuple[int, int] | None:
        """The hit after (``direction`` 1) or before (-1) ``current`` in tree order, and its 1-based
        position among the hits; ``current`` itself when ``from_current`` and it is a hit."""
        if not self.hits:
            return None
        if from_current and current in self.hits:
            target: int | None = current
        else:
            target = table.next_in_tree(current, self.hits, forward=direction > 0)
        if target is None:
            return None
        in_tree = sorted(self.hits, key=table.tree_position)
        return target, in_tree.index(target) + 1

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def search(
        self, term: str, source: StepSource, path: str, step_of_id: dict[str, int], count: int
    ) -> None:
        worker = get_current_worker()
        if isinstance(source, MemorySource):  # whole spans in memory: exact, requests rebuilt
            hits = search_steps(source, count, term, worker)
        else:  # big indexed file: raw bytes, fast even for 100k steps (text of compact requests counts once)
            hits = search_file(path, term, step_of_id, worker)
        self.post_message(self.Done(term, hits))
