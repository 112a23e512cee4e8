"""rich renderables for traces, steps and messages (print mode and the TUI)."""

from agentdbg.render.step import message_block, pretty_json, render_step
from agentdbg.render.tree import header_lines, render_tree, step_line

__all__ = ["header_lines", "message_block", "pretty_json", "render_step", "render_tree", "step_line"]
