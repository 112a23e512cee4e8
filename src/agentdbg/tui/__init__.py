"""The interactive trace debugger (Textual): ``run_tui`` is what ``agentdbg show`` calls on a terminal."""

from __future__ import annotations

from pathlib import Path

from agentdbg.errors import TraceReadError


def run_tui(
    path: str, step: str | int | None = None, follow: bool = False, format: str | None = None
) -> None:
    """Open the TUI on ``path`` and return when the user quits.

    Raises:
        TraceReadError: the path does not exist or is a directory (checked before the screen opens).
    """
    file_path = Path(path)
    if file_path.is_dir():
        raise TraceReadError(f"{file_path} is a directory, not a trace file")
    if not file_path.exists():
        raise TraceReadError(f"{file_path}: no such file")
    from agentdbg.tui.app import AgentdbgApp

    AgentdbgApp(str(file_path), step=step, follow=follow, format=format).run()


__all__ = ["run_tui"]
