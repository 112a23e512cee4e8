"""One step in full: every prompt message by role, the response, tool calls, usage, latency, error."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.render.formatting import ROLE_STYLES, STATUS_STYLES, fmt_duration, fmt_time
from agentdbg.textsafe import safe_text


def pretty_json(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return "(too deeply nested to pretty-print) " + _flat(value)


def _flat(value: Any) -> str:
    """A compact one-line JSON fallback that tolerates any nesting depth orjson accepts."""
    import orjson

    try:
        return orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return "(unprintable value)"


def message_block(message: Message) -> Text:
    """A message with its role heading; tool calls with pretty JSON arguments."""
    text = Text()
    heading: str = message.role
    if message.role == "tool":
        heading += f" result{f' for {message.tool_call_id}' if message.tool_call_id else ''}"
        if message.is_error:
            heading += " (error)"
    text.append(f"── {heading} ", style=f"bold {ROLE_STYLES.get(message.role, '')}")
    text.append("\n")
    for thought in message.reasoning:
        text.append("  (reasoning) ", style="dim italic")
        text.append(safe_text(thought) + "\n", style="dim italic")
    if message.text:
        text.append(safe_text(message.text) + "\n", style="red" if message.is_error else "")
    for attachment in message.attachments:
        text.append(safe_text(attachment.label()) + "\n", style="dim")
    for call in message.tool_calls:
        text.append(f"→ tool call {safe_text(call.name)}", style="bold yellow")
        if call.id:
            text.append(f"  ({safe_text(call.id)})", style="dim")
        if not call.arguments_valid_json:
            text.append("  arguments are not valid JSON", style="red")
        text.append("\n")
        text.append(safe_text(pretty_json(call.arguments)) + "\n")
    return text


def render_step(span: Span) -> RenderableType:
    """Everything about one step."""
    parts: list[RenderableType] = []
    title = Text()
    title.append(f"{span.address} ", style="bold")
    title.append(f"{span.kind} ", style="dim")
    title.append(safe_text(span.name), style="bold")
    title.append(f"  {span.status}", style=STATUS_STYLES[span.status])
    parts.append(title)
    meta = Text(style="dim")
    meta.append(f"id {safe_text(span.id)}  started {fmt_time(span.started_at)}  latency {fmt_duration(span.duration)}")
    ttft = span.attributes.get("ttft") or span.attributes.get("time_to_first_token")
    if isinstance(ttft, (int, float)):
        meta.append(f"  time to first token {fmt_duration(float(ttft))}")
    if span.origin:
        meta.append(f"  origin {span.origin}")
    parts.append(meta)
    llm = span.llm
    tool = span.tool
    if llm is not None:
        parts.append(Text(f"\nmodel {safe_text(str(llm.model))} · {llm.api}", style="bold"))
        if llm.params:
            parts.append(Text("params " + safe_text(json.dumps(llm.params, default=str)), style="dim"))
        if llm.tools:
            parts.append(Text("tools offered: " + ", ".join(safe_text(t.name) for t in llm.tools), style="dim"))
        parts.append(Text("\nPROMPT", style="bold underline"))
        parts.extend(message_block(message) for message in llm.prompt)
        parts.append(Text("\nRESPONSE", style="bold underline"))
        if llm.answer:
            parts.extend(message_block(message) for message in llm.answer)
        else:
            parts.append(Text("(no response)", style="dim"))
    elif tool is not None:
        parts.append(Text(f"\ntool {safe_text(tool.name)}" + (f"  call {safe_text(tool.call_id)}" if tool.call_id else ""), style="bold"))
        parts.append(Text("ARGUMENTS", style="bold underline"))
        parts.append(Text(safe_text(pretty_json(tool.arguments))))
        parts.append(Text("RESULT", style="bold underline"))
        parts.append(Text(safe_text(pretty_json(tool.result)) if span.ended else "(no result: the step never ended)"))
    else:
        parts.append(Text("\nINPUT", style="bold underline"))
        parts.append(Text(safe_text(pretty_json(span.input))))
        parts.append(Text("OUTPUT", style="bold underline"))
        parts.append(Text(safe_text(pretty_json(span.output))))
    if span.usage is not None:
        usage = span.usage.model_dump(exclude_none=True)
        parts.append(Text("\nusage " + ", ".join(f"{k}={v}" for k, v in usage.items() if not isinstance(v, (dict, list))), style="blue"))
    if span.error is not None:
        err = Text("\nERROR ", style="bold red")
        err.append(safe_text(f"{span.error.type}: {span.error.message}"), style="red")
        if span.error.status_code:
            err.append(f" (HTTP {span.error.status_code})", style="red")
        if span.error.body is not None:
            err.append("\n" + safe_text(pretty_json(span.error.body)), style="red")
        parts.append(err)
    return Group(*parts)
