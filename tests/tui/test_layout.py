"""Pilot tests of the 80-column layout (issue 18 point 2) and the wide one: tree columns, tabs, header, chart."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Tab

from agentdbg.tui.widgets.token_chart import TokenChart
from agentdbg.tui.widgets.trace_header import TraceHeaderBar

from .conftest import DATA, NESTED, flat, opened, widget_text

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
NESTED_SAMPLE = SAMPLES / "09_nested_subagents.jsonl"


def tree_lines(screen: object) -> list[str]:
    tree = screen.step_tree  # type: ignore[attr-defined]
    return [tree.render_line(y).text for y in range(min(len(tree.view_rows), tree.size.height))]


async def test_at_80_columns_every_row_keeps_its_step_number_and_name() -> None:
    async with opened(NESTED_SAMPLE, size=(80, 24)) as (pilot, screen):
        lines = tree_lines(screen)
        assert len(lines) == 14
        for line, step in zip(lines, screen.step_tree.view_rows.steps, strict=True):
            row = screen.table.row(step)
            assert f"step-{step} " in line  # never cut to "step-1…"
            assert row.name[:8] in line  # the name starts on every row
            assert "━" not in line and "→" not in line  # no waterfall, no token column
        assert "step-12 ⚙ publish_post" in flat("\n".join(lines))


async def test_at_160_columns_rows_show_tokens_and_the_waterfall() -> None:
    async with opened(NESTED_SAMPLE, size=(160, 45)) as (pilot, screen):
        lines = tree_lines(screen)
        step_4 = lines[screen.step_tree.view_rows.steps.index(4)]
        assert "92→9" in step_4 and "━" in step_4 and "159ms" in step_4


async def test_at_80_columns_every_tab_and_the_whole_stats_line_are_on_screen() -> None:
    async with opened(NESTED_SAMPLE, size=(80, 24)) as (pilot, screen):
        tabs = list(screen.panes.query(Tab))
        assert [tab.label.plain for tab in tabs] == [
            "1 Prompt",
            "2 Resp",
            "3 Tool",
            "4 Raw",
            "5 Info",
            "6 Find",
        ]
        assert all(tab.region.right <= 80 for tab in tabs)
        header = widget_text(screen.query_one(TraceHeaderBar))
        assert "14 steps" in header and "1 error(s)" in header and "0 incomplete" in header
        assert all(len(line) <= 80 for line in header.splitlines())
        chart = widget_text(screen.query_one(TokenChart)).splitlines()[0]
        assert "7 calls · peak 243 · last 51" in chart
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert [tab.label.plain for tab in screen.panes.query(Tab)][1] == "2 Response"


async def test_the_header_wraps_between_facts_never_inside_one() -> None:
    async with opened(DATA / "tool_loop_fork_as_written.jsonl", size=(80, 24)) as (pilot, screen):
        bar = screen.query_one(TraceHeaderBar)
        lines = widget_text(bar).splitlines()
        assert bar.size.height == len(lines) >= 3
        assert any(line.strip() == "fork of 03_tool_loop.jsonl at step-2" for line in lines)
        assert any(line.strip().startswith("2 steps · tokens 211 in / 8 out") for line in lines)
        await pilot.resize_terminal(200, 30)
        await pilot.pause()
        assert bar.size.height == 2  # the name line and the figures line


async def test_nested_fixture_at_80_columns_flags_errors_in_the_tree() -> None:
    async with opened(NESTED, size=(80, 24)) as (pilot, screen):
        await pilot.press("e")
        line = tree_lines(screen)[screen.step_tree.cursor]
        assert f"step-{screen.step_tree.current_step} " in line
