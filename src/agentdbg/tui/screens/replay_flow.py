"""Diagnose findings, editing a step's replay document, replaying it, and explaining a step.

A mixin of ``MainScreen``: the workers call the domain APIs (``agentdbg.analysis.diagnose``,
``agentdbg.replay.replay``) in threads and only post messages; the ``on_*`` handlers own state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from agentdbg.errors import AgentdbgError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.tui.index_source import IndexSource
from agentdbg.tui.steps import MemorySource, StepSource, StepTable
from agentdbg.tui.widgets.step_tree import StepTree

DIAGNOSE_MAX_STEPS = 20_000  # bigger traces (or ones read through the index): run `agentdbg diagnose`


class FindingsReady(Message):
    """The diagnose worker finished (``findings``) or could not run (``note``)."""

    def __init__(self, findings: list[Any] | None, note: str = "", trace: Trace | None = None) -> None:
        super().__init__()
        self.findings = findings
        self.note = note
        self.trace = trace


class ReplayDone(Message):
    """A replay finished (``result`` plus the fork's spans) or failed (``error``)."""

    def __init__(self, result: Any = None, fork: Trace | None = None, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.fork = fork
        self.error = error


def fork_output_path(source: str) -> Path:
    """``<trace>.fork.jsonl`` beside the trace, or ``.fork-2``, ``.fork-3``… if taken (never overwrite)."""
    path = Path(source)
    stem = path.name.removesuffix(".jsonl")
    candidate = path.with_name(f"{stem}.fork.jsonl")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.fork-{number}.jsonl")
        number += 1
    return candidate


def step_number(address: str | None) -> int | None:
    if not address:
        return None
    digits = address.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else None


class ReplayFlow(Screen[None]):
    """Keys ``p`` (edit document), ``r`` (replay), ``x`` (explain) and pane 6 (findings): the base of ``MainScreen``."""

    full_trace: Trace | None = None
    diagnosed = False
    findings: list[Any] | None = None
    path: str
    format: str | None
    table: StepTable
    source: StepSource
    edits: dict[int, tuple[Any, Any]]
    last_replay: Any

    @property
    def step_tree(self) -> StepTree:
        return self.query_one(StepTree)

    def span(self, step: int) -> Span:
        return self.source.span(step)

    def show_step(self, step: int, *, force: bool = False) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ findings

    @work(thread=True, exclusive=True, exit_on_error=False, group="diagnose")
    def run_diagnose(self) -> None:
        """Load the whole trace (small files) and run every detector on it."""
        if len(self.table) > DIAGNOSE_MAX_STEPS or isinstance(self.source, IndexSource):
            note = f"a big trace ({len(self.table):,} steps) is not diagnosed here: run `agentdbg diagnose {self.path}`"
            self.post_message(FindingsReady(None, note))
            return
        try:
            from agentdbg.analysis import diagnose
            from agentdbg.importers import open_trace

            trace = open_trace(self.path, format=self.format)
            findings = diagnose(trace)
        except AgentdbgError as error:
            self.post_message(FindingsReady(None, f"diagnose could not run: {error}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(FindingsReady(findings, trace=trace))

    def on_findings_ready(self, message: FindingsReady) -> None:
        from agentdbg.tui.widgets.findings_pane import FindingsPane

        self.findings = message.findings
        self.diagnosed = True
        if message.trace is not None:
            self.full_trace = message.trace
        pane = self.query_one(FindingsPane)
        pane.findings = message.findings
        pane.note = message.note or pane.note
        self.step_tree.flagged_by_findings = {f.step for f in message.findings or []}
        self.step_tree.refresh()
        step = self.step_tree.current_step
        if step is not None:
            self.show_step(step, force=True)

    def findings_on(self, step: int) -> list[tuple[str, str]]:
        return [(f.severity, f"{f.title}: {f.evidence}") for f in self.findings or [] if f.step == step]

    # ------------------------------------------------------------ document

    def _trace_for(self, span: Span) -> Trace:
        if self.full_trace is not None:
            return self.full_trace
        header = self.table.header
        from agentdbg.model.records import TraceHeader

        return Trace(header=header or TraceHeader(trace_id="unknown"), spans=[span], source=self.path)

    def action_edit_document(self) -> None:
        step = self.step_tree.current_step
        if step is None:
            return
        from agentdbg.replay import step_document
        from agentdbg.tui.screens.editor import DocumentEditor

        span = self.span(step)
        try:
            document = (
                self.edits[step][1] if step in self.edits else step_document(self._trace_for(span), span)
            )
        except AgentdbgError as error:
            self.notify(str(error), title="cannot edit this step", severity="error", markup=False)
            return
        original = self.edits[step][0] if step in self.edits else document
        editor = DocumentEditor(
            f"step-{step}", json.dumps(document, indent=2, ensure_ascii=False, default=str)
        )

        def done(text: str | None) -> None:
            if text is None:
                return
            self.edits[step] = (original, json.loads(text))
            self.notify(f"edit of step-{step} kept; press r to replay from it", markup=False)
            if editor.replay_requested:
                self.action_replay()

        self.app.push_screen(editor, done)

    # --------------------------------------------------------------- replay

    def action_replay(self) -> None:
        step = self.step_tree.current_step
        if step is None:
            return
        patch = None
        if step in self.edits:
            from agentdbg.replay import make_patch

            original, edited = self.edits[step]
            patch = make_patch(original, edited) or None
        self.notify(
            f"replaying from step-{step}{' with your edit' if patch else ' unchanged'}…",
            timeout=4,
            markup=False,
        )
        self.run_replay(step, patch, str(fork_output_path(self.path)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="replay")
    def run_replay(self, step: int, patch: Any, output: str) -> None:
        from agentdbg.importers import open_trace
        from agentdbg.replay import replay

        try:
            result = replay(self.full_trace or self.path, f"step-{step}", patch=patch, output=output)
            fork = open_trace(result.fork_path) if result.fork_path else None
        except AgentdbgError as error:
            self.post_message(ReplayDone(error=str(error)))
            return
        self.post_message(ReplayDone(result, fork))

    def on_replay_done(self, message: ReplayDone) -> None:
        if message.error is not None or message.fork is None:
            self.notify(
                message.error or "the replay wrote no fork",
                title="replay failed",
                severity="error",
                markup=False,
            )
            return
        from agentdbg.tui.screens.fork import ForkScreen, fork_table

        result, fork = message.result, message.fork
        summary = f"replay {result.status}: fork of {result.fork_step} → {result.fork_path}"
        if result.divergence_step:
            summary += f"\nfirst divergence at {result.divergence_step}: {result.divergence}"
        if result.error:
            summary += f"\nerror: {result.error}"
        original: tuple[StepTable, StepSource] = (self.table, self.source)
        fork_view: tuple[StepTable, MemorySource] = fork_table(fork.spans, fork.header, str(result.fork_path))
        self.last_replay = result
        self.app.push_screen(
            ForkScreen(original, fork_view, divergence=step_number(result.divergence_step), summary=summary)
        )

    # -------------------------------------------------------------- explain

    def action_explain(self) -> None:
        from agentdbg.tui.screens.explain import ExplainScreen

        step = self.step_tree.current_step
        self.app.push_screen(
            ExplainScreen(self.path, step=f"step-{step}" if step else None, format=self.format)
        )
