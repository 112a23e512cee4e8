"""What the HTML page holds of each step: its fields, and an llm step's request and prompt written once.

The page is linear in the run, as the trace file is: an llm step's block carries its request as the
``RequestCompactor`` writes it relative to a recent request (``ref``: that step's number and the
compactor's ``keys``, the trace format's ``request_ref`` rules), and its prompt the same way: the
messages converted from the request's keys but ``messages`` (``head``, left out when they are the
base's), and per item of ``messages`` the prompt messages it converts to (``items``, following
``keys["messages"]``: the base's first N groups, then these). The page's script rebuilds a step's
request and prompt on demand from the chain (``html_page_data.js``: ``rebuild``); ``decode_step``
here is the same algorithm in Python, for tests. A step whose view is not message by message
(another API, a request shown as JSON) carries its whole ``prompt``; ``tools`` is left out when it is
the base's very list.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentdbg.exporters.llm_chain import Kept, LlmStep
from agentdbg.formatting import fmt_duration, fmt_tokens
from agentdbg.model.messages import Message
from agentdbg.store.compact import COMPACT_KEY, SAME, RequestCompactor

if TYPE_CHECKING:
    from agentdbg.exporters.genai import SpanLike
    from agentdbg.model.span import Span
    from agentdbg.model.views import ToolView

PROMPT_KEY = "messages"
KEPT = 64  # recent llm steps whose prompts a later step may refer to (the compactor looks at 8)


def page_message(message: Message) -> dict[str, Any]:
    """One message as the page shows it."""
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


class StepBlocks:
    """One pass's step blocks: requests compacted against recent ones, prompts against theirs."""

    def __init__(self) -> None:
        self.compactor = RequestCompactor(reuse_encodings=True)
        self._recent: OrderedDict[str, tuple[int, Kept | None]] = OrderedDict()  # span id -> (step, chain)
        self._shown: dict[int, tuple[Message, dict[str, Any]]] = {}

    def _message(self, message: Message) -> dict[str, Any]:
        """``page_message`` once per message object (a carried prompt hands the same objects on)."""
        held = self._shown.get(id(message))
        if held is None or held[0] is not message:
            held = self._shown[id(message)] = (message, page_message(message))
        return held[1]

    def _messages(self, messages: list[Message]) -> list[dict[str, Any]]:
        convert = self._message
        return [convert(m) for m in messages]

    def block(self, span: SpanLike, llm: LlmStep | None, tool: ToolView | None = None) -> dict[str, Any]:
        """The step's block (``span``'s input whole, as ``llm_chain.export_steps`` gives it; ``tool``: its
        ``span.tool`` when the caller has it already)."""
        usage = span.usage
        error = span.error
        data: dict[str, Any] = {
            "address": f"step-{span.step}",
            "id": span.id,
            "kind": span.kind,
            "name": span.name,
            "status": span.status,
            "origin": span.origin,
            "duration": span.duration,
            "duration_text": fmt_duration(span.duration) if span.duration is not None else "",
            "tokens_text": tokens_text(usage.input_tokens, usage.output_tokens) if usage else "",
            "usage": usage.model_dump(exclude_none=True) if usage else None,
            "error": error.model_dump(exclude_none=True) if error else None,
            "attributes": span.attributes,
            "input": span.input,
            "output": span.output,
        }
        if llm is not None:
            self._llm(span, llm, data)
        if tool is None and span.kind == "tool":
            tool = span.tool
        if tool is not None:
            data["tool"] = tool.model_dump()
        return data

    def _llm(self, span: SpanLike, llm: LlmStep, data: dict[str, Any]) -> None:
        view = llm.view
        shown: dict[str, Any] = {
            "provider": view.provider,
            "api": view.api,
            "model": view.model,
            "params": view.params,
            "answer": self._messages(view.answer),
        }
        ref: dict[str, Any] | None = llm.ref
        if ref is not None:  # carried along the file's own reference: written as the file writes it
            written = llm.written
        else:
            written, ref = self._compact(span)
        kept = llm.kept
        base_step, base = self._recent.get(ref["base"], (None, None)) if ref is not None else (None, None)
        if ref is not None and base_step is not None:
            data["input"] = written
            data["ref"] = {"step": base_step, "keys": ref["keys"]}
        else:
            base = None
        if kept is not None and not _whole_prompt(view.prompt, kept):
            kept = None  # the view fell back to showing the request as JSON
        how = ref["keys"].get(PROMPT_KEY) if base is not None and ref is not None else None
        if kept is None:
            shown["prompt"] = self._messages(view.prompt)
        elif base is None or (how is not None and (type(how) is not int or how < SAME)):
            shown["fresh"] = True  # the prompt does not follow the reference: head and every item here
            shown["head"] = self._messages(kept.head)
            shown["items"] = [self._messages(group) for group in kept.groups(0)]
        else:
            if kept.head is not base.head:
                shown["head"] = self._messages(kept.head)
            if how is None:
                shown["items"] = [self._messages(group) for group in kept.groups(0)]
            elif how != SAME:
                shown["items"] = [self._messages(group) for group in kept.groups(how)]
        if base is None or kept is None or kept.tools is not base.tools:
            shown["tools"] = [tool.model_dump() for tool in view.tools]
        data["llm"] = shown
        self._recent[span.id] = (span.step, kept)
        if len(self._recent) > KEPT:
            self._recent.popitem(last=False)
        if len(self._shown) > max(8192, 4 * len(view.prompt)):
            self._shown.clear()


    def _compact(self, span: SpanLike) -> tuple[Any, dict[str, Any] | None]:
        """A whole request written relative to a recent one by the ``RequestCompactor``: (input, reference)."""
        compactor = self.compactor
        record, parts = compactor.compact({"kind": "llm", "input": span.input}, compactor.snapshot())
        memo = compactor.memo
        if memo is not None and len(memo) > max(4096, 4 * _items(span.input)):
            memo.clear()  # a bound; the next request's items are encoded again once
        if parts is not None:
            compactor.remember(span.id, parts)
        return record["input"], record.get(COMPACT_KEY)


