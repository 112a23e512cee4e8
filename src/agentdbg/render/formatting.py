"""Small formatting helpers shared by print mode and the TUI."""

from __future__ import annotations

from datetime import datetime, timezone

KIND_GLYPHS = {"llm": "◆", "tool": "⚙", "retrieval": "⌕", "agent": "▣", "custom": "•"}
STATUS_STYLES = {"ok": "green", "error": "bold red", "incomplete": "yellow"}
ROLE_STYLES = {"system": "magenta", "developer": "magenta", "user": "cyan", "assistant": "green", "tool": "yellow"}


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:02.0f}s"


def fmt_tokens(count: int | None) -> str:
    if count is None:
        return "—"
    if count >= 10_000:
        return f"{count / 1000:.1f}k"
    return str(count)


def fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{epoch:g} (out of range)"
