"""Trace text with escape sequences and markup renders as literal text in every pane, the tree and the header."""

from __future__ import annotations

import pytest

from agentdbg.tui.widgets.trace_header import TraceHeaderBar

from .conftest import HOSTILE, flat, opened, widget_text

RAW_CONTROLS = ("\x1b", "\x07", "\u202e", "\u202c", "\x9b")


def assert_literal(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, f"raw control {char!r} reached the screen"
    flattened = flat(text)
    # the escape shown as text (JSON panes show JSON's own escape), never executed
    assert "\\x1b[31mRED" in flattened or "\\u001b[31mRED" in flattened
    assert "[bold]not bold[/bold]" in flattened  # markup shown as typed, not applied
    assert "[link=http://evil.example]click[/link]" in flattened


@pytest.mark.parametrize(
    ("step", "pane"),
    [
        (1, "prompt"),
        (1, "response"),
        (1, "tool"),
        (1, "raw"),
        (2, "prompt"),
        (2, "response"),
        (2, "tool"),
        (2, "raw"),
        (2, "info"),
    ],
)
async def test_every_pane_shows_hostile_text_literally(step: int, pane: str) -> None:
    async with opened(HOSTILE, size=(200, 60), step=str(step)) as (pilot, screen):
        await pilot.press(str(("prompt", "response", "tool", "raw", "info").index(pane) + 1))
        await pilot.pause()
        assert screen.step_tree.current_step == step
        assert_literal(widget_text(screen.active_pane()))


async def test_info_pane_shows_hostile_model_and_name_literally() -> None:
    async with opened(HOSTILE, size=(200, 60)) as (pilot, screen):
        await pilot.press("5")
        await pilot.pause()
        text = flat(widget_text(screen.active_pane()))
        assert "[b]llm\\x1b[5m[/b]" in text
        assert "\x1b" not in text


async def test_tree_rows_and_header_show_hostile_names_literally() -> None:
    async with opened(HOSTILE, size=(200, 60)) as (pilot, screen):
        tree = screen.step_tree
        rows = [tree.row_text(screen.table.row(step), 120, selected=False).plain for step in (1, 2)]
        assert "[b]llm\\x1b[5m[/b]" in rows[0]
        assert "[red]tool[/red]" in rows[1]
        header = widget_text(screen.query_one(TraceHeaderBar))
        assert "[bold]hostile[/bold] \\x1b[2J" in header
        assert "\x1b" not in header and "\x1b" not in "".join(rows)
