"""A run (or some of its steps) as compact Markdown, to paste into a prompt or an issue.

The header, the execution tree as a nested list, each step's messages by role with tool calls and results
in fenced blocks, and the findings. Conversation history a step shares with the step before it is named,
not repeated, and long texts are cut with a marker (``full=True`` keeps everything), so a run stays small
enough for a model's context. Every string is masked for secrets by the caller's export path.
Domain code: no rich, no textual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentdbg.formatting import fmt_duration, fmt_time, fmt_tokens
from agentdbg.model.messages import Message
from agentdbg.model.span import Span, StepSummary
from agentdbg.model.view_memo import ViewMemo

if TYPE_CHECKING:
    from agentdbg.analysis.findings import Finding
    from agentdbg.model.records import TraceHeader
    from agentdbg.model.trace import Trace
    from agentdbg.model.views import LLMView

CUT_AT = 1200  # characters kept of one text block unless ``full``
_BACKTICKS = re.compile(r"`{3,}")


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut(text: str, full: bool) -> str:
    if full or len(text) <= CUT_AT:
        return text
    return text[:CUT_AT] + f"\n… [cut: {len(text) - CUT_AT:,} more characters; export with --full to keep them]"


def _fence(text: str, language: str = "") -> str:
    """``text`` in a code fence longer than any backtick run inside it, so content cannot close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text}\n{ticks}"


