"""Provider-neutral views of llm and tool steps, computed from the recorded request/response.

Supports ``openai.chat.completions``, ``openai.responses`` and ``anthropic.messages``
(each wire format is read by its codec in ``agentdbg.wire``). Anything unrecognised is
shown as text of its JSON rather than dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from agentdbg.model.apis import ANTHROPIC_MESSAGES, APIS, OPENAI_CHAT, OPENAI_RESPONSES, api_key
from agentdbg.model.messages import Message, ToolCallRef, ToolSpec
from agentdbg.model.usage import usage_from_response
from agentdbg.wire import Codec, anthropic_messages, codec, openai_chat, openai_responses
from agentdbg.wire.neutral import json_text

if TYPE_CHECKING:
    from agentdbg.model.span import Span

__all__ = [
    "ANTHROPIC_MESSAGES",
    "APIS",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "LLMView",
    "ToolView",
    "api_key",
    "request_messages",
    "request_tools",
    "response_messages",
    "usage_from_response",
]


def _messages(neutral: list[dict[str, Any]]) -> list[Message]:
    return [Message.model_validate(message) for message in neutral]


# For an API no codec knows: the codec whose shape the value has (best effort), by a key it always holds.
_REQUEST_SHAPES: tuple[tuple[str, Codec], ...] = (("messages", openai_chat), ("input", openai_responses))
_RESPONSE_SHAPES: tuple[tuple[str, Codec], ...] = (("choices", openai_chat), ("content", anthropic_messages))


def _guess(value: dict[str, Any], shapes: tuple[tuple[str, Codec], ...]) -> Codec | None:
    return next((wire for key, wire in shapes if key in value), None)


def request_messages(api: str, request: Any) -> list[Message]:
    """Every message the model saw, by role (system first when there is one)."""
    if not isinstance(request, dict):
        return [Message(role="user", text=json_text(request))] if request is not None else []
    wire = codec(api) or _guess(request, _REQUEST_SHAPES)  # unknown API: best effort on the common shapes
    if wire is None:
        return [Message(role="user", text=json_text(request))]
    return _messages(wire.request_messages(request))


def response_messages(api: str, response: Any) -> list[Message]:
    """The answer as messages (normally one assistant message)."""
    if response is None:
        return []
    if not isinstance(response, dict):
        return [Message(role="assistant", text=json_text(response))]
    wire = codec(api) or _guess(response, _RESPONSE_SHAPES)
    if wire is None:
        return [Message(role="assistant", text=json_text(response))]
    return _messages(wire.response_messages(response))


def request_tools(api: str, request: Any) -> list[ToolSpec]:
    """The tools the request offered."""
    if not isinstance(request, dict):
        return []
    wire = codec(api)
    if wire is not None:
        return [ToolSpec.model_validate(spec) for spec in wire.request_tools(request)]
    for guess in (openai_chat, anthropic_messages, openai_responses):
        specs = guess.request_tools(request)
        if specs:
            return [ToolSpec.model_validate(spec) for spec in specs]
    return []


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


_PARAM_SKIP = {
    "messages",
    "input",
    "instructions",
    "system",
    "tools",
    "model",
    "functions",
    "stream",
    "stream_options",
}


class LLMView(BaseModel):
    """An llm step seen through the neutral message model."""

    provider: str | None = None
    api: str
    model: str | None = None
    request: dict[str, Any] = Field(default_factory=dict)
    response: Any = None
    prompt: list[Message] = Field(default_factory=list)
    answer: list[Message] = Field(default_factory=list)
    tools: list[ToolSpec] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    replayable: bool = True

    @classmethod
    def of(
        cls,
        span: Span,
        messages: Callable[[str, Any], list[Message]] = request_messages,
        tools: Callable[[str, Any], list[ToolSpec]] = request_tools,
    ) -> LLMView:
        """The view of ``span``; ``messages``/``tools`` replace ``request_messages``/``request_tools``
        (an exporter passes memoised ones, so a history re-sent each step is converted once)."""
        data = span.input if isinstance(span.input, dict) else {}
        provider = data.get("provider")
        api = api_key(provider, data.get("api"))
        raw_request = data.get("request")
        request: dict[str, Any] = raw_request if isinstance(raw_request, dict) else {}
        response = span.output
        model = request.get("model") or span.attributes.get("model")
        if isinstance(response, dict) and response.get("model"):
            model = model or response.get("model")
        base = {
            "provider": _str_or_none(provider),
            "api": api,
            "model": _str_or_none(model),
            "request": request,
            "response": response,
            "params": {k: v for k, v in request.items() if k not in _PARAM_SKIP},
            "replayable": bool(span.attributes.get("replayable", True)) and api in APIS and bool(request),
        }
        try:
            return cls(
                **base,
                prompt=messages(api, request),
                answer=response_messages(api, response),
                tools=tools(api, request),
            )
        except (ValidationError, TypeError, AttributeError, ValueError):
            # A request or response of an unexpected shape: show it as JSON rather than fail the view.
            base["replayable"] = False
            return cls(
                **base,
                prompt=[Message(role="user", text=json_text(request))] if request else [],
                answer=[Message(role="assistant", text=json_text(response))] if response is not None else [],
            )

    @property
    def tool_calls(self) -> list[ToolCallRef]:
        return [call for message in self.answer for call in message.tool_calls]

    @property
    def answer_text(self) -> str:
        return "\n".join(m.text for m in self.answer if m.text)


class ToolView(BaseModel):
    """A tool step: what was called with what, and what came back."""

    name: str
    arguments: Any = None
    call_id: str | None = None
    result: Any = None

    @classmethod
    def of(cls, span: Span) -> ToolView:
        data = span.input if isinstance(span.input, dict) else {"arguments": span.input}
        return cls(
            name=str(data.get("name") or span.name),
            arguments=data.get("arguments"),
            call_id=_str_or_none(data.get("call_id")),
            result=span.output,
        )

    @property
    def result_text(self) -> str:
        return json_text(self.result) if self.result is not None else ""
