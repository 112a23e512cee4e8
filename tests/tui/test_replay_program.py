"""``R`` in the TUI: code-level replay of the program the trace recorded, from the selected step.

A real run of a user's script is recorded against the local wire-protocol server; the TUI
re-runs that program with recorded answers before the fork, and the server's request log
proves only the fork step onwards was sent live.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentdbg.testing.llm_server import FakeLLMServer, reply
from agentdbg.tui.screens.fork import ForkScreen
from tests.replay.test_program import Agent

from .conftest import opened, wait_until

SAMPLES = Path(__file__).parents[2] / "sample_traces"


@pytest.fixture
def server():
    with FakeLLMServer(seed=3) as running:
        yield running


async def test_shift_r_reruns_the_recorded_program_from_the_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeLLMServer
) -> None:
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    for name in ("WEATHER_BASE_URL", "WEATHER_LOG", "WEATHER_TRACE", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, agent.env[name])
    monkeypatch.delenv("AGENTDBG_DISABLED", raising=False)
    server.enqueue(reply("Replayed: 18C in Paris."))
    async with opened(agent.trace, size=(80, 24)) as (pilot, _screen):
        await pilot.press("G", "R")  # the last llm step: the answer after the tool result
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForkScreen), timeout=60)
        await pilot.pause()
    fork, log = tmp_path / "run.fork.jsonl", tmp_path / "run.fork.log"
    assert fork.exists() and log.exists()
    assert len(server.requests) == 1  # steps before the fork were answered from the record
    assert agent.log.read_text() == "Paris\n"  # the tool before the fork returned its recorded result
    assert "Replayed: 18C in Paris." in fork.read_text()


async def test_shift_r_on_a_trace_without_a_recorded_program_says_what_to_do(tmp_path: Path) -> None:
    trace = tmp_path / "loop.jsonl"
    shutil.copy(SAMPLES / "03_tool_loop.jsonl", trace)
    async with opened(trace, size=(80, 24)) as (pilot, screen):
        await pilot.press("j", "R")
        await wait_until(
            pilot,
            lambda: any("does not record the program" in n.message for n in pilot.app._notifications),
            timeout=30,
        )
        assert not isinstance(pilot.app.screen, ForkScreen)
        message = next(n.message for n in pilot.app._notifications if "does not record" in n.message)
        assert "press r for the built-in replay" in message and "-- python agent.py" in message
