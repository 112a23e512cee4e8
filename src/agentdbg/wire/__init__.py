"""One codec per model wire API: the only place that knows a wire format.

Each codec (``openai_chat``, ``openai_responses``, ``anthropic_messages``) owns, for its API:
a request ↔ provider-neutral messages (``request_messages``, ``response_messages``,
``request_tools``), what a response says (``tool_calls``, ``final_text``, ``finish_reason``,
``usage``), SSE events ↔ the final response (``assemble``/``assemble_sse`` for capture,
``events``/``sse_body`` for the test server and code-level replay), and moving a conversation
between APIs (``conversation``, ``build_request``). Stdlib only: importing it costs nothing.

``codec(api)`` looks one up by the API name recorded in traces (``model/apis.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, cast

from agentdbg.wire import anthropic_messages, openai_chat, openai_responses, sse
from agentdbg.wire.sse import Assembled

__all__ = [
    "CODECS",
    "Assembled",
    "Codec",
    "anthropic_messages",
    "by_path",
    "codec",
    "openai_chat",
    "openai_responses",
    "sse",
]


class Codec(Protocol):
    """What every codec module provides (checked by mypy against each module)."""

    API: str
    PROVIDER: str
    PATH: str
    SYSTEM_FIELD: str

    def request_messages(self, request: dict[str, Any]) -> list[dict[str, Any]]: ...
    def response_messages(self, response: dict[str, Any]) -> list[dict[str, Any]]: ...
    def request_tools(self, request: dict[str, Any]) -> list[dict[str, Any]]: ...
    def tool_calls(self, response: dict[str, Any]) -> list[dict[str, Any]]: ...
    def final_text(self, response: dict[str, Any]) -> str: ...
    def finish_reason(self, response: dict[str, Any]) -> str | None: ...
    def finish_reasons(self, response: dict[str, Any]) -> list[str]: ...
    def usage(self, response: dict[str, Any]) -> dict[str, Any] | None: ...
    def assemble(self, events: sse.SSEEvents, loads: sse.Loads = ...) -> Assembled: ...
    def assemble_sse(self, body: bytes) -> dict[str, Any] | None: ...
    def events(self, response: dict[str, Any]) -> Iterator[sse.Event]: ...
    def sse_body(self, response: dict[str, Any]) -> bytes: ...
    def conversation(self, request: dict[str, Any]) -> dict[str, Any]: ...
    def build_request(self, neutral: dict[str, Any], model: str) -> dict[str, Any]: ...


CODECS: dict[str, Codec] = {
    openai_chat.API: cast(Codec, openai_chat),
    openai_responses.API: cast(Codec, openai_responses),
    anthropic_messages.API: cast(Codec, anthropic_messages),
}
_BY_PATH = {c.PATH: c for c in CODECS.values()}


def codec(api: str) -> Codec | None:
    """The codec of ``api`` (``openai.chat.completions``, ``openai.responses``, ``anthropic.messages``)."""
    return CODECS.get(api)


def by_path(path: str) -> Codec | None:
    """The codec of an SDK resource path (``chat.completions``, ``responses``, ``messages``)."""
    return _BY_PATH.get(path)
