"""The llm views of a pass over a run (exporters, diagnose), with what a run re-sends converted once.

An agent re-sends its whole history at every step, so converting each step's request to neutral
messages from scratch costs the square of the run. ``ViewMemo`` converts each distinct raw
message (keyed by its JSON bytes) once and hands the same ``Message`` object to every step that
re-sends it; the tools offered (the same list nearly every step) likewise. Only APIs whose
conversion is message by message (chat.completions, anthropic.messages) are memoised; others,
and any request the per-message path cannot convert, go through ``LLMView.of`` unchanged, so the
view is always the one ``Span.llm`` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from agentdbg.model.messages import Message, ToolSpec
from agentdbg.model.span import Span
from agentdbg.model.views import (
    ANTHROPIC_MESSAGES,
    OPENAI_CHAT,
    LLMView,
    request_messages,
    request_tools,
)

# APIs whose request_messages is "the request without its message list" followed by each message alone.
PER_MESSAGE = frozenset({OPENAI_CHAT, ANTHROPIC_MESSAGES})


class RecentMemo:
    """A bounded memo: two generations of ``MAX`` entries each, the older dropped when the newer fills."""

    MAX = 1024  # entries per generation: a history of up to ~1,000 messages is looked up, not converted again

    def __init__(self) -> None:
        self._new: dict[bytes, Any] = {}
        self._old: dict[bytes, Any] = {}

    def get(self, key: bytes) -> Any:
        found = self._new.get(key)
        if found is None:
            found = self._old.get(key)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: bytes, value: Any) -> None:
        if len(self._new) >= self.MAX:
            self._old, self._new = self._new, {}
        self._new[held(key)] = value


def held(data: bytes) -> bytes:
    """``data`` copied to an exact-size ``bytes``: an ``orjson.dumps`` result keeps a 4 KB+ buffer."""
    return bytes(memoryview(data))


def memo_key(value: Any) -> bytes | None:
    """The memo key of a raw value: its exact JSON (key order kept; non-JSON values are not memoised)."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return None


class ViewMemo:
    """``Span.llm`` for one pass over a run's steps, each distinct message and tool list converted once."""

    def __init__(self) -> None:
        self._messages = RecentMemo()
        self._tools = RecentMemo()
        self._shown: dict[int, tuple[Message, Any]] = {}

    def view(self, span: Span) -> LLMView | None:
        """The same view as ``span.llm``."""
        if span.kind != "llm":
            return None
        return LLMView.of(span, self.request_messages, self.request_tools)

    def request_messages(self, api: str, request: Any) -> list[Message]:
        items = request.get("messages") if isinstance(request, dict) else None
        if api not in PER_MESSAGE or type(items) is not list:
            return request_messages(api, request)
        rest = {key: value for key, value in request.items() if key != "messages"}
        out = request_messages(api, rest) if rest else []
        for item in items:
            key = memo_key(item)
            converted = self._messages.get(key) if key is not None else None
            if converted is None:
                converted = request_messages(api, {"messages": [item]})
                if key is not None:
                    self._messages.put(key, converted)
            out.extend(converted)
        return out

    def shown(self, convert: Callable[[Message], Any]) -> Callable[[Message], Any]:
        """``convert`` memoised per message object (the memo's messages are the same objects each step)."""

        def memoised(message: Message) -> Any:
            held = self._shown.get(id(message))
            if held is None or held[0] is not message:
                if len(self._shown) >= 2 * RecentMemo.MAX:
                    self._shown.clear()
                held = self._shown[id(message)] = (message, convert(message))
            return held[1]

        return memoised

    def request_tools(self, api: str, request: Any) -> list[ToolSpec]:
        if not isinstance(request, dict):
            return request_tools(api, request)
        key = memo_key([api, request.get("tools"), request.get("functions")])
        if key is None:
            return request_tools(api, request)
        found: list[ToolSpec] | None = self._tools.get(key)
        if found is None:
            found = request_tools(api, request)
            self._tools.put(key, found)
        return list(found)
