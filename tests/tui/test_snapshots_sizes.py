"""Snapshot tests at 80x24 (laid out for 80 columns first) and 160x45 of every screen issue 18 changed.

Update with ``pytest tests/tui/test_snapshots_sizes.py --snapshot-update`` only after looking at
the pictures (render the SVGs to PNG and view them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agentdbg.tui.app import AgentdbgApp

from .conftest import DATA, OPENAI, wait_until
from .test_snapshots import SAMPLES, keys_after_load

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]
FORK_AS_WRITTEN = DATA / "tool_loop_fork_as_written.jsonl"


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_nested_agents(snap_compare: Any, size: tuple[int, int]) -> None:
    app = AgentdbgApp(str(SAMPLES / "09_nested_subagents.jsonl"))
    assert snap_compare(app, terminal_size=size, run_before=keys_after_load("j", "j"))


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_tool_calls_response(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(AgentdbgApp(str(OPENAI)), terminal_size=size, run_before=keys_after_load("j", "2"))


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_on_a_fork_file(snap_compare: Any, size: tuple[int, int]) -> None:
    """A fork as the writer wrote it: the header and rows show the fork's own status and time."""
    assert snap_compare(AgentdbgApp(str(FORK_AS_WRITTEN)), terminal_size=size, run_before=keys_after_load())


@pytest.mark.parametrize("size", SIZES)
def test_fork_view(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        from agentdbg.importers import open_trace
        from agentdbg.tui.screens.fork import ForkScreen, fork_table

        screen = pilot.app.screen
        await wait_until(
            pilot, lambda: getattr(screen, "loaded", False) and getattr(screen, "diagnosed", False)
        )
        pilot.app.clear_notifications()
        fork = open_trace(FORK_AS_WRITTEN)
        view = fork_table(fork.spans, fork.header, FORK_AS_WRITTEN.name)
        summary = (
            f"replay finished: fork of step-2 → traces/{FORK_AS_WRITTEN.name} "
            "(sample_traces/ ships with agentdbg, so the fork goes to ./traces)\n"
            "first divergence at step-2: the answer changed"
        )
        await pilot.app.push_screen(
            ForkScreen((screen.table, screen.source), view, divergence=2, summary=summary)
        )
        await pilot.pause()

    app = AgentdbgApp(str(SAMPLES / "03_tool_loop.jsonl"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_document_editor_below_the_header(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(AgentdbgApp(str(OPENAI)), terminal_size=size, run_before=keys_after_load("G", "p"))


@pytest.mark.parametrize("size", SIZES)
def test_explain_without_a_key(
    snap_compare: Any, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    async def run_before(pilot: Pilot[Any]) -> None:
        await keys_after_load("e", "x")(pilot)
        explain = pilot.app.screen
        await wait_until(pilot, lambda: getattr(explain, "error", None) is not None)
        await pilot.pause()

    trace = Path(SAMPLES / "03_tool_loop.jsonl")
    assert snap_compare(AgentdbgApp(str(trace)), terminal_size=size, run_before=run_before)