def _whole_prompt(prompt: list[Message], kept: Kept) -> bool:
    """Whether a view's prompt is the chain's messages (not the JSON-text fallback of ``LLMView.of``)."""
    if len(prompt) != len(kept.head) + len(kept.tail):
        return False
    first = kept.head[0] if kept.head else (kept.tail[0] if kept.tail else None)
    return first is None or prompt[0] is first or prompt[0] == first


def _items(given: Any) -> int:
    request = given.get("request") if isinstance(given, dict) else None
    if not isinstance(request, dict):
        return 0
    return sum(len(value) for value in request.values() if type(value) is list)


def decode_step(block: Callable[[int], dict[str, Any]], number: int) -> dict[str, Any]:
    """Step ``number``'s data with its request and prompt rebuilt, as the page's script does (for tests).

    ``block(n)`` gives step n's block as written in the page.
    """
    data = dict(block(number))
    ref = data.pop("ref", None)
    llm = data.get("llm")
    if llm is None:
        return data
    base = decode_step(block, ref["step"]) if ref is not None else None
    llm = dict(llm)
    if ref is not None and base is not None:
        keys = ref["keys"]
        request = dict(data["input"]["request"])
        earlier = base["input"]["request"]
        for key in list(request):
            how = keys.get(key)
            if how == SAME:
                request[key] = earlier[key]
            elif how is not None:
                request[key] = earlier[key][:how] + request[key]
        data["input"] = {**data["input"], "request": request}
    if "prompt" not in llm:
        fresh = llm.pop("fresh", False)
        head = llm.pop("head", None)
        own = llm.pop("items", [])
        if fresh or base is None or ref is None:
            items = own
        else:
            head = base["llm"]["head"] if head is None else head
            how = ref["keys"].get(PROMPT_KEY)
            earlier_items = base["llm"]["items"]
            items = own if how is None else earlier_items if how == SAME else earlier_items[:how] + own
        llm["head"], llm["items"] = head or [], items
        llm["prompt"] = [message for group in [llm["head"], *items] for message in group]
    if "tools" not in llm:
        assert base is not None
        llm["tools"] = base["llm"]["tools"]
    data["llm"] = llm
    return data


def whole_block(span: Span) -> dict[str, Any]:
    """One step's block written whole (no reference to another step), from a ``Span``."""
    view = span.llm if span.kind == "llm" else None
    return StepBlocks().block(span, LlmStep(view, None) if view is not None else None)


def step_view(span: Span) -> dict[str, Any]:
    """What the page shows of one whole step: the fields its script builds from the step's lines
    (``html_page_views.js``: ``lineStep``), here with the library's own views, for tests."""
    data = decode_step({span.step: whole_block(span)}.__getitem__, span.step)
    data.pop("ref", None)
    if "llm" in data:
        data["llm"] = {key: data["llm"][key] for key in ("provider", "api", "model", "params", "answer", "prompt", "tools")}
    return data


def page_steps(page: str) -> dict[int, dict[str, Any]]:
    """Every step of an exported page as the page shows it, rebuilt in Python (for tests): a step written
    as lines is read from the page's lines by the trace reader (``read_trace`` over them) and viewed by
    ``step_view``; a step written as a block is rebuilt by ``decode_step``."""
    import json
    import re
    import tempfile
    from pathlib import Path

    from agentdbg.store.reader import read_trace

    lines = re.findall(r'<script type="application/json" class="agentdbg-line">(.*?)</script>', page, re.DOTALL)
    blocks = {
        int(number): json.loads(body)
        for number, body in re.findall(
            r'<script type="application/json" class="agentdbg-step" id="agentdbg-step-(\d+)">(.*?)</script>',
            page,
            re.DOTALL,
        )
    }
    rows = [
        row
        for body in re.findall(r'<script type="application/json" class="agentdbg-rows">(.*?)</script>', page, re.DOTALL)
        for row in json.loads(body)
    ]
    spans: dict[int, Any] = {}
    if lines:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "page.jsonl"
            copy.write_text("\n".join(lines), encoding="utf-8")
            spans = {span.step: span for span in read_trace(copy).spans}
    steps: dict[int, dict[str, Any]] = {}
    for row in rows:
        number = row[0]
        if len(row) > 8 and row[8]:
            steps[number] = step_view(spans[number])
        else:
            steps[number] = decode_step(blocks.__getitem__, number)
    return steps


__all__ = ["StepBlocks", "decode_step", "page_message", "page_steps", "step_view", "tokens_text", "whole_block"]
