"""Pilot tests of issue 18 point 7: the fork view's panes and figures, forks' own timeline, where r writes,
the x popup's keys and hints, and the p editor (End on a wrapped line, the header left visible)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static, TextArea

from agentdbg.errors import AgentdbgError
from agentdbg.explain.errors import InvalidAnswerError
from agentdbg.importers import open_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply
from agentdbg.tui.fork_view import fork_rows
from agentdbg.tui.screens.editor import DocumentEditor
from agentdbg.tui.screens.explain import ExplainScreen, keys_line, tui_hint
from agentdbg.tui.screens.fork import ForkScreen, fork_table
from agentdbg.tui.steps import StepTable
from agentdbg.tui.widgets.step_panes import StepPanes
from agentdbg.tui.widgets.trace_header import TraceHeaderBar, column_figures

from .conftest import DATA, OPENAI, flat, opened, wait_until, widget_text

AS_WRITTEN = DATA / "tool_loop_fork_as_written.jsonl"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url + "/v1")
        yield running


def test_a_fork_as_written_gets_its_own_status_duration_and_timeline() -> None:
    fork = open_trace(AS_WRITTEN)
    agent, llm = fork.spans
    assert agent.status == "error" and llm.started_at - agent.ended_at > 3600  # as the writer left it
    table = StepTable()
    table.replace_rows(fork_rows(fork.spans))
    assert [row.status for row in table.rows] == ["ok", "ok"]
    assert table.duration is not None and table.duration < 1.0  # not the hours since the original
    assert table.rows[1].started_at == agent.started_at  # the fork step follows the copied history
    assert table.rows[0].ended_at == table.rows[1].ended_at
    assert "0 error(s)" in column_figures(table).plain


def test_a_consistent_fork_is_left_as_it_is() -> None:
    fork = open_trace(DATA / "openai_tools_fork.jsonl")
    table = StepTable()
    table.replace_rows(fork_rows(fork.spans))
    assert [(row.started_at, row.ended_at, row.status) for row in table.rows] == [
        (span.started_at, span.ended_at, span.status) for span in fork.spans
    ]


async def test_the_fork_view_labels_its_panes_and_switches_them_with_number_keys() -> None:
    async with opened(SAMPLES / "03_tool_loop.jsonl", size=(80, 24)) as (pilot, screen):
        fork = open_trace(AS_WRITTEN)
        view = fork_table(fork.spans, fork.header, AS_WRITTEN.name)
        await pilot.app.push_screen(
            ForkScreen((screen.table, screen.source), view, divergence=2, summary="s")
        )
        await pilot.pause()
        fork_screen = pilot.app.screen
        label = str(fork_screen.query_one("#fork-pane-label", Static).render())
        assert "step-2 of the fork" in label and "first divergence" in label
        panes = fork_screen.query_one(StepPanes)
        assert panes.active == "response"
        assert "It is sunny; no umbrella needed." in flat(widget_text(panes))
        await pilot.press("2")
        assert panes.active == "prompt"
        await pilot.press("o")
        assert "step-2 of the original" in str(fork_screen.query_one("#fork-pane-label", Static).render())
        figures = [widget_text(w) for w in fork_screen.query(".fork-figures")]
        assert figures[0].strip().startswith("13 steps · 299ms · 1 error(s)")
        assert figures[1].strip().startswith("2 steps · 145ms · 0 error(s)")


async def test_r_on_a_shipped_sample_writes_the_fork_to_traces_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeLLMServer
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGENTDBG_DIR", raising=False)
    server.enqueue(reply("Restart the VPN service."))
    sample = SAMPLES / "03_tool_loop.jsonl"
    async with opened(sample, size=(80, 24)) as (pilot, screen):
        await pilot.press("j", "r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForkScreen), timeout=30)
        await pilot.pause()
        written = Path("traces") / "03_tool_loop.fork.jsonl"  # shown relative to the working directory
        assert (tmp_path / written).exists()
        assert not list(SAMPLES.glob("*.fork*.jsonl"))
        messages = [n.message for n in pilot.app._notifications]
        assert any(
            str(written) in m and "ships with agentdbg, so the fork goes to ./traces" in m for m in messages
        )
        summary = flat(widget_text(pilot.app.screen.query_one("#fork-summary")))
        assert str(written) in summary and "./traces" in summary


async def test_r_on_the_users_own_trace_writes_beside_it(tmp_path: Path, server: FakeLLMServer) -> None:
    trace = tmp_path / "mine.jsonl"
    shutil.copy(OPENAI, trace)
    server.enqueue(reply("Umbrella for Paris."))
    async with opened(trace) as (pilot, screen):
        await pilot.press("G", "r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForkScreen), timeout=30)
        await pilot.pause()  # let the fork view mount before the app closes
        assert (tmp_path / "mine.fork.jsonl").exists()
        messages = [n.message for n in pilot.app._notifications]
        assert any(m.endswith(f"→ {tmp_path / 'mine.fork.jsonl'}") for m in messages)  # outside the cwd


def test_explain_keys_and_hints_fit_the_tui() -> None:
    assert keys_line(0).plain == "esc to close"
    assert keys_line(1).plain == "1 replay the fix · esc to close"
    assert keys_line(3).plain == "1-3 replay a fix · esc to close"
    invalid = InvalidAnswerError(
        "the answer did not validate",
        hint="try another --model; `agentdbg diagnose` gives the offline findings",
        errors=[],
        raw=[],
    )
    hint = tui_hint(invalid, "runs/a b.jsonl")
    assert "try another --model" not in hint
    assert "`agentdbg explain 'runs/a b.jsonl' --model NAME` in a shell" in hint
    assert tui_hint(AgentdbgError("x", hint="plain advice"), "t.jsonl") == "plain advice"


async def test_x_without_fixes_offers_no_fix_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with opened(SAMPLES / "03_tool_loop.jsonl", size=(80, 24)) as (pilot, screen):
        await pilot.press("x")
        explain = pilot.app.screen
        assert isinstance(explain, ExplainScreen)
        await wait_until(pilot, lambda: explain.error is not None)
        await pilot.pause()
        text = flat(widget_text(explain))
        assert "export OPENAI_API_KEY=..." in text and "--provider" not in text and "--model" not in text
        assert widget_text(explain.query_one("#explain-keys")).strip() == "esc to close"
        assert explain.check_action("replay_fix", (1,)) is False
        await pilot.press("1")  # does nothing
        assert explain.checks == {}


async def test_end_goes_to_the_real_end_of_a_soft_wrapped_line_and_the_header_stays_visible() -> None:
    async with opened(OPENAI, size=(80, 24)) as (pilot, screen):
        await pilot.press("G", "p")
        editor = pilot.app.screen
        assert isinstance(editor, DocumentEditor)
        await pilot.pause()
        area: Any = editor.query_one(TextArea)
        row = max(range(area.document.line_count), key=lambda i: len(area.document.get_line(i)))
        line = area.document.get_line(row)
        assert len(line) > area.content_region.width  # soft-wrapped on screen
        area.move_cursor((row, 0))
        await pilot.press("end")
        assert area.cursor_location == (row, len(line))
        await pilot.press("shift+home", "shift+end")
        assert area.cursor_location == (row, len(line))
        header = screen.query_one(TraceHeaderBar)
        assert editor.query_one("#editor-box").region.y >= header.region.bottom
