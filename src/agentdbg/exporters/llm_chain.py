"""One export pass over a run: every step once, each llm step with its whole request and view, built linearly.

An agent re-sends its whole history at every step. Rebuilding each step's request from the file
(parsing the history again) and converting it to neutral messages from scratch costs the square of
the run, and so does a pydantic ``Span`` per step. ``export_steps`` streams the index's light steps
(``TraceIndex.pass_steps``: ``PassStep`` where a line is plain, the exact ``Span`` elsewhere) and
``LlmChain`` carries each llm request along its ``request_ref`` chain (``store/compact.py``): the
whole request is the base's values (the very objects, not copies) plus the items the line writes,
so only those items go through the wire codec (``model.views.request_messages``, message by message
as ``ViewMemo`` converts them) and the prompt is the base's messages plus theirs. The view itself is
``LLMView.of`` with those messages handed in, so it is the one ``Span.llm`` gives.

Anything the carrier does not recognise (another API, a base it did not keep, a reference that does
not fit the base, a conversion that fails) takes the exact path: the step read whole by the index
(``read_span``) and its view converted message by message through a memo, which also seeds later
steps. An in-memory trace (imports, ``read_trace``) goes the exact path step by step.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agentdbg.model.apis import api_key
from agentdbg.model.messages import Message, ToolSpec
from agentdbg.model.span import Span
from agentdbg.model.trace import LazySpans, Trace
from agentdbg.model.view_memo import PER_MESSAGE, RecentMemo, memo_key
from agentdbg.model.views import LLMView, request_messages, request_tools
from agentdbg.store.compact import SAME, _encode, referable
from agentdbg.store.index import TraceIndex
from agentdbg.store.index_pass import PassStep

Step = PassStep | Span
PROMPT_KEY = "messages"  # the list the per-message APIs (PER_MESSAGE) keep their history in
KEPT = 64  # requests kept: a base is nearly always among the latest llm steps
_CONVERSION_ERRORS = (ValidationError, TypeError, AttributeError, ValueError)  # as LLMView.of catches


@dataclass(slots=True)
class Kept:
    """What later requests of a chain need of one llm step (and what an exporter may ask of its base)."""

    api: str
    request: dict[str, Any]  # the whole request; its values are shared with the requests built on it
    head: list[Message]  # prompt messages from the request's keys but ``messages`` (an anthropic system)
    tail: list[Message]  # prompt messages from ``messages``, in order
    ends: list[int]  # ends[i]: len(tail) after the first i + 1 items of ``messages`` converted
    tools: list[ToolSpec]

    @property
    def prompt(self) -> list[Message]:
        return self.head + self.tail

    def groups(self, first: int) -> list[list[Message]]:
        """The prompt messages of each item of ``messages`` from item ``first`` on."""
        start = self.ends[first - 1] if first else 0
        out = []
        for end in self.ends[first:]:
            out.append(self.tail[start:end])
            start = end
        return out


@dataclass(slots=True)
class LlmStep:
    """One llm step of the pass: its view (as ``Span.llm``), whole request, and chain state (``None``
    when the prompt is not message by message: another API, or a view that fell back to JSON text)."""

    view: LLMView
    kept: Kept | None
    written: Any = None  # a carried step's input as the line wrote it (compact) ...
    ref: dict[str, Any] | None = None  # ... and its request_ref (base span id, keys)


class _Whole:
    """A step's fields as ``LLMView.of`` reads them, with the whole input (the span's are compact)."""

    __slots__ = ("attributes", "input", "output")

    def __init__(self, step: Step, given: Any) -> None:
        self.input = given
        self.output = step.output
        self.attributes = step.attributes


class LlmChain:
    """The llm steps of one pass, each request carried from its base (see the module doc)."""

    def __init__(self, index: TraceIndex | None = None) -> None:
        self.index = index
        self._kept: OrderedDict[int, Kept] = OrderedDict()
        self._converted = RecentMemo()  # raw message JSON -> its prompt messages (the exact path's memo)

    def kept(self, position: int) -> Kept | None:
        """The chain state of the llm step at ``position``, if still kept."""
        return self._kept.get(position)

    def _keep(self, position: int, kept: Kept) -> None:
        self._kept[position] = kept
        if len(self._kept) > KEPT:
            self._kept.popitem(last=False)

    def step(self, step: Step) -> tuple[Step, LlmStep]:
        """``step`` (its input made whole: the exact step where the carrier gave up) and its view."""
        position = step.step - 1
        if isinstance(step, PassStep) and step.request_ref is not None:
            carried = self._carried(step)
            if carried is not None:
                return step, carried
            if self.index is None:  # no index to read the whole step from: nothing else is exact
                raise RuntimeError("a compact request outside an indexed pass")
            step = self.index.read_span(position)
        return step, self._whole(step, position)

    def _whole(self, step: Step, position: int) -> LlmStep:
        """The exact path: the view of a whole request, message by message through the memo; seeds the chain."""
        self._kept.pop(position, None)
        data = step.input if isinstance(step.input, dict) else {}
        api = api_key(data.get("provider"), data.get("api"))
        request = data.get("request")
        items = request.get(PROMPT_KEY) if isinstance(request, dict) else None
        if api not in PER_MESSAGE or type(items) is not list or not isinstance(request, dict):
            return LlmStep(LLMView.of(step), None)  # type: ignore[arg-type]  # the fields a view reads
        try:
            rest = {key: value for key, value in request.items() if key != PROMPT_KEY}
            head = request_messages(api, rest) if rest else []
            tail: list[Message] = []
            ends: list[int] = []
            for item in items:
                tail.extend(self._convert(api, item))
                ends.append(len(tail))
            tools = request_tools(api, request)
        except _CONVERSION_ERRORS:
            return LlmStep(LLMView.of(step), None)  # type: ignore[arg-type]  # shows it as JSON text, as Span.llm
        kept = Kept(api, request, head, tail, ends, tools)
        self._keep(position, kept)
        return LlmStep(self._view(step, data, kept), kept)

    def _convert(self, api: str, item: Any) -> list[Message]:
        key = memo_key(item)
        converted: list[Message] | None = self._converted.get(key) if key is not None else None
        if converted is None:
            converted = request_messages(api, {PROMPT_KEY: [item]})
            if key is not None:
                self._converted.put(key, converted)
        return converted

    @staticmethod
    def _view(step: Step, given: dict[str, Any], kept: Kept) -> LLMView:
        prompt = kept.prompt
        tools = kept.tools
        return LLMView.of(
            _Whole(step, given),  # type: ignore[arg-type]  # the fields a view reads
            lambda _api, _request: prompt,
            lambda _api, _request: list(tools),
        )

    def _carried(self, step: PassStep) -> LlmStep | None:
        """The view of a compact request built from its kept base; ``None``: take the exact path."""
        base = self._kept.get(step.base) if step.base is not None else None
        ref, given = step.request_ref, step.input
        if base is None or type(ref) is not dict or type(given) is not dict:
            return None
        keys, written = ref.get("keys"), given.get("request")
        if type(keys) is not dict or type(written) is not dict or type(ref.get("base")) is not str:
            return None
        api = api_key(given.get("provider"), given.get("api"))
        if api != base.api:
            return None
        request: dict[str, Any] = {}
        new_items: list[Any] = []
        kept_items = 0
        same_rest = True
        for key, value in written.items():
            how = keys.get(key)
            if how is None:
                request[key] = value
                if key == PROMPT_KEY:
                    if type(value) is not list:
                        return None
                    new_items = value
                continue
            earlier = base.request.get(key, _MISSING)
            if type(how) is not int or earlier is _MISSING:
                return None
            if how == SAME:
                if not referable(earlier):
                    return None  # the reader keeps nothing of a small value to refer to
                request[key] = earlier
                if key == PROMPT_KEY:
                    kept_items = len(earlier)
            elif how >= 0 and type(earlier) is list and len(earlier) >= how and type(value) is list:
                request[key] = earlier[:how] + value
                if key == PROMPT_KEY:
                    kept_items, new_items = how, value
            else:
                return None
        if type(request.get(PROMPT_KEY)) is not list:
            return None  # no message list: the view converts the request whole
        rest_keys = [key for key in request if key != PROMPT_KEY]
        if rest_keys != [key for key in base.request if key != PROMPT_KEY] or not all(
            _same(request[key], base.request[key]) for key in rest_keys
        ):
            same_rest = False
        try:
            if same_rest:
                head = base.head
            else:
                rest = {key: request[key] for key in rest_keys}
                head = request_messages(api, rest) if rest else []
            cut = base.ends[kept_items - 1] if kept_items else 0
            tail = base.tail[:cut]
            ends = base.ends[:kept_items]
            for item in new_items:
                tail.extend(request_messages(api, {PROMPT_KEY: [item]}))
                ends.append(len(tail))
            tools = base.tools if _offers_the_same(request, base.request) else request_tools(api, request)
        except _CONVERSION_ERRORS:
            return None
        whole = dict(given)
        whole["request"] = request
        step.input = whole
        step.request_ref = None  # the input is whole now
        kept = Kept(api, request, head, tail, ends, tools)
        view = self._view(step, whole, kept)
        self._keep(step.step - 1, kept)
        return LlmStep(view, kept, given, ref)


_MISSING: Any = object()


def _offers_the_same(request: dict[str, Any], earlier: dict[str, Any]) -> bool:
    """Whether a request offers its base's tools: the very lists (a reference passed them on)."""
    return all(request.get(key) is earlier.get(key) for key in ("tools", "functions"))


