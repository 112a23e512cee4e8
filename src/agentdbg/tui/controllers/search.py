"""Searches every step's text in a thread worker and posts the hits; a new search replaces a running one."""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from agentdbg.tui.controllers.base import Controller
from agentdbg.tui.search import search_file, search_steps
from agentdbg.tui.steps import MemorySource, StepSource


class StepSearch(Controller):
    """``search(term, …)`` posts ``Done`` with the step numbers whose text holds the term."""

    class Done(Message):
        def __init__(self, term: str, hits: list[int]) -> None:
            super().__init__()
            self.term = term
            self.hits = hits

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
