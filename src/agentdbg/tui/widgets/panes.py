"""The right-hand panes for the selected step: Prompt, Response, Tool, Raw, Info.

Each pane is told the span (attributes down) and renders only when it is the visible tab,
so moving through steps costs one pane's rendering, not five.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Static

from agentdbg.model.pricing import step_cost
from agentdbg.model.span import Span
from agentdbg.model.usage import cached_part, input_incl_cache
from agentdbg.render.formatting import fmt_duration, fmt_time
from agentdbg.textsafe import safe_line
from agentdbg.tui.widgets.content import (
    context_gauge,
    heading,
    json_block,
    key_values,
    literal,
    message_panel,
    pretty,
    tool_call_block,
    value_block,
)


@dataclass
class PaneContext:
    """What a pane may want beyond the span: the search term and findings on this step."""

    search: str | None = None
    findings: list[tuple[str, str]] = field(default_factory=list)  # (severity, text)


class StepPane(VerticalScroll):
    """A scrollable pane showing one aspect of a step."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.span: Span | None = None
        self.pane_context = PaneContext()
        self._shown: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("select a step", style="dim"), classes="pane-body")

    def show(self, span: Span | None, context: PaneContext, *, force: bool = False) -> None:
        """Render ``span`` unless this exact span and context are already shown."""
        key = (id(span), hash((context.search, tuple(context.findings))))
        if not force and key == self._shown:
            return
        self.span, self.pane_context, self._shown = span, context, key
        self.render_span()
        self.scroll_home(animate=False)

    def render_span(self) -> None:
        body = self.query_one(".pane-body", Static)
        body.update(self.build(self.span) if self.span is not None else Text("select a step", style="dim"))

    def build(self, span: Span) -> RenderableType:
        raise NotImplementedError


class PromptPane(StepPane):
    """Every message the model saw, by role, with the context-window gauge."""

    def build(self, span: Span) -> RenderableType:
        search = self.pane_context.search
        llm = span.llm
        if llm is None:
            return Group(heading(f"{span.kind} step: input"), value_block(span.input, search))
        usage = span.usage
        context_tokens = input_incl_cache(usage)  # everything the window held, cache reads and writes too
        cached = cached_part(usage)
        parts: list[RenderableType] = [context_gauge(llm.model, context_tokens)]
        if cached:
            parts.append(
                Text(f"cached   {cached:,} of these tokens were read from the prompt cache", style="dim")
            )
        if not llm.prompt:
            parts.append(Text("(no messages in the request)", style="dim"))
        parts.extend(message_panel(message, search) for message in llm.prompt)
        if llm.tools:
            offered = Text("tools offered: ", style="bold")
            offered.append(", ".join(safe_line(tool.name) for tool in llm.tools), style="#d7af5f")
            parts.append(offered)
        return Group(*parts)


class ResponsePane(StepPane):
    """The answer; reasoning set apart in foldable blocks; tool calls with pretty arguments."""

    def compose(self) -> ComposeResult:
        yield Static(Text("select a step", style="dim"), classes="pane-body")

    def render_span(self) -> None:
        self.remove_children()
        span = self.span
        if span is None:
            self.mount(Static(Text("select a step", style="dim"), classes="pane-body"))
            return
        search = self.pane_context.search
        widgets: list[Any] = []
        llm = span.llm
        if span.error is not None:
            widgets.append(Static(error_block(span, search), classes="pane-error"))
        if llm is None:
            if not span.ended:
                widgets.append(Static(Text("(no output: the step never ended)", style="yellow")))
            elif span.error is None or span.output is not None:
                widgets.append(
                    Static(Group(heading(f"{span.kind} step: output"), value_block(span.output, search)))
                )
        elif not llm.answer:
            note = "(no response: the step never ended)" if not span.ended else "(no response recorded)"
            widgets.append(Static(Text(note, style="yellow" if not span.ended else "dim")))
        for message in llm.answer if llm else []:
            for number, thought in enumerate(message.reasoning, start=1):
                title = f"reasoning {number} ({len(thought):,} chars)"
                widgets.append(
                    Collapsible(
                        Static(literal(thought, "italic #9e9e9e", search)),
                        title=title,
                        collapsed=False,
                        classes="reasoning",
                    )
                )
            widgets.append(Static(message_panel(message, search, show_reasoning=False)))
        if llm is not None and isinstance(llm.response, dict):
            finish = _finish_reason(llm.response) or span.attributes.get("finish_reason")
            if finish:
                widgets.append(Static(Text(f"finish reason: {safe_line(str(finish))}", style="dim")))
        self.mount_all(widgets or [Static(Text("(nothing)", style="dim"))])

    def build(self, span: Span) -> RenderableType:  # pragma: no cover - render_span is overridden
        return Text("")


def _finish_reason(response: dict[str, Any]) -> Any:
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0].get("finish_reason")
    return response.get("stop_reason") or response.get("status")


