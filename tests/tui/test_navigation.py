"""Pilot tests: moving through steps, folding, panes, errors, help, copy, opening at a step."""

from __future__ import annotations

import json

from textual.widgets import TabbedContent

from agentdbg.tui.screens.help import HelpScreen
from agentdbg.tui.widgets.panes import InfoPane, PromptPane, ResponsePane, ToolPane

from .conftest import ANTHROPIC, NESTED, OPENAI, flat, opened, wait_until, widget_text


async def test_arrows_jk_and_g_G_move_the_cursor() -> None:
    async with opened(OPENAI) as (pilot, screen):
        tree = screen.step_tree
        assert tree.current_step == 1
        await pilot.press("j", "j")
        assert tree.current_step == 3
        await pilot.press("down")
        assert tree.current_step == 4
        await pilot.press("k", "up")
        assert tree.current_step == 2
        await pilot.press("G")
        assert tree.current_step == 5
        await pilot.press("g")
        assert tree.current_step == 1
        await pilot.press("k")  # stays on the first row
        assert tree.current_step == 1


async def test_enter_and_space_fold_nested_agents() -> None:
    async with opened(NESTED) as (pilot, screen):
        tree = screen.step_tree
        assert tree.view_rows.steps == [1, 2, 3, 4, 5, 6, 7, 8]
        await pilot.press("j")  # step-2: researcher agent with three children
        await pilot.press("enter")
        assert tree.view_rows.steps == [1, 2, 6, 7, 8]
        await pilot.press("j")
        assert tree.current_step == 6
        await pilot.press("space")
        assert tree.view_rows.steps == [1, 2, 6]
        await pilot.press("g", "enter")  # fold the root: one row
        assert tree.view_rows.steps == [1]
        await pilot.press("enter")  # unfold the root: children keep their own folds
        assert tree.view_rows.steps == [1, 2, 6]
        await pilot.press("j", "right")
        assert tree.view_rows.steps == [1, 2, 3, 4, 5, 6]
        await pilot.press("left")
        assert tree.view_rows.steps == [1, 2, 6]
        row = tree.row_text(screen.table.row(2), 60, selected=False).plain
        assert row.lstrip().startswith("▸")


async def test_number_keys_switch_panes_and_render_the_step() -> None:
    async with opened(OPENAI) as (pilot, screen):
        tabs = screen.query_one(TabbedContent)
        await pilot.press("j")  # step-2, the first llm call
        prompt = flat(widget_text(screen.query_one(PromptPane)))
        assert "You are a helpful weather assistant" in prompt
        assert "context" in prompt and "112 / 128,000" in prompt
        await pilot.press("2")
        assert tabs.active == "response"
        await pilot.pause()
        response = flat(widget_text(screen.query_one(ResponsePane)))
        assert "tool call get_weather" in response and '"city": "Tokyo"' in response
        await pilot.press("3")
        assert tabs.active == "tool"
        await pilot.pause()
        assert "2 tool call(s) requested" in flat(widget_text(screen.query_one(ToolPane)))
        await pilot.press("j", "j")  # step-4: the Tokyo tool call
        tool = flat(widget_text(screen.query_one(ToolPane)))
        assert "tool get_weather call call_t1" in tool and '"sky": "clear"' in tool
        await pilot.press("5")
        await pilot.pause()
        await pilot.press("j")  # step-5: final llm call with cached tokens
        info = flat(widget_text(screen.query_one(InfoPane)))
        assert "cached in 128" in info
        assert "time to first token 380ms" in info
        assert "cost $" in info and "request id req_9b11" in info
        await pilot.press("4")
        await pilot.pause()
        raw = flat(widget_text(screen.active_pane()))
        assert '"id": "s4"' in raw and '"type": "span"' in raw


async def test_reasoning_is_set_apart_and_foldable() -> None:
    async with opened(ANTHROPIC) as (pilot, screen):
        await pilot.press("2")
        await pilot.pause()
        response = screen.query_one(ResponsePane)
        text = flat(widget_text(response))
        assert "reasoning 1" in text and "week 3 is 420" in text
        assert "Let me check the release calendar." in text
        from textual.widgets import Collapsible

        block = response.query_one(Collapsible)
        assert not block.collapsed
        block.collapsed = True
        await pilot.pause()
        assert "week 3 is 420" not in flat(widget_text(response))
        await pilot.press("1")
        await pilot.pause()
        prompt = flat(widget_text(screen.query_one(PromptPane)))
        assert "[image image/png, 609 bytes]" in prompt  # a placeholder, not base64
        assert "iVBOR" not in prompt


async def test_e_and_E_jump_between_failed_and_incomplete_steps() -> None:
    async with opened(NESTED) as (pilot, screen):
        tree = screen.step_tree
        await pilot.press("e")
        assert tree.current_step == 4
        await pilot.press("e")
        assert tree.current_step == 5
        await pilot.press("e")
        assert tree.current_step == 8  # incomplete
        await pilot.press("e")
        assert tree.current_step == 4  # wraps
        await pilot.press("E")
        assert tree.current_step == 8


async def test_e_unfolds_a_collapsed_parent_to_reach_the_error() -> None:
    async with opened(NESTED) as (pilot, screen):
        await pilot.press("enter")  # fold the root
        assert screen.step_tree.view_rows.steps == [1]
        await pilot.press("e")
        assert screen.step_tree.current_step == 4
        assert 4 in screen.step_tree.view_rows.steps


async def test_help_screen_lists_every_key_and_closes() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        text = flat(widget_text(pilot.app.screen.query_one("#help-keys")))
        for key in ("k j", "enter space", "/", "n N", "e E", "y", "!", "q"):
            assert key in text
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_open_at_step_n() -> None:
    async with opened(NESTED, step="7") as (pilot, screen):
        assert screen.step_tree.current_step == 7
        assert "Write the note from" in flat(widget_text(screen.query_one(PromptPane)))
    async with opened(NESTED, step="step-5") as (pilot, screen):
        assert screen.step_tree.current_step == 5


async def test_open_at_a_step_that_does_not_exist_says_so() -> None:
    async with opened(OPENAI, step="step-99") as (pilot, screen):
        messages = [n.message for n in pilot.app._notifications]
        assert any("no step 'step-99'" in m and "step-1 … step-5" in m for m in messages)
        assert screen.step_tree.current_step == 1


async def test_y_copies_the_step_as_json() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("j", "y")
        copied = json.loads(pilot.app.clipboard)
        assert copied["id"] == "s1" and copied["kind"] == "llm"
        assert copied["input"]["request"]["model"] == "gpt-4o-mini"


async def test_Y_copies_the_step_and_its_subtree_as_markdown() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("j", "Y")  # step-2, a leaf
        copied = pilot.app.clipboard
        assert copied.startswith("### step-2 · llm · chat gpt-4o-mini")
        assert "**user**\nWhat's the weather in Paris and in Tokyo?" in copied and "### step-3" not in copied
        await pilot.press("g", "Y")  # step-1, the agent step, and the four steps under it
        copied = pilot.app.clipboard
        headings = [line for line in copied.splitlines() if line.startswith("### ")]
        assert [h.split(" · ")[0] for h in headings] == [f"### step-{n}" for n in range(1, 6)]
        assert "Paris: 14 °C and rain, so take an umbrella." in copied  # step-5, the final answer
        messages = [n.message for n in pilot.app._notifications]
        assert any(m.startswith("copied step-1 and 4 step(s) under it as Markdown") for m in messages)


async def test_q_quits() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("q")
        await wait_until(pilot, lambda: pilot.app._exit or not pilot.app.is_running)
