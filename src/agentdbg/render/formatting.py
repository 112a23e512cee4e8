"""Small formatting helpers shared by print mode and the TUI."""

from __future__ import annotations

from agentdbg.formatting import fmt_duration, fmt_time, fmt_tokens

KIND_GLYPHS = {"llm": "◆", "tool": "⚙", "retrieval": "⌕", "agent": "▣", "custom": "•"}
STATUS_STYLES = {"ok": "green", "error": "bold red", "incomplete": "yellow"}
ROLE_STYLES = {"system": "magenta", "developer": "magenta", "user": "cyan", "assistant": "green", "tool": "yellow"}

__all__ = ["KIND_GLYPHS", "ROLE_STYLES", "STATUS_STYLES", "fmt_duration", "fmt_time", "fmt_tokens"]
