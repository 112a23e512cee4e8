"""Pilot tests: search with n/N, broken files with their problems screen, --follow, the big-file index path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.errors import TraceReadError
from agentdbg.tui import run_tui
from agentdbg.tui.app import AgentdbgApp
from agentdbg.tui.screens.main import MainScreen
from agentdbg.tui.screens.problems import ProblemsScreen
from agentdbg.tui.widgets.panes import PromptPane

from .conftest import NESTED, OPENAI, flat, opened, wait_until, widget_text


async def test_slash_searches_every_step_and_n_N_move_between_hits() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("slash")
        await pilot.press(*"TOKYO", "enter")
        await wait_until(pilot, lambda: screen.hits)
        assert screen.hits == [1, 2, 4, 5]  # the question, the tool call, the tool step, the answer
        assert screen.step_tree.current_step == 1  # the cursor's step is a hit: stay
        await pilot.press("n")
        assert screen.step_tree.current_step == 2
        await pilot.press("n")
        assert screen.step_tree.current_step == 4
        await pilot.press("n", "n")
        assert screen.step_tree.current_step == 1  # wraps
        await pilot.press("N")
        assert screen.step_tree.current_step == 5
        assert "•" in screen.step_tree.row_text(screen.table.row(4), 60, selected=False).plain
        await pilot.press("1")
        prompt = screen.query_one(PromptPane)
        await pilot.pause()
        assert "Tokyo" in flat(widget_text(prompt))


async def test_search_with_no_hit_says_so() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("slash", *"zanzibar", "enter")
        await wait_until(
            pilot, lambda: any("no step contains" in n.message for n in pilot.app._notifications)
        )
        assert screen.hits == []


async def test_escape_closes_the_search_box() -> None:
    async with opened(OPENAI) as (pilot, screen):
        await pilot.press("slash")
        assert screen.query_one("#search").display
        await pilot.press("escape")
        assert not screen.query_one("#search").display
        assert screen.step_tree.has_focus


async def test_a_broken_file_opens_with_a_notification_and_a_problems_screen() -> None:
    async with opened(NESTED) as (pilot, screen):
        assert len(screen.table) == 8
        messages = [n.message for n in pilot.app._notifications]
        assert any("2 line(s) of the file were skipped" in m and "press !" in m for m in messages)
        await pilot.press("exclamation_mark")
        assert isinstance(pilot.app.screen, ProblemsScreen)
        text = flat(widget_text(pilot.app.screen.query_one("#problems-list")))
        assert "line 6 error not valid JSON" in text
        assert "line 11 warning truncated last line" in text
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_a_file_of_garbage_says_it_is_not_a_trace(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b"{not json\n[1, 2]\n")
    app = AgentdbgApp(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: any(n.title == "cannot open trace" for n in app._notifications))
        screen = app.screen
        assert isinstance(screen, MainScreen) and len(screen.table) == 0
        (note,) = [n for n in app._notifications if n.title == "cannot open trace"]
        assert str(path) in note.message and "not a trace" in note.message


def test_run_tui_refuses_missing_files_and_directories(tmp_path: Path) -> None:
    with pytest.raises(TraceReadError, match="no such file"):
        run_tui(str(tmp_path / "missing.jsonl"))
    with pytest.raises(TraceReadError, match="is a directory"):
        run_tui(str(tmp_path))


def _line(record: dict[str, object]) -> str:
    return json.dumps(record) + "\n"


async def test_follow_shows_new_steps_and_completes_incomplete_ones(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    header = {
        "type": "trace",
        "schema_version": 1,
        "trace_id": "live",
        "name": "live-run",
        "started_at": 100.0,
    }
    start = {"type": "span_start", "id": "a", "kind": "agent", "name": "agent", "started_at": 100.0}
    path.write_text(_line(header) + _line(start))
    async with opened(path, follow=True) as (pilot, screen):
        assert screen.table.row(1).status == "incomplete"
        child = {
            "type": "span_start",
            "id": "b",
            "parent_id": "a",
            "kind": "tool",
            "name": "lookup",
            "started_at": 101.0,
        }
        with open(path, "a") as handle:
            handle.write(_line(child))
            handle.write('{"type": "span_end", "id": "b", "ended_at": 102.0, "out')  # still being written
        await wait_until(pilot, lambda: len(screen.table) == 2)
        assert screen.step_tree.view_rows.steps == [1, 2]
        assert screen.table.row(2).status == "incomplete"
        with open(path, "a") as handle:
            handle.write('put": "found"}\n')
            handle.write(_line({"type": "span_end", "id": "a", "ended_at": 103.0, "output": "done"}))
        await wait_until(
            pilot, lambda: screen.table.row(1).status == "ok" and screen.table.row(2).status == "ok"
        )
        assert screen.table.problems == []
        assert screen.source.span(2).output == "found"
        assert screen.table.counts() == {"errors": 0, "incomplete": 0}
        # findings follow the run: the incomplete-step finding goes once the ends arrive and all is quiet
        await wait_until(pilot, lambda: screen.findings == [] and not screen.step_tree.flagged_by_findings)


async def test_follow_keeps_the_view_unless_at_the_bottom(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    header = {"type": "trace", "schema_version": 1, "trace_id": "live", "name": "live-run", "started_at": 0.0}
    spans = [
        {"type": "span", "id": f"s{i}", "kind": "tool", "name": f"t{i}", "started_at": i, "ended_at": i + 0.5}
        for i in range(3)
    ]
    path.write_text(_line(header) + "".join(_line(s) for s in spans))
    async with opened(path, follow=True) as (pilot, screen):
        await pilot.press("G")
        assert screen.step_tree.current_step == 3
        with open(path, "a") as handle:
            handle.write(
                _line(
                    {
                        "type": "span",
                        "id": "s3",
                        "kind": "tool",
                        "name": "t3",
                        "started_at": 3.0,
                        "ended_at": 3.5,
                    }
                )
            )
        await wait_until(pilot, lambda: len(screen.table) == 4)
        await wait_until(pilot, lambda: screen.step_tree.current_step == 4)  # was at the bottom: follows
        await pilot.press("g")
        with open(path, "a") as handle:
            handle.write(
                _line(
                    {
                        "type": "span",
                        "id": "s4",
                        "kind": "tool",
                        "name": "t4",
                        "started_at": 4.0,
                        "ended_at": 4.5,
                    }
                )
            )
        await wait_until(pilot, lambda: len(screen.table) == 5)
        assert screen.step_tree.current_step == 1  # the user moved away: the view stays


async def test_big_file_path_loads_through_the_index() -> None:
    async with opened(OPENAI, index_min_bytes=0) as (pilot, screen):
        from agentdbg.tui.index_source import IndexSource

        assert isinstance(screen.source, IndexSource)
        assert [row.status for row in screen.table.rows] == ["ok"] * 5
        await pilot.press("j")
        assert "You are a helpful weather assistant" in flat(widget_text(screen.query_one(PromptPane)))
        await pilot.press("slash", *"tokyo", "enter")
        await wait_until(pilot, lambda: screen.hits)
        assert screen.hits == [1, 2, 4, 5]
        await wait_until(pilot, lambda: screen.diagnosed)
        from agentdbg.tui.widgets.findings_pane import FindingsPane

        assert "not diagnosed here" in screen.query_one(FindingsPane).note


async def test_search_sees_messages_carried_in_compact_requests(tmp_path: Path) -> None:
    from agentdbg.model.records import TraceHeader
    from agentdbg.store.writer import TraceWriter

    path = tmp_path / "compact.jsonl"
    first = [
        {"role": "system", "content": "You plan trips. " * 40},
        {"role": "user", "content": "find the zanzibar ferry times"},
    ]
    second = [
        *first,
        {"role": "assistant", "content": "Searching."},
        {"role": "user", "content": "and prices"},
    ]
    with TraceWriter(path, overwrite=True, compact=True) as writer:
        writer.write_header(TraceHeader(trace_id="c", name="compact", started_at=1.0))
        for number, messages in enumerate((first, second), start=1):
            request = {"model": "gpt-4o-mini", "messages": messages}
            writer.write(
                {
                    "type": "span",
                    "id": f"s{number}",
                    "kind": "llm",
                    "name": "chat",
                    "started_at": float(number),
                    "ended_at": number + 0.5,
                    "input": {"provider": "openai", "api": "chat.completions", "request": request},
                    "output": None,
                }
            )
    assert path.read_text().count("zanzibar") == 1  # stored once: the second request refers to the first
    async with opened(path) as (pilot, screen):
        await pilot.press("slash", *"zanzibar", "enter")
        await wait_until(pilot, lambda: screen.hits)
        assert screen.hits == [1, 2]


async def test_rows_arriving_below_the_view_rescale_the_waterfall_and_the_scrollbar(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    header = {"type": "trace", "schema_version": 1, "trace_id": "live", "name": "live-run", "started_at": 0.0}
    long_first = {
        "type": "span",
        "id": "s0",
        "kind": "tool",
        "name": "t0",
        "started_at": 0.0,
        "ended_at": 20.0,
    }
    spans = [
        {"type": "span", "id": f"s{i}", "kind": "tool", "name": f"t{i}", "started_at": i, "ended_at": i + 0.5}
        for i in range(1, 30)
    ]
    path.write_text(_line(header) + _line(long_first) + "".join(_line(s) for s in spans))
    async with opened(path, size=(120, 14), follow=True) as (pilot, screen):
        tree = screen.step_tree
        assert tree.virtual_size.height == 30 > tree.scrollable_content_region.height
        assert tree.render_line(0).text.endswith("━━━━━━━···")  # 0-20 s of a 29.5 s run
        late = {
            "type": "span",
            "id": "late",
            "kind": "tool",
            "name": "late",
            "started_at": 199,
            "ended_at": 200,
        }
        with open(path, "a") as handle:
            handle.write(_line(late))
        await wait_until(pilot, lambda: len(screen.table) == 31)
        await pilot.pause()
        assert tree.virtual_size.height == 31  # the scrollbar knows the new row, off screen
        assert tree.render_line(0).text.endswith("━·········")  # every bar now on a 200 s scale
        await pilot.press("G")
        assert tree.current_step == 31


async def test_a_step_shown_before_its_first_child_arrives_gets_its_fold_marker(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    header = {"type": "trace", "schema_version": 1, "trace_id": "live", "name": "live-run", "started_at": 0.0}
    agent = {"type": "span_start", "id": "a", "kind": "agent", "name": "agent", "started_at": 0.0}
    other = {"type": "span", "id": "x", "kind": "tool", "name": "x", "started_at": 0.5, "ended_at": 0.6}
    path.write_text(_line(header) + _line(agent) + _line(other))
    async with opened(path, follow=True) as (pilot, screen):
        tree = screen.step_tree
        await pilot.press("G")  # the cursor leaves step-1, so only its children can change its row
        assert tree.render_line(0).text[:2] == "  "  # a leaf so far: no fold marker
        child = {
            "type": "span",
            "id": "c",
            "parent_id": "a",
            "kind": "tool",
            "name": "t",
            "started_at": 1.0,
            "ended_at": 1.5,
        }
        with open(path, "a") as handle:
            handle.write(_line(child))
        await wait_until(pilot, lambda: len(screen.table) == 3)
        assert tree.view_rows.steps == [1, 3, 2]
        assert tree.render_line(0).text.startswith("▾ ")
