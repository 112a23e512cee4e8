"""Snapshot tests at 120x36: the main screen on fixture and sample traces, the help and problems screens.

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` only after looking at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from agentdbg.tui.app import AgentdbgApp

from .conftest import ANTHROPIC, HOSTILE, NESTED, OPENAI, wait_until

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
SIZE = (120, 36)


def keys_after_load(*keys: str) -> Any:
    """A ``run_before`` that waits for the trace to load, presses ``keys``, and lets toasts settle.

    A text area loses focus first: its blinking cursor made pictures differ run to run.
    """

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        await wait_until(
            pilot, lambda: getattr(screen, "loaded", False) and getattr(screen, "diagnosed", False)
        )
        pilot.app.clear_notifications()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()  # each key's screen settled before the next (a modal keeps what is under it)
        if pilot.app.screen.query(TextArea):
            pilot.app.screen.set_focus(None)  # no blinking text cursor in the picture
        await pilot.pause()
        pilot.app.clear_notifications()

    return run_before


def test_main_screen_openai_tool_calls(snap_compare: Any) -> None:
    assert snap_compare(AgentdbgApp(str(OPENAI)), terminal_size=SIZE, run_before=keys_after_load("j"))


def test_main_screen_anthropic_response_with_thinking(snap_compare: Any) -> None:
    assert snap_compare(AgentdbgApp(str(ANTHROPIC)), terminal_size=SIZE, run_before=keys_after_load("2"))


def test_main_screen_nested_agents_on_an_error(snap_compare: Any) -> None:
    assert snap_compare(
        AgentdbgApp(str(NESTED)), terminal_size=SIZE, run_before=keys_after_load("e", "e", "5")
    )


def test_main_screen_hostile_text(snap_compare: Any) -> None:
    assert snap_compare(AgentdbgApp(str(HOSTILE)), terminal_size=SIZE, run_before=keys_after_load("j", "3"))


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(
        AgentdbgApp(str(OPENAI)), terminal_size=SIZE, run_before=keys_after_load("question_mark")
    )


def test_problems_screen(snap_compare: Any) -> None:
    assert snap_compare(
        AgentdbgApp(str(NESTED)), terminal_size=SIZE, run_before=keys_after_load("exclamation_mark")
    )


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("01_healthy_openai.jsonl", ("j",)),
        ("02_anthropic_research.jsonl", ("j", "2")),
        ("06_context_overflow.jsonl", ("G",)),
        ("08_crashed_run.jsonl", ("e",)),
        ("09_nested_subagents.jsonl", ("j", "j", "5")),
    ],
)
def test_main_screen_sample_traces(snap_compare: Any, name: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(
        AgentdbgApp(str(SAMPLES / name)), terminal_size=SIZE, run_before=keys_after_load(*keys)
    )


FORK = Path(__file__).parent / "data" / "openai_tools_fork.jsonl"


def test_fork_screen(snap_compare: Any) -> None:
    """The fork view as ``r`` opens it, built from a recorded fork fixture (no model call)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        from agentdbg.importers import open_trace
        from agentdbg.tui.screens.fork import ForkScreen, fork_table

        screen = pilot.app.screen
        await wait_until(
            pilot, lambda: getattr(screen, "loaded", False) and getattr(screen, "diagnosed", False)
        )
        pilot.app.clear_notifications()
        fork = open_trace(FORK)
        view = fork_table(fork.spans, fork.header, FORK.name)
        summary = "replay finished: fork of step-5 → openai_tools_fork.jsonl\nfirst divergence at step-5: the answer changed"
        await pilot.app.push_screen(
            ForkScreen((screen.table, screen.source), view, divergence=5, summary=summary)
        )
        await pilot.pause()

    assert snap_compare(AgentdbgApp(str(OPENAI)), terminal_size=SIZE, run_before=run_before)


def test_document_editor(snap_compare: Any) -> None:
    assert snap_compare(AgentdbgApp(str(OPENAI)), terminal_size=SIZE, run_before=keys_after_load("G", "p"))
