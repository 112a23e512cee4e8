"""How durations, token counts and times are written for people: one rule for the terminal, TUI, HTML and Markdown.

Stdlib only, so exporters and domain code can use it without pulling in rich.
"""

from __future__ import annotations

from datetime import datetime, timezone


def fmt_duration(seconds: float | None) -> str:
    """``—``, ``350ms``, ``2.41s``, ``9m32s`` or, past an hour, ``3h05m``."""
    if seconds is None:
        return "—"
    if round(seconds * 1000) < 1000:  # rounded before choosing the unit: 0.9996 s is 1.00s, not 1000ms
        return f"{seconds * 1000:.0f}ms"
    if round(seconds, 2) < 60:
        return f"{seconds:.2f}s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)  # 899.99 s is 15m00s, not 14m60s
        return f"{minutes}m{rest:02d}s"
    hours, rest = divmod(whole, 3600)
    return f"{hours}h{rest // 60:02d}m"


def fmt_tokens(count: int | None) -> str:
    """``—``, ``9999``, ``51.9k`` or, for the totals of long runs, ``12.3M``."""
    if count is None:
        return "—"
    if count >= 999_950:  # what would print as 1000.0k
        return f"{count / 1e6:.1f}M"
    if count >= 10_000:
        return f"{count / 1000:.1f}k"
    return str(count)


def fmt_time(epoch: float | None) -> str:
    """A UTC timestamp, or a note when the value is out of range."""
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{epoch:g} (out of range)"


__all__ = ["fmt_duration", "fmt_time", "fmt_tokens"]