def _same(value: Any, earlier: Any) -> bool:
    """Whether a request value is its base's (the very object, or a small value with the same JSON)."""
    if value is earlier:
        return True
    if type(value) is not type(earlier) or type(value) in (list, dict):
        return False
    try:
        return _encode(value) == _encode(earlier)
    except (TypeError, ValueError):
        return False


def indexed(trace: Trace) -> TraceIndex | None:
    """The index behind a lazily read trace (a whole pass over it can stream light steps), else ``None``."""
    spans = trace.spans
    if isinstance(spans, LazySpans) and spans.positions is None and isinstance(spans.store, TraceIndex):
        return spans.store
    return None


def export_steps(trace: Trace) -> Iterator[tuple[Step, LlmStep | None]]:
    """Every step of ``trace`` in start order, an llm step with its view (see the module doc).

    A step's input is whole (a compact request rebuilt); a step is the index's ``PassStep`` or a ``Span``.
    """
    index = indexed(trace)
    chain = LlmChain(index)
    if index is None:
        steps: Iterator[Step] = iter(trace.spans)
    else:
        steps = index.pass_steps({problem.line for problem in trace.problems})
    for step in steps:
        if step.kind != "llm":
            yield step, None
            continue
        yield chain.step(step)


__all__ = ["Kept", "LlmChain", "LlmStep", "export_steps", "indexed"]
