"""Export a trace as one self-contained HTML file: execution tree, findings, prompt/response panes.

The page needs no network and no other file: CSS and vanilla JS are inline (from
``html_template.html``). The file is written as it is produced (``page_chunks``):

- one ``<script type="application/json" class="agentdbg-step">`` block per step with
  its payload, parsed by the page only when the step is selected;
- what steps repeat is written once: every string, list or object above ~100 bytes goes
  into one value table spread over the step blocks (a block's ``new`` holds values
  ``m0 …``), and later occurrences are ``{"$r": n}``, as the trace format's
  ``request_ref`` shares history;
- then the ``agentdbg-data`` block: trace header, totals, findings, and one small row per
  step (durations and token counts already written by ``agentdbg.formatting``, the rule
  the terminal and the TUI use); the tree draws only the rows in view.

Every block writes ``<``, ``>`` and ``&`` as ``\\u003c``-style escapes, so no trace text can
close it; the script inserts every piece of trace text with ``textContent``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import deque
from collections.abc import Iterator
from importlib import resources
from typing import Any

import orjson

from agentdbg.formatting import fmt_duration, fmt_tokens
from agentdbg.model.messages import Message
from agentdbg.model.span import Span, StepSummary
from agentdbg.model.trace import Trace
from agentdbg.model.view_memo import RecentMemo, ViewMemo, memo_key

TEMPLATE_NAME = "html_template.html"
DATA_PLACEHOLDER = "/*AGENTDBG_DATA*/"
STEPS_PLACEHOLDER = "<!--AGENTDBG_STEPS-->"
MAX_FINDING_STEPS = (
    20_000  # above this the page says to run `agentdbg diagnose` (it needs every step's views)
)
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_STEP_BLOCK = '<script type="application/json" class="agentdbg-step" id="agentdbg-step-{}">{}</script>\n'


def _message(message: Message) -> dict[str, Any]:
    return {
        "role": message.role,
        "text": message.text,
        "tool_calls": [
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments if call.arguments_valid_json else call.arguments_raw,
            }
            for call in message.tool_calls
        ],
        "tool_call_id": message.tool_call_id,
        "tool_name": message.tool_name,
        "is_error": message.is_error,
        "reasoning": message.reasoning,
        "attachments": [attachment.label() for attachment in message.attachments],
    }


def tokens_text(input_tokens: int | None, output_tokens: int | None) -> str:
    """``51.9k in / 812 out`` (``agentdbg.formatting.fmt_tokens``), or ``""`` when neither is known."""
    parts = []
    if input_tokens is not None:
        parts.append(f"{fmt_tokens(input_tokens)} in")
    if output_tokens is not None:
        parts.append(f"{fmt_tokens(output_tokens)} out")
    return " / ".join(parts)


class ValueTable:
    """Hash-consing for the page: every string, list or object of ``MIN_SHARED`` bytes or more is written
    once and later appears as ``{"$r": n}`` (value ``n`` of the table), bottom-up, so a history an agent
    re-sends, a tool result repeated in the next prompt, or the same text in the raw and neutral views
    costs its size once. A one-key object spelled ``$r``/``$lit`` in the trace is written as
    ``{"$lit": {...}}`` so it never reads as a reference. Past ``MAX_REMEMBERED`` values the table forgets
    (a value seen again is then written again: bigger, never wrong)."""

    MIN_SHARED = 96
    MAX_REMEMBERED = 1 << 21
    MIN_PREFIX = 3  # items; shorter shared prefixes are cheaper to write out
    CHAIN = 24
    RECENT = 8

    def __init__(self) -> None:
        self._items = RecentMemo()  # a list item's JSON -> its reference: a re-sent message is looked up, not walked
        self._seen: dict[bytes, int] = {}
        self.count = 0
        self.fresh: list[Any] = []
        self._recent: deque[tuple[int, int, int, list[Any]]] = deque(maxlen=self.RECENT)
        self._pending_list: tuple[int, int, list[Any]] | None = None

    def _number(self, shared: Any, encoded: bytes) -> dict[str, int]:
        key = hashlib.blake2b(encoded, digest_size=16).digest()
        number = self._seen.get(key)
        if number is None:
            if len(self._seen) >= self.MAX_REMEMBERED:
                self._seen.clear()
            number = self._seen[key] = self.count
            self.count += 1
            self.fresh.append(shared)
        return {"$r": number}

    def share(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if len(value) < self.MIN_SHARED:
                return value
            return self._number(value, value.encode("utf-8", "surrogatepass"))
        if kind is dict:
            shared: Any = {str(key): self.share(item) for key, item in value.items()}
            if (len(shared) == 1 and next(iter(shared)) in ("$r", "$lit")) or shared.keys() == {"$x", "+"}:
                shared = {"$lit": shared}
        elif kind is list or kind is tuple:
            items = [self._item(item) if type(item) is dict else self.share(item) for item in value]
            shared = self._extension(items)
            if shared is None:
                shared = items
        else:
            return value
        pending = self._pending_list if kind is not dict else None
        self._pending_list = None
        try:
            encoded = orjson.dumps(shared, default=str, option=orjson.OPT_NON_STR_KEYS)
        except (TypeError, orjson.JSONEncodeError):
            encoded = json.dumps(shared, default=str).encode("utf-8", "surrogatepass")
        if len(encoded) < self.MIN_SHARED:
            return shared
        reference = self._number(shared, encoded)
        if pending is not None:  # a list worth a number: later lists may extend it
            self._pending_list = pending
            self._remember_list(reference["$r"])
        return reference

    def _item(self, item: dict[str, Any]) -> Any:
        """``share(item)`` for an object in a list, found by its JSON when the same object was shared before."""
        key = memo_key(item)
        if key is None:
            return self.share(item)
        found = self._items.get(key)
        if found is None:  # its shared form (a reference, or a small object of references) stands for it
            found = self.share(item)
            self._items.put(key, found)
        return found

    def _extension(self, items: list[Any]) -> dict[str, Any] | None:
        """``{"$x": n, "+": [...]}`` when ``items`` extends a recent list (value ``n``): a history that
        grows by a message a step costs the new message, not a reference per message per step. Every
        ``CHAIN``-th extension is written whole, so the page resolves at most ``CHAIN`` links."""
        best: tuple[int, int, int] | None = None  # (length, number, depth)
        for length, number, depth, head in self._recent:
            if (
                length <= len(items)
                and length > (best[0] if best else self.MIN_PREFIX)
                and items[:length] == head
            ):
                best = (length, number, depth)
        extension = None
        depth = 0
        if best is not None and best[2] < self.CHAIN:
            length, number, depth = best
            depth += 1
            extension = {"$x": number, "+": items[length:]}
        self._pending_list = (len(items), depth, items)
        return extension

    def _remember_list(self, number: int) -> None:
        if self._pending_list is not None:
            length, depth, items = self._pending_list
            self._recent.appendleft((length, number, depth, items))
            self._pending_list = None

    def take(self) -> list[Any]:
        fresh, self.fresh = self.fresh, []
        return fresh


def step_data(span: Span, views: ViewMemo | None = None) -> dict[str, Any]:
    """What the page shows of one step when it is selected (``views``: one pass's memoised llm views)."""
    data: dict[str, Any] = {
        "address": span.address,
        "id": span.id,
        "kind": span.kind,
        "name": span.name,
        "status": span.status,
        "origin": span.origin,
        "duration": span.duration,
        "duration_text": fmt_duration(span.duration) if span.duration is not None else "",
        "tokens_text": tokens_text(span.input_tokens, span.output_tokens) if span.usage else "",
        "usage": span.usage.model_dump(exclude_none=True) if span.usage else None,
        "error": span.error.model_dump(exclude_none=True) if span.error else None,
        "attributes": span.attributes,
        "input": span.input,
        "output": span.output,
    }
    llm = span.llm if views is None else views.view(span)
    if llm is not None:
        message = _message if views is None else views.shown(_message)
        data["llm"] = {
            "provider": llm.provider,
            "api": llm.api,
            "model": llm.model,
            "params": llm.params,
            "prompt": [message(m) for m in llm.prompt],
            "answer": [message(m) for m in llm.answer],
            "tools": [tool.model_dump() for tool in llm.tools],
        }
    tool = span.tool
    if tool is not None:
        data["tool"] = tool.model_dump()
    return data


def step_block(span: Span, table: ValueTable, views: ViewMemo | None = None) -> dict[str, Any]:
    """One step's payload block: its data with shared values by number, and the values it adds."""
    first = table.count
    shared = table.share(step_data(span, views))
    return {"m0": first, "new": table.take(), "step": shared}


def step_row(summary: StepSummary, depth: int, title: str) -> dict[str, Any]:
    """The tree row of one step (always in the page; its payload block is parsed on demand)."""
    meta = []
    if summary.duration is not None:
        meta.append(fmt_duration(summary.duration))
    if summary.has_usage:
        meta.append(tokens_text(summary.input_tokens, summary.output_tokens))
    return {
        "address": summary.address,
        "step": summary.step,
        "depth": depth,
        "kind": summary.kind,
        "name": summary.name,
        "title": title,
        "status": summary.status,
        "origin": summary.origin,
        "meta": "  ".join(meta),
    }


def _findings(trace: Trace) -> tuple[list[dict[str, Any]], str | None]:
    if len(trace.spans) > MAX_FINDING_STEPS:
        return [], (
            f"findings are not included for traces over {MAX_FINDING_STEPS:,} steps; "
            f"run `agentdbg diagnose {trace.source or 'TRACE'}`"
        )
    from agentdbg.analysis import diagnose

    found = [
        {
            "severity": f.severity,
            "pattern": f.pattern,
            "step": f"step-{f.step}" if f.step else None,
            "title": f.title,
            "evidence": f.evidence,
            "fix": f.fix,
        }
        for f in diagnose(trace)
    ]
    return found, None


def page_data(trace: Trace, titles: dict[int, str], m0: list[int], findings: Any = None) -> dict[str, Any]:
    """The ``agentdbg-data`` document: header, totals, findings and the tree rows."""
    from agentdbg import __version__

    totals = trace.totals()
    found, note = _findings(trace) if findings is None else (findings, None)
    return {
        "generator": f"agentdbg {__version__}",
        "trace": {
            "trace_id": trace.header.trace_id,
            "name": trace.header.name,
            "started_at": trace.header.started_at,
            "metadata": trace.header.metadata,
            "fork_of": trace.header.fork_of.model_dump() if trace.header.fork_of else None,
            "source": trace.source,
            "format": trace.format,
            "totals": totals,
            "totals_text": {
                "tokens": (
                    f"{fmt_tokens(totals['input_tokens'])} in / {fmt_tokens(totals['output_tokens'])} out tokens"
                    if totals["input_tokens"] or totals["output_tokens"]
                    else ""
                ),
                "duration": fmt_duration(totals["duration"]) if totals["duration"] is not None else "",
            },
        },
        "findings": found,
        "findings_note": note,
        "m0": m0,
        "steps": [step_row(row, depth, titles.get(row.step, row.name)) for row, depth in trace.rows()],
    }


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally."""
    try:  # orjson writes NaN/Infinity as null, which JSON.parse accepts
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: ASCII-escaped stdlib JSON
        text = json.dumps(_finite_floats(value), ensure_ascii=True, default=str)
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def _finite_floats(item: Any) -> Any:
    """``item`` with NaN/Infinity written as strings (``JSON.parse`` rejects the bare words)."""
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    if isinstance(item, dict):
        return {key: _finite_floats(value) for key, value in item.items()}
    if isinstance(item, (list, tuple)):
        return [_finite_floats(value) for value in item]
    return item


def template() -> str:
    """The page template shipped with the package."""
    return resources.files("agentdbg.exporters").joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")


def page_chunks(trace: Trace, findings: Any = None) -> Iterator[str]:
    """The page in pieces, in file order: one pass over the steps, nothing but small rows kept."""
    page = template()
    if page.count(STEPS_PLACEHOLDER) != 1 or page.count(DATA_PLACEHOLDER) != 1:
        raise RuntimeError(f"{TEMPLATE_NAME} lost a placeholder")
    head, rest = page.split(STEPS_PLACEHOLDER)
    middle, tail = rest.split(DATA_PLACEHOLDER)
    yield head
    table = ValueTable()
    views = ViewMemo()
    titles: dict[int, str] = {}
    m0: list[int] = []
    for span in trace.spans:
        tool = span.tool
        if tool is not None and tool.name and tool.name != span.name:
            titles[span.step] = f"{span.name} ({tool.name})"
        block = step_block(span, table, views)
        m0.append(block["m0"])
        yield _STEP_BLOCK.format(span.step, script_json(block))
    yield middle
    yield script_json(page_data(trace, titles, m0, findings))
    yield tail


def to_html(trace: Trace) -> str:
    """The whole page for ``trace``."""
    return "".join(page_chunks(trace))


__all__ = [
    "ValueTable",
    "page_chunks",
    "page_data",
    "script_json",
    "step_block",
    "step_data",
    "template",
    "to_html",
    "tokens_text",
]