def _json_text(value: Any) -> tuple[str, str]:
    """``value`` pretty-printed, with the fence language: ``json`` unless it is plain text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value, ""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str), "json"
    except (TypeError, ValueError, RecursionError):
        return str(value), ""


def _value_block(value: Any, full: bool) -> str:
    text, language = _json_text(value)
    return _fence(_cut(text, full), language)


def _tokens(step: StepSummary) -> str:
    if step.input_tokens is None and step.output_tokens is None:
        return ""
    return f" · {fmt_tokens(step.input_tokens)}→{fmt_tokens(step.output_tokens)} tok"


def tree_line(step: Span | StepSummary, depth: int) -> str:
    """One list item of the execution tree (from a step's summary: no payload is read)."""
    summary = step.summary() if isinstance(step, Span) else step
    status = "" if summary.status == "ok" else f" **{summary.status}**"
    error_text = summary.error_type or summary.error_message
    has_error = summary.error_type is not None or summary.error_message is not None
    error = f" ({_one_line(error_text or '', 60)})" if has_error else ""
    return (
        f"{'  ' * depth}- {summary.address} {summary.kind} `{_one_line(summary.name, 60)}`{status}{error}"
        f" · {fmt_duration(summary.duration)}{_tokens(summary)}"
    )


def _message_key(message: Message) -> tuple[Any, ...]:
    return (
        message.role,
        message.text,
        message.tool_call_id,
        tuple((call.name, call.id, call.arguments_raw) for call in message.tool_calls),
    )


def _message_lines(message: Message, full: bool) -> Iterator[str]:
    heading: str = message.role
    if message.role == "tool":
        heading = f"tool result{f' `{message.tool_call_id}`' if message.tool_call_id else ''}"
        if message.is_error:
            heading += " (error)"
    yield f"**{heading}**"
    for thought in message.reasoning:
        yield "> (reasoning) " + _one_line(_cut(thought, full), 10_000 if full else 400)
    if message.text:
        yield _fence(_cut(message.text, full)) if message.role == "tool" or "\n" in message.text else _cut(
            message.text, full
        )
    for attachment in message.attachments:
        yield attachment.label()
    for call in message.tool_calls:
        note = "" if call.arguments_valid_json else " (arguments are not valid JSON)"
        yield f"→ tool call `{call.name}`{f' ({call.id})' if call.id else ''}{note}"
        yield _value_block(call.arguments, full)
    yield ""


@dataclass
class _History:
    """What recent conversations already showed, to name repeated history instead of printing it again.

    A prompt is compared with the last one shown under the same parent and the last one shown anywhere (a
    multi-turn agent opens a new parent step per turn), and the longer shared prefix is named.
    """

    by_parent: dict[str | None, tuple[list[tuple[Any, ...]], str]] = field(default_factory=dict)
    last: tuple[list[tuple[Any, ...]], str] = field(default_factory=lambda: ([], ""))
    key_of: Callable[[Message], tuple[Any, ...]] = _message_key  # a pass memoises it per message object

    def shared_prefix(self, span: Span, prompt: Sequence[Message]) -> tuple[int, str]:
        key_of = self.key_of
        keys = [key_of(message) for message in prompt]
        best = (0, "")
        for before, address in (self.by_parent.get(span.parent_id, ([], "")), self.last):
            shared = 0
            for old, new in zip(before, keys, strict=False):
                if old != new:
                    break
                shared += 1
            if shared > best[0]:
                best = (shared, address)
        return best

    def remember(self, span: Span, prompt: Sequence[Message], answer: Sequence[Message]) -> None:
        key_of = self.key_of
        shown = ([key_of(m) for m in (*prompt, *answer)], span.address)
        self.by_parent[span.parent_id] = shown
        self.last = shown


def step_lines(
    span: Span,
    *,
    full: bool = False,
    history: _History | None = None,
    view_of: Callable[[Span], LLMView | None] | None = None,
) -> Iterator[str]:
    """One step in full: title, facts, the prompt by role (new messages only), response, tool call, error.

    ``view_of``: how to get the step's llm view (a pass's ``ViewMemo.view``); ``span.llm`` by default."""
    yield f"### {span.address} · {span.kind} · {_one_line(span.name, 80)}"
    facts = [f"status {span.status}", f"latency {fmt_duration(span.duration)}"]
    if span.usage is not None:
        facts.append(f"tokens {fmt_tokens(span.input_tokens)} in / {fmt_tokens(span.output_tokens)} out")
    if span.origin:
        facts.append(f"origin {span.origin}")
    yield "_" + " · ".join(facts) + "_"
    yield ""
    llm = view_of(span) if view_of is not None else span.llm
    tool = span.tool
    if llm is not None:
        if llm.model:
            yield f"model `{llm.model}` ({llm.api})"
            yield ""
        prompt = llm.prompt
        shared, address = history.shared_prefix(span, prompt) if history else (0, "")
        yield "#### Prompt"
        if shared >= 2:
            yield f"_(messages 1–{shared} as in {address})_"
            yield ""
        else:
            shared = 0
        for message in prompt[shared:]:
            yield from _message_lines(message, full)
        if llm.tools:
            yield "tools offered: " + ", ".join(f"`{spec.name}`" for spec in llm.tools)
            yield ""
        if llm.answer:
            yield "#### Response"
            for message in llm.answer:
                yield from _message_lines(message, full)
        if history is not None:
            history.remember(span, prompt, llm.answer)
    elif tool is not None:
        yield f"tool `{tool.name}`{f' (call {tool.call_id})' if tool.call_id else ''}"
        yield _value_block(tool.arguments, full)
        if span.ended:
            yield "result:"
            yield _fence(_cut(tool.result_text, full))
        yield ""
    else:
        if span.input is not None:
            yield "input:"
            yield _value_block(span.input, full)
        if span.output is not None:
            yield "output:"
            yield _value_block(span.output, full)
        yield ""
    if span.error is not None:
        yield f"**error** `{span.error.type or 'error'}`: {_one_line(_cut(span.error.message or '', full), 2000)}"
        yield ""


def finding_lines(findings: Iterable[Finding]) -> Iterator[str]:
    """The findings as a list: severity, pattern, step, title, evidence and the fix to try."""
    yield "## Findings"
    any_finding = False
    for finding in findings:
        any_finding = True
        yield f"- **{finding.severity}** {finding.pattern} at {finding.address}: {_one_line(finding.title, 200)}"
        yield f"  - evidence: {_one_line(finding.evidence, 400)}"
        yield f"  - fix: {_one_line(finding.fix, 400)}"
    if not any_finding:
        yield "- none"
    yield ""


def header_lines(
    header: TraceHeader, totals: dict[str, Any], source: str | None, kinds: dict[str, int]
) -> Iterator[str]:
    yield f"# Trace `{_one_line(header.name or header.trace_id, 100)}`"
    yield ""
    yield f"- trace id `{header.trace_id}`, started {fmt_time(header.started_at)}"
    if source:
        yield f"- source `{source}`"
    yield (
        f"- {totals.get('steps', 0)} steps ({kinds.get('llm', 0)} LLM calls, {kinds.get('tool', 0)} tool calls),"
        f" {fmt_duration(totals.get('duration'))}, tokens {fmt_tokens(totals.get('input_tokens'))} in / {fmt_tokens(totals.get('output_tokens'))} out,"
        f" {totals.get('errors', 0)} error(s), {totals.get('incomplete', 0)} incomplete"
    )
    if header.fork_of is not None:
        yield f"- fork of `{header.fork_of.source}` at {header.fork_of.step}"
    yield ""


def markdown_chunks(
    trace: Trace,
    *,
    selected: range | None = None,
    findings: Iterable[Finding] | None = None,
    full: bool = False,
) -> Iterator[str]:
    """The document in pieces: the header and tree (from step summaries), the findings, then one piece
    per step in full. Steps are read one at a time, so a lazily read trace streams: memory is bounded
    by the largest step, not by the run. ``selected`` limits the step numbers shown. The document ends
    in exactly one newline (trailing blank lines are held back until more text follows)."""
    held = ""
    for piece in _pieces(trace, selected=selected, findings=findings, full=full):
        body = piece.rstrip()
        if body:
            yield held + body
            held = piece[len(body) :]
        else:
            held += piece
    yield "\n"


def _pieces(
    trace: Trace,
    *,
    selected: range | None = None,
    findings: Iterable[Finding] | None = None,
    full: bool = False,
) -> Iterator[str]:
    kinds: dict[str, int] = {}  # of the whole run, like ``totals``: the header describes the run
    for summary in trace.summaries():
        kinds[summary.kind] = kinds.get(summary.kind, 0) + 1
    totals = trace.totals()
    head = list(header_lines(trace.header, totals, trace.source, kinds))
    if selected is not None:
        head += [f"_(steps {selected.start}–{selected.stop - 1} of {totals.get('steps', 0)})_", ""]
    head.append("## Steps")
    yield _joined(head)
    tree: list[str] = []
    for summary, depth in trace.rows():
        if selected is None or summary.step in selected:
            tree.append(tree_line(summary, depth))
            if len(tree) >= 1024:
                yield _joined(tree)
                tree = []
    tree.append("")
    yield _joined(tree)
    if findings is not None:
        yield _joined(finding_lines(findings))
    yield _joined(["## Step details", ""])
    memo = ViewMemo()  # what the run re-sends each step is converted (and keyed) once
    history = _History(key_of=memo.shown(_message_key))
    spans = trace.spans
    if selected is None:
        chosen: Iterable[Span] = spans
    else:
        chosen = (spans[step - 1] for step in selected if 1 <= step <= len(spans))
    for span in chosen:
        yield _joined(step_lines(span, full=full, history=history, view_of=memo.view))


def _joined(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def trace_markdown(
    trace: Trace,
    *,
    selected: range | None = None,
    findings: Iterable[Finding] | None = None,
    full: bool = False,
) -> str:
    """``trace`` as one Markdown document (``selected``: only these step numbers)."""
    return "".join(markdown_chunks(trace, selected=selected, findings=findings, full=full))


def spans_markdown(spans: Iterable[Span], *, full: bool = False) -> str:
    """Some steps (the TUI's selected step and its subtree) as Markdown, without the run's header."""
    history = _History()
    lines: list[str] = []
    for span in sorted(spans, key=lambda s: s.step):
        lines.extend(step_lines(span, full=full, history=history))
    return "\n".join(lines).rstrip() + "\n"


__all__ = ["CUT_AT", "markdown_chunks", "spans_markdown", "step_lines", "trace_markdown", "tree_line"]
