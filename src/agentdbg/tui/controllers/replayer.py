"""Editing a step's replay document (``p``) and replaying from a step (``r``, or ``R``: the program) in a worker.

``r`` runs the built-in tool loop; ``R`` re-runs the program the trace recorded (code-level replay:
recorded answers up to the fork, live after it), its output going to ``<fork>.log``, never the screen.

It keeps the user's edits (step -> original and edited document) and posts ``Replayed`` with
the fork (or the error), which it answers itself: the fork view opens beside the original the screen
handed down, or the error is shown. Forks go where ``fork_location`` says.
"""

from __future__ import annotations

import json
from typing import Any

from textual import on, work
from textual.message import Message

from agentdbg.errors import AgentdbgError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.tui.controllers.base import Controller


class Replayer(Controller):
    """``edit(step, …)`` opens the editor; ``replay(step, …)`` runs the replay and posts ``Replayed``."""

    class Replayed(Message):
        """A replay finished (``result`` and the fork read back) or failed (``error``)."""

        def __init__(
            self, step: int, result: Any = None, fork: Trace | None = None, error: str | None = None
        ) -> None:
            super().__init__()
            self.step = step
            self.result = result
            self.fork = fork
            self.error = error

    class ReplayRequested(Message):
        """The editor closed with ctrl+r: replay from ``step`` with the kept edit."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self) -> None:
        super().__init__()
        self.edits: dict[int, tuple[Any, Any]] = {}  # step -> (original document, edited document)
        self.location_note = ""  # why the last fork is not beside the trace
        self.original: Any = None  # (table, source) of the trace being replayed: the fork view's left side

    def edit(self, step: int, span: Span, trace: Trace, *, top: int = 0) -> None:
        """Open the JSON editor on ``step``'s document (the kept edit if there is one)."""
        from agentdbg.replay import step_document
        from agentdbg.tui.screens.editor import DocumentEditor

        try:
            document = self.edits[step][1] if step in self.edits else step_document(trace, span)
        except AgentdbgError as error:
            self.notify(str(error), title="cannot edit this step", severity="error", markup=False)
            return
        original = self.edits[step][0] if step in self.edits else document
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        editor = DocumentEditor(f"step-{step}", text, top=top)

        def done(kept: str | None) -> None:
            if kept is None:
                return
            self.edits[step] = (original, json.loads(kept))
            self.notify(f"edit of step-{step} kept; press r to replay from it", markup=False)
            if editor.replay_requested:
                self.post_message(self.ReplayRequested(step))

        self.app.push_screen(editor, done)

    def replay(
        self, step: int, path: str, trace: Trace | None, original: Any, *, program: bool = False
    ) -> None:
        """Replay from ``step`` (with the kept edit as a patch) into a new fork file; ``program``: code-level.
        ``original`` is the screen's (table, source), shown beside the fork."""
        from agentdbg.tui.fork_location import fork_location, shown

        self.original = original

        patch = None
        if step in self.edits:
            from agentdbg.replay import make_patch

            original, edited = self.edits[step]
            patch = make_patch(original, edited) or None
        try:
            location = fork_location(path)
        except OSError as exc:
            self.notify(
                f"no folder to write the fork to: {exc}", title="replay", severity="error", markup=False
            )
            return
        self.location_note = location.note
        how = "re-running the recorded program" if program else "replaying"
        message = (
            f"{how} from step-{step}{' with your edit' if patch else ' unchanged'} → {shown(location.path)}"
        )
        if location.note:
            message += f"\n({location.note})"
        self.notify(message, timeout=6, markup=False)
        run = self._run_program if program else self._run
        run(step, trace if trace is not None else path, patch, str(location.path))

    @work(thread=True, exclusive=True, exit_on_error=False, group="replay")
    def _run(self, step: int, trace: Trace | str, patch: Any, output: str) -> None:
        from agentdbg.importers import open_trace
        from agentdbg.replay import replay

        try:
            result = replay(trace, f"step-{step}", patch=patch, output=output)
            fork = open_trace(result.fork_path) if result.fork_path else None
        except AgentdbgError as error:
            self.post_message(self.Replayed(step, error=str(error)))
            return
        self.post_message(self.Replayed(step, result, fork))

    @work(thread=True, exclusive=True, exit_on_error=False, group="replay")
    def _run_program(self, step: int, trace: Trace | str, patch: Any, output: str) -> None:
        import subprocess
        from pathlib import Path

        from agentdbg.importers import open_trace
        from agentdbg.replay import load_source
        from agentdbg.replay.codelevel import recorded_command, replay_program

        log = Path(output).with_suffix(".log")
        try:
            source = load_source(trace)
            recorded = recorded_command(source)
            if recorded is None:
                raise AgentdbgError(
                    "this trace does not record the program that made it; press r for the built-in replay, "
                    "or run: agentdbg replay TRACE --from STEP -- python agent.py"
                )
            command, cwd = recorded
            with log.open("wb") as out:
                result = replay_program(
                    source,
                    f"step-{step}",
                    command,
                    patch=patch,
                    output=output,
                    force=True,
                    cwd=cwd,
                    stdout=out.fileno(),
                    stderr=out.fileno(),
                    stdin=subprocess.DEVNULL,
                )
            if not Path(output).exists():
                raise AgentdbgError(f"the program wrote no fork (exit {result.exit_code}); its output: {log}")
            fork = open_trace(output)
        except AgentdbgError as error:
            self.post_message(self.Replayed(step, error=str(error)))
            return
        self.post_message(self.Replayed(step, result, fork))

    @on(Replayed)
    def replayed(self, message: Replayed) -> None:
        from agentdbg.tui.screens.fork import ForkScreen

        if message.error is not None or message.fork is None:
            self.notify(
                message.error or "the replay wrote no fork",
                title="replay failed",
                severity="error",
                markup=False,
            )
            return
        self.app.push_screen(
            ForkScreen.of_replay(self.original, message.result, message.fork, self.location_note)
        )
