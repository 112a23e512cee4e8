"""Pilot tests: findings pane and tree marks, editing a step's document (p), replaying it (r) into the fork view."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from agentdbg.testing.llm_server import FakeLLMServer, reply
from agentdbg.tui.screens.editor import DocumentEditor
from agentdbg.tui.screens.fork import ForkScreen
from agentdbg.tui.widgets.findings_pane import FindingsPane
from agentdbg.tui.widgets.step_tree import StepTree

from .conftest import NESTED, OPENAI, flat, opened, wait_until, widget_text


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url + "/v1")
        yield running


async def test_findings_pane_lists_what_diagnose_flagged_and_marks_the_tree() -> None:
    async with opened(NESTED) as (pilot, screen):
        await wait_until(pilot, lambda: screen.findings is not None)
        flagged = screen.step_tree.flagged_by_findings
        assert {4, 5} <= flagged
        await pilot.press("e", "6")  # step-4: the tool that failed on bad JSON arguments
        await pilot.pause()
        text = flat(widget_text(screen.query_one(FindingsPane)))
        assert "on step-4" in text and "fix:" in text
        assert "!" in screen.step_tree.row_text(screen.table.row(4), 60, selected=False).plain


async def test_p_edits_the_document_and_r_replays_into_the_fork_view(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    trace = tmp_path / "run.jsonl"
    shutil.copy(OPENAI, trace)
    server.enqueue(reply("Bring an umbrella in Paris only."))
    async with opened(trace) as (pilot, screen):
        await pilot.press("G", "p")
        editor = pilot.app.screen
        assert isinstance(editor, DocumentEditor)
        area = editor.query_one(TextArea)
        document = json.loads(area.text)
        assert document["system"] == "You are a helpful weather assistant. Answer briefly."
        document["system"] = "Answer in one sentence."
        area.text = json.dumps(document)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForkScreen), timeout=30)
        await pilot.pause()  # let the fork view mount
        fork_screen = pilot.app.screen
        assert (tmp_path / "run.fork.jsonl").exists()
        sent = server.requests[0].json
        assert sent["messages"][0] == {"role": "system", "content": "Answer in one sentence."}
        fork_tree = fork_screen.query_one("#tree-fork", StepTree)
        original_tree = fork_screen.query_one("#tree-original", StepTree)
        assert fork_tree.highlight_step == 5 and original_tree.highlight_step == 5
        assert fork_tree.has_focus and fork_tree.current_step == 5
        await pilot.pause()
        assert "Bring an umbrella in Paris only." in flat(widget_text(fork_screen.query_one("#fork-panes")))
        await pilot.press("o")
        assert original_tree.has_focus
        assert "Tokyo: 21 °C" in flat(widget_text(fork_screen.query_one("#fork-panes")))
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_replay_without_a_key_says_which_variable_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "run.jsonl"
    shutil.copy(OPENAI, trace)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with opened(trace) as (pilot, screen):
        await pilot.press("j", "r")
        await wait_until(
            pilot, lambda: any("OPENAI_API_KEY" in n.message for n in pilot.app._notifications), timeout=20
        )
        assert not (tmp_path / "run.fork.jsonl").exists()


async def test_editor_refuses_invalid_json_and_escape_discards(tmp_path: Path) -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("j", "p")
        editor = pilot.app.screen
        assert isinstance(editor, DocumentEditor)
        editor.query_one(TextArea).text = "{not json"
        await pilot.press("ctrl+s")
        assert pilot.app.screen is editor
        assert "not valid JSON" in widget_text(editor.query_one("#editor-status"))
        await pilot.press("escape")
        assert pilot.app.screen is screen and screen.edits == {}


async def test_x_opens_the_explain_screen_for_the_selected_step(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentdbg.tui.screens.explain import ExplainScreen

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("j", "x")
        explain = pilot.app.screen
        assert isinstance(explain, ExplainScreen) and explain.step == "step-2"
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_p_on_an_agent_step_explains_why_it_cannot_be_edited() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("p")  # step-1 is the agent grouping step
        assert pilot.app.screen is screen
        messages = [n.message for n in pilot.app._notifications]
        assert any("step-1 is an agent step" in m for m in messages)
