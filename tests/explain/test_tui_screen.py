"""The TUI explain screen (Pilot): the answer arrives from a worker, a key replays a fix, no key shows findings."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from agentdbg.testing.llm_server import FakeLLMServer
from agentdbg.tui.screens.explain import ExplainScreen

from .conftest import base_url
from .helpers import answer, json_reply, responder, system_fix, temperature_fix, write_loop


class Host(App[None]):
    """A bare app that opens the explain screen, as the debugger does on ``x``."""

    def __init__(self, screen: ExplainScreen) -> None:
        super().__init__()
        self.explain_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.explain_screen)


def body_text(screen: ExplainScreen) -> str:
    """What the body widget shows on screen (its rendered lines), as plain text."""
    static = screen.query_one("#explain-body", Static)
    strips = static.render_lines(Region(0, 0, static.size.width, static.size.height))
    return "\n".join(strip.text.rstrip() for strip in strips)


async def wait_for(pilot: Pilot[Any], condition: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


async def test_answer_then_replay_a_fix(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer(system_fix(), temperature_fix()))])
    screen = ExplainScreen(str(trace_path), base_url=base_url(server, "openai"), max_steps=4)

    async with Host(screen).run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await pilot.pause()
        shown = body_text(screen)
        assert "failure starts  step-3" in shown and "root cause" in shown
        assert "fix 1  [system-prompt] step-3" in shown and "fix 2  [parameter] step-1" in shown
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.checks.get(1) is not None)
        await pilot.pause()
        check = screen.checks[1]
        assert check.status == "finished" and check.verified and check.after == []
        line = body_text(screen)
        assert "fix 1: finished · findings 1 → 0 · answer changed" in line
        assert Path(check.fork_path).exists() and Path(check.fork_path).name == "run.fix-1.fork.jsonl"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ExplainScreen)


async def test_no_key_shows_the_variable_and_offline_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    screen = ExplainScreen(str(write_loop(tmp_path)), step="step-3")

    async with Host(screen).run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: screen.error is not None)
        await pilot.pause()
        shown = body_text(screen)
        assert "error: OPENAI_API_KEY is not set" in shown
        assert "offline diagnose findings" in shown and "search_docs called 3 times" in shown
        await pilot.press("1")  # nothing to replay: ignored
        assert screen.checks == {}


def test_snapshot_no_key(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen as drawn: key message and offline findings (no model needed, so the picture is stable)."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    write_loop(tmp_path)
    screen = ExplainScreen("run.jsonl")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: screen.error is not None)
        await pilot.pause()

    assert snap_compare(Host(screen), terminal_size=(120, 36), run_before=run_before)
