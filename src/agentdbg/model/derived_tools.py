"""Tool steps derived from the conversation: a call an llm answer asked for, answered by a later request.

A framework runs its own tools between two model calls, so only the calls cross
the wire: the answer asks for ``search(q=...)`` (with a call id) and a later
request carries the result under that id. ``ToolCallLedger`` pairs the two and
yields one tool step per call (name, arguments, result, error flag, call id, the
time between the two llm steps), nested under the step the asking llm call sat
in and marked ``attributes["derived"] = "conversation"``. Capture feeds it live;
importers feed it their recorded steps in order (``with_derived_tool_steps``):
one rule for both. A call some recorded tool step already answered (a decorated
``@agentdbg.tool``) is never derived again.

smolagents sends no tool messages: its ``Calling tools:`` / ``Observation:`` texts are paired the
same way. Only the trailing part of each request (from its last assistant turn) is read,
so the cost of a run stays linear in its length.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentdbg.model.messages import Message, ToolCallRef
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.views import api_key, request_messages, response_messages

DERIVED = "derived"  # attribute key on a derived tool step
DERIVED_FROM_CONVERSATION = "conversation"
_OPEN_CALLS_KEPT = 256  # calls asked for and not answered yet (parallel sub-agents keep a few open)
_ASSISTANT_ITEM_TYPES = ("function_call", "reasoning", "custom_tool_call")
_CALLING, _OBSERVATION = "Calling tools:", "Observation:"
_SMOLAGENTS_ERROR = re.compile(r"Error executing tool '([^']+)'[^\n]*")
_SMOLAGENTS_ID = re.compile(r"""['"]id['"]:\s*['"]([^'"]+)['"]""")


def is_derived(span: Span) -> bool:
    """True for a tool step rebuilt from the conversation (not recorded by running the tool)."""
    return span.kind == "tool" and bool(span.attributes.get(DERIVED))


def trailing_items(items: list[Any]) -> list[Any]:
    """The last assistant item and everything after it (where the results of its tool calls sit)."""
    start = len(items)
    while start > 0:
        start -= 1
        item = items[start]
        if isinstance(item, dict) and (
            item.get("role") == "assistant" or item.get("type") in _ASSISTANT_ITEM_TYPES
        ):
            break
    return items[start:]


def _observations(messages: list[Message]) -> list[Message]:
    """smolagents' convention: an assistant text ``Calling tools: [{'id': ...}]`` answered by a user text
    ``Observation: ...`` (it sends no tool messages); one result per call id named in the assistant text.
    A failed call leaves only a user text ``Error executing tool 'NAME' ...``: an error result for NAME."""
    failures = [
        Message(role="tool", text=match.group(0), tool_name=match.group(1), is_error=True)
        for message in messages
        if message.role == "user"
        for match in _SMOLAGENTS_ERROR.finditer(message.text)
    ]
    if failures:  # newest first: an earlier failure still in the text was paired before
        return failures[::-1]
    if len(messages) < 2 or messages[0].role != "assistant" or _CALLING not in messages[0].text:
        return []
    answer = next((m for m in messages[1:] if m.role == "user"), None)
    if answer is None or not answer.text.startswith(_OBSERVATION):
        return []
    result = answer.text[len(_OBSERVATION) :].lstrip("\n")
    ids = _SMOLAGENTS_ID.findall(messages[0].text)
    return [Message(role="tool", text=result, tool_call_id=call_id) for call_id in ids]


def trailing_tool_results(api: str, request: Any) -> list[Message]:
    """The tool results a request carries after its last assistant turn, as neutral ``tool`` messages."""
    if not isinstance(request, dict):
        return []
    for field in ("messages", "input"):
        items = request.get(field)
        if isinstance(items, list):
            tail = trailing_items(items)
            if not tail:
                return []
            messages = request_messages(api, {field: tail})
            results = [m for m in messages if m.role == "tool" and m.tool_call_id]
            return results or _observations(messages)
    return []


@dataclass
class AskedCall:
    """A tool call an llm answer asked for, waiting for its result."""

    name: str
    arguments: Any
    call_id: str
    parent_id: str | None
    asked_at: float | None
    asked_by: str | None


@dataclass
class DerivedTool:
    """A tool call paired with the result a later request carried."""

    call: AskedCall
    result: str
    is_error: bool
    answered_at: float | None

    def input(self) -> dict[str, Any]:
        return {"name": self.call.name, "arguments": self.call.arguments, "call_id": self.call.call_id}

    def attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {DERIVED: DERIVED_FROM_CONVERSATION}
        if self.call.asked_by:
            attributes["asked_by"] = self.call.asked_by
        return attributes

    def error(self) -> ErrorInfo | None:
        return ErrorInfo(type="tool_error", message=self.result[:500]) if self.is_error else None

    def record(self, span_id: str) -> dict[str, Any]:
        """The step as one ``span`` line of a trace file."""
        record: dict[str, Any] = {
            "type": "span",
            "id": span_id,
            "parent_id": self.call.parent_id,
            "kind": "tool",
            "name": self.call.name,
            "started_at": self.call.asked_at,
            "ended_at": self.answered_at,
            "input": self.input(),
            "output": self.result,
            "attributes": self.attributes(),
        }
        error = self.error()
        if error is not None:
            record["error"] = error.model_dump(exclude_none=True)
        return record

    def span(self, span_id: str, line: int = 0) -> Span:
        """The step as a ``Span`` (for importers building a trace in memory)."""
        return Span(
            id=span_id,
            parent_id=self.call.parent_id,
            kind="tool",
            name=self.call.name,
            started_at=self.call.asked_at,
            ended_at=self.answered_at,
            input=self.input(),
            output=self.result,
            error=self.error(),
            attributes=self.attributes(),
            ended=True,
            line=line,
        )


class ToolCallLedger:
    """Open tool calls by call id; pairs each with the first later request that carries its result."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, AskedCall] = OrderedDict()
        self._answered: set[str] = set()
        self._unpaired: dict[str, int] = {}  # recorded tool steps without a call id, by name

    def asked(
        self,
        calls: Iterable[tuple[str, Any, str | None]],
        *,
        parent_id: str | None,
        asked_at: float | None,
        asked_by: str | None,
    ) -> None:
        """An llm answer asked for these ``(name, arguments, call id)`` (calls without an id are skipped)."""
        for name, arguments, call_id in calls:
            if not call_id or call_id in self._answered:
                continue
            self._open[call_id] = AskedCall(name, arguments, call_id, parent_id, asked_at, asked_by)
            while len(self._open) > _OPEN_CALLS_KEPT:
                self._open.popitem(last=False)

    def ran(self, call_id: str | None, name: str | None = None) -> None:
        """A recorded tool step answered ``call_id`` (or, without an id, one call of ``name``): never derived."""
        if call_id:
            self._open.pop(call_id, None)
            self._answered.add(call_id)
        elif name:
            self._unpaired[name] = self._unpaired.get(name, 0) + 1

    def _oldest_open(self, name: str | None) -> AskedCall | None:
        """The oldest open call of ``name`` (for a result that names its tool but not its call id)."""
        call_id = next((key for key, call in self._open.items() if name and call.name == name), None)
        return self._open.pop(call_id) if call_id is not None else None

    @property
    def waiting(self) -> bool:
        return bool(self._open)

    def answered(self, api: str, request: Any, answered_at: float | None) -> list[DerivedTool]:
        """The open calls whose results ``request`` carries, as tool steps (in the request's order)."""
        if not self._open:
            return []
        derived = []
        for message in trailing_tool_results(api, request):
            if message.tool_call_id:
                call = self._open.pop(message.tool_call_id, None)
            else:
                call = self._oldest_open(message.tool_name)
            if call is None:
                continue
            self._answered.add(call.call_id)
            if self._unpaired.get(call.name):  # a decorated tool ran it but could not tell its call id
                self._unpaired[call.name] -= 1
                continue
            derived.append(DerivedTool(call, message.text, message.is_error, answered_at))
        return derived


def answer_tool_calls(api: str, response: Any) -> list[ToolCallRef]:
    """The tool calls an llm answer asked for (read from the response only)."""
    return [call for message in response_messages(api, response) for call in message.tool_calls]


def _arguments(call: ToolCallRef) -> Any:
    return call.arguments if call.arguments_valid_json else call.arguments_raw


def _llm_api(span: Span) -> tuple[str, Any]:
    data = span.input if isinstance(span.input, dict) else {}
    return api_key(data.get("provider"), data.get("api")), data.get("request")


def with_derived_tool_steps(spans: list[Span], new_id: Any = None) -> list[Span]:
    """``spans`` (in start order) with a derived tool step before each llm step that carries tool results.

    Args:
        spans: The steps of one run in start order; existing tool steps with a call id are never doubled.
        new_id: ``(wanted: str) -> str`` giving a unique span id (default: ``derived-<call id>``).

    Returns:
        A new list (the same spans when nothing was derived), steps renumbered from 1.
    """
    ledger = ToolCallLedger()
    for span in spans:
        if span.kind == "tool" and isinstance(span.input, dict) and span.input.get("call_id"):
            ledger.ran(str(span.input["call_id"]))  # recorded, or derived by an earlier pass
    ordered: list[Span] = []
    added = False
    for span in spans:
        if span.kind == "tool" and not (isinstance(span.input, dict) and span.input.get("call_id")):
            ledger.ran(None, span.tool.name if span.tool else span.name)
        if span.kind == "llm":
            api, request = _llm_api(span)
            for tool in ledger.answered(api, request, span.started_at):
                wanted = f"derived-{tool.call.call_id}"
                ordered.append(tool.span(new_id(wanted) if new_id else wanted, span.line))
                added = True
        ordered.append(span)
        if span.kind == "llm" and span.ended and span.error is None:
            calls = [(c.name, _arguments(c), c.id) for c in answer_tool_calls(_llm_api(span)[0], span.output)]
            if calls:
                ledger.asked(calls, parent_id=span.parent_id, asked_at=span.ended_at, asked_by=span.id)
    if not added:
        return spans
    for number, span in enumerate(ordered, start=1):
        span.step = number
    return ordered
