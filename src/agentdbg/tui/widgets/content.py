"""Rich renderables for the step panes, built only from ``Text`` objects over ``safe_text``.

Nothing here parses markup: a model that writes ``[bold]`` or an escape sequence gets it
shown literally, in every pane.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from agentdbg.model.messages import Message, ToolCallRef
from agentdbg.model.windows import context_window
from agentdbg.render.formatting import ROLE_STYLES
from agentdbg.textsafe import safe_line, safe_text

MAX_CHARS = 200_000  # per block; longer text is cut with a note (y copies the whole step)


def pretty(value: Any) -> str:
    """Pretty JSON of ``value`` (a JSON string is parsed first), made terminal-safe."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return safe_text(value)
    try:
        dumped = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        dumped = repr(value)
    return safe_text(dumped)


def clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return (
        text[:MAX_CHARS] + f"\n… {len(text) - MAX_CHARS:,} more characters (press y to copy the whole step)"
    )


def literal(text: str, style: str = "", highlight: str | None = None) -> Text:
    """Untrusted text as a ``Text`` (never markup), with search hits highlighted."""
    result = Text(clip(safe_text(text)), style=style)
    if highlight:
        result.highlight_words([highlight], style="black on #ffd75f", case_sensitive=False)
    return result


def json_block(value: Any, highlight: str | None = None) -> RenderableType:
    """Syntax-highlighted JSON (plain highlighted text when searching, so hits show)."""
    code = clip(pretty(value))
    if highlight:
        return literal(code, highlight=highlight)
    return Syntax(code, "json", theme="monokai", word_wrap=True, background_color="default")


def value_block(value: Any, highlight: str | None = None) -> RenderableType:
    """A tool argument/result or step input/output for reading: multi-line strings as text, not JSON escapes.

    A string is shown as text; an object whose values include multi-line strings is shown key by key;
    anything else as pretty JSON.
    """
    if value is None:
        return Text("(nothing recorded)", style="dim")
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return literal(value, highlight=highlight)
        if isinstance(parsed, (dict, list)):
            value = parsed
        else:
            return literal(value, highlight=highlight)
    if isinstance(value, dict) and any(isinstance(v, str) and "\n" in v for v in value.values()):
        parts: list[RenderableType] = []
        for key, item in value.items():
            label = Text(safe_line(str(key)), style="bold #f92672")
            if isinstance(item, str) and "\n" in item:
                parts.append(label)
                parts.append(
                    Panel(literal(item, highlight=highlight), border_style="#444444", padding=(0, 1))
                )
            else:
                label.append(": ", style="bold #f92672")
                label.append_text(literal(pretty(item), highlight=highlight))
                parts.append(label)
        return Group(*parts)
    return json_block(value, highlight)


def heading(label: str, style: str = "bold") -> Text:
    return Text(label, style=style)


def tool_call_block(call: ToolCallRef, highlight: str | None = None) -> RenderableType:
    title = Text("→ tool call ", style="bold yellow")
    title.append(safe_line(call.name), style="bold yellow")
    if call.id:
        title.append(f"  {safe_line(call.id)}", style="dim")
    if not call.arguments_valid_json:
        title.append("  arguments are not valid JSON", style="bold red")
    return Group(title, json_block(call.arguments, highlight))


def message_panel(message: Message, highlight: str | None = None, *, show_reasoning: bool = True) -> Panel:
    """One message in a panel titled by role; tool results inline, attachments as placeholders."""
    colour = ROLE_STYLES.get(message.role, "white")
    title = Text(message.role, style=f"bold {colour}")
    if message.role == "tool":
        if message.tool_name:
            title.append(f" {safe_line(message.tool_name)}", style=colour)
        if message.tool_call_id:
            title.append(f" ← {safe_line(message.tool_call_id)}", style="dim")
        if message.is_error:
            title.append(" error", style="bold red")
    parts: list[RenderableType] = []
    if show_reasoning:
        for thought in message.reasoning:
            parts.append(literal(thought, style="italic #8a8a8a", highlight=highlight))
    if message.text:
        parts.append(literal(message.text, style="red" if message.is_error else "", highlight=highlight))
    for attachment in message.attachments:
        parts.append(Text(safe_line(attachment.label()), style="italic #87afd7"))
    for call in message.tool_calls:
        parts.append(tool_call_block(call, highlight))
    if not parts:
        parts.append(Text("(empty)", style="dim"))
    return Panel(Group(*parts), title=title, title_align="left", border_style=colour, padding=(0, 1))


def context_gauge(model: str | None, input_tokens: int | None, width: int = 20) -> Text:
    """``context ███░░░ 5,300 / 128,000 (4%)``: how full the model's window was."""
    gauge = Text("context  ", style="bold")
    window = context_window(model)
    if input_tokens is None:
        gauge.append("input tokens unknown", style="dim")
        return gauge
    if window is None:
        gauge.append(f"{input_tokens:,} tokens in (window of {safe_line(str(model))} unknown)", style="dim")
        return gauge
    share = input_tokens / window
    filled = min(width, round(share * width))
    colour = "green" if share < 0.5 else "yellow" if share < 0.8 else "red"
    gauge.append("█" * filled, style=colour)
    gauge.append("░" * (width - filled), style="#444444")
    gauge.append(f" {input_tokens:,} / {window:,} ({share:.0%})", style=colour)
    return gauge


def key_values(rows: list[tuple[str, Any]]) -> Table:
    """A two-column table of labels and literal values (cells are ``Text``, never markup)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold #87afd7", no_wrap=True)
    table.add_column()
    for label, value in rows:
        if value is None or value == "":
            continue
        cell = value if isinstance(value, Text) else Text(safe_text(str(value)))
        table.add_row(Text(label), cell)
    return table
