"""Helpers for TUI tests: fixture paths and an app opened, loaded and ready for keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from agentdbg.tui.app import AgentdbgApp
from agentdbg.tui.screens.main import MainScreen

DATA = Path(__file__).parent / "data"
OPENAI = DATA / "openai_tools.jsonl"
ANTHROPIC = DATA / "anthropic_thinking.jsonl"
NESTED = DATA / "nested_errors.jsonl"
HOSTILE = DATA / "hostile.jsonl"


async def wait_until(pilot: Pilot[Any], condition: Any, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (workers post messages; we never sleep blindly)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


@asynccontextmanager
async def opened(
    path: Path | str, size: tuple[int, int] = (120, 36), **options: Any
) -> AsyncIterator[tuple[Pilot[Any], MainScreen]]:
    """The app on ``path``, fully loaded, with the main screen."""
    app = AgentdbgApp(str(path), **options)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_until(pilot, lambda: screen.loaded)
        await pilot.pause()
        yield pilot, screen


def widget_text(widget: Widget) -> str:
    """What ``widget`` and its Static descendants show on screen, as plain text."""
    statics = [widget] if isinstance(widget, Static) else list(widget.query(Static))
    lines: list[str] = []
    for static in statics:
        if not static.display or static.size.height == 0:
            continue
        strips = static.render_lines(Region(0, 0, static.size.width, static.size.height))
        lines.extend(strip.text.rstrip() for strip in strips)
    return "\n".join(lines)


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapped lines compare as one."""
    return " ".join(text.replace("│", " ").split())
