"""Search results and verify reports as rich tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from agentdbg.analysis.search import SearchResult
from agentdbg.render.formatting import fmt_time
from agentdbg.textsafe import safe_line

MAX_STEPS_SHOWN = 6


def search_table(result: SearchResult) -> Table:
    """One row per matching trace: file, name, start time, and the matching steps with why they match."""
    table = Table(box=box.SIMPLE_HEAD, expand=True)
    table.add_column("trace", ratio=2, overflow="fold")
    table.add_column("started", no_wrap=True)
    table.add_column("matching steps", ratio=3)
    for match in result.matches:
        name = Text(safe_line(match.path))
        if match.name:
            name.append("\n" + safe_line(match.name)[:60], style="dim")
        steps = Text()
        for index, step in enumerate(match.steps[:MAX_STEPS_SHOWN]):
            if index:
                steps.append("\n")
            steps.append(f"{step.address} ", style="bold")
            steps.append(f"{step.kind} {safe_line(step.name)[:30]}", style="dim")
            steps.append(f"  {', '.join(step.reasons)}", style="yellow")
            if step.snippet:
                steps.append(f"  “{safe_line(step.snippet)[:90]}”", style="")
        if len(match.steps) > MAX_STEPS_SHOWN:
            steps.append(f"\n… {len(match.steps) - MAX_STEPS_SHOWN} more", style="dim")
        table.add_row(name, fmt_time(match.started_at).removesuffix(" UTC"), steps)
    return table


def verify_table(rows: Sequence[dict[str, Any]]) -> Table:
    """One row per trace: replay status, findings before and after the fix, whether the final answer changed."""
    table = Table(box=box.SIMPLE_HEAD, expand=True)
    table.add_column("trace", ratio=2, overflow="fold")
    table.add_column("from", no_wrap=True)
    table.add_column("replay", no_wrap=True)
    table.add_column("findings before", ratio=2)
    table.add_column("findings after", ratio=2)
    table.add_column("answer", no_wrap=True)
    for row in rows:
        status = row.get("status", "")
        style = "green" if status == "finished" else "red" if status in ("errored", "skipped") else "yellow"
        table.add_row(
            Text(safe_line(str(row.get("trace", "")))),
            str(row.get("from") or "—"),
            Text(status, style=style),
            Text(
                safe_line(", ".join(row.get("before", [])) or "none"),
                style="red" if row.get("before") else "green",
            ),
            Text(
                safe_line(", ".join(row.get("after", [])) or ("none" if status == "finished" else "—")),
                style="red" if row.get("after") else "green",
            ),
            Text(
                "changed" if row.get("answer_changed") else "same" if status == "finished" else "—",
                style="bold" if row.get("answer_changed") else "dim",
            ),
        )
    return table


__all__ = ["search_table", "verify_table"]