def error_block(span: Span, search: str | None = None) -> RenderableType:
    error = span.error
    assert error is not None
    title = Text("ERROR ", style="bold red")
    title.append(safe_line(error.type), style="bold red")
    if error.status_code:
        title.append(f"  HTTP {error.status_code}", style="red")
    parts: list[RenderableType] = [title, literal(error.message, "red", search)]
    if error.body is not None:
        parts.append(json_block(error.body, search))
    if error.traceback:
        parts.append(literal(error.traceback, "dim", search))
    return Group(*parts)


class ToolPane(StepPane):
    """Tool steps: arguments and result (or error) as the model saw them; llm steps: the calls asked for."""

    def build(self, span: Span) -> RenderableType:
        search = self.pane_context.search
        tool = span.tool
        if tool is not None:
            title = Text("tool ", style="bold")
            title.append(safe_line(tool.name), style="bold #d7af5f")
            if tool.call_id:
                title.append(f"  call {safe_line(tool.call_id)}", style="dim")
            parts: list[RenderableType] = [
                title,
                heading("\narguments", "bold underline"),
                value_block(tool.arguments, search),
            ]
            parts.append(heading("\nresult", "bold underline"))
            if span.error is not None:
                parts.append(error_block(span, search))
            elif not span.ended:
                parts.append(Text("(no result: the step never ended)", style="yellow"))
            else:
                parts.append(value_block(tool.result, search))
            return Group(*parts)
        llm = span.llm
        if llm is not None:
            calls = llm.tool_calls
            parts = [heading(f"{len(calls)} tool call(s) requested", "bold")]
            parts.extend(tool_call_block(call, search) for call in calls)
            if llm.tools:
                parts.append(heading(f"\n{len(llm.tools)} tool(s) offered", "bold"))
                for spec in llm.tools:
                    line = Text(safe_line(spec.name), style="bold #d7af5f")
                    if spec.description:
                        line.append("  " + safe_line(spec.description), style="dim")
                    parts.append(line)
            return Group(*parts)
        return Text(f"{span.kind} step: no tool call here", style="dim")


class RawPane(StepPane):
    """The span's JSON record, syntax-highlighted."""

    def build(self, span: Span) -> RenderableType:
        return json_block(span.to_record(), self.pane_context.search)


USAGE_LABELS = (
    ("input_tokens", "tokens in"),
    ("cached_input_tokens", "cached in"),
    ("cache_creation_input_tokens", "cache write"),
    ("output_tokens", "tokens out"),
    ("reasoning_tokens", "reasoning"),
    ("total_tokens", "tokens total"),
)


class InfoPane(StepPane):
    """Model, parameters, usage, cost, latency, time to first token, ids, error details, findings."""

    def build(self, span: Span) -> RenderableType:
        llm = span.llm
        attrs = span.attributes
        rows: list[tuple[str, Any]] = [
            ("step", f"{span.address}  ({span.kind}, {span.status})"),
            ("name", safe_line(span.name)),
            ("span id", span.id),
            ("parent id", span.parent_id),
            ("origin", span.origin),
            ("started", fmt_time(span.started_at)),
            ("latency", fmt_duration(span.duration)),
        ]
        ttft = attrs.get("ttft", attrs.get("time_to_first_token"))
        if isinstance(ttft, (int, float)):
            rows.append(("time to first token", fmt_duration(float(ttft))))
        if llm is not None:
            rows += [
                ("model", llm.model),
                ("api", llm.api),
                ("replayable", "yes" if llm.replayable else "no"),
            ]
            if llm.params:
                rows.append(("parameters", Text(pretty(llm.params))))
            response_id = llm.response.get("id") if isinstance(llm.response, dict) else None
            rows.append(("response id", response_id))
        for key in ("request_id", "finish_reason", "stream", "attempt"):
            if key in attrs:
                value = attrs[key]
                rows.append(
                    (key.replace("_", " "), ("yes" if value else "no") if isinstance(value, bool) else value)
                )
        if span.usage is not None:
            usage = span.usage.model_dump(exclude_none=True)
            for key, label in USAGE_LABELS:
                if isinstance(usage.get(key), int):
                    rows.append((label, f"{usage[key]:,}"))
        if llm is not None:
            cost = step_cost(llm.model, span.usage, llm.provider)
            rows.append(
                (
                    "cost",
                    f"${cost:.6f} (list price estimate)"
                    if cost is not None
                    else "unknown (no price for this model)",
                )
            )
        rows.append(
            (
                "file lines",
                f"{span.line}"
                + (f"–{span.end_line}" if span.end_line and span.end_line != span.line else ""),
            )
        )
        parts: list[RenderableType] = [key_values(rows)]
        if span.error is not None:
            parts += [Text(""), error_block(span, self.pane_context.search)]
        for severity, finding in self.pane_context.findings:
            line = Text(f"\n{severity}: ", style="bold red" if severity == "error" else "bold yellow")
            line.append(safe_line(finding))
            parts.append(line)
        return Group(*parts)
