"""A step as OpenTelemetry GenAI semantic-convention attributes (plain Python values).

The ``gen_ai.*`` attributes follow the GenAI span conventions (inference ``chat`` spans,
``execute_tool`` and ``invoke_agent`` spans; messages in the structured ``parts`` form of
``gen_ai.input.messages`` / ``gen_ai.output.messages``). The ``agentdbg.*`` attributes carry
what the conventions lack — our kind, step, ids and the full original input/output as JSON — so
an importer can rebuild the exact step. Encoders (OTLP JSON, the OTel SDK bridge) turn these
values into their own attribute form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import orjson

from agentdbg.model.messages import Message, ToolSpec
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.views import OPENAI_CHAT, OPENAI_RESPONSES, LLMView
from agentdbg.wire import anthropic_messages, codec, openai_chat, openai_responses

if TYPE_CHECKING:  # capture imports this module: the store stays out of its imports
    from agentdbg.store.index_pass import PassStep

    SpanLike: TypeAlias = Span | PassStep  # a whole span, or the index's light step (same fields, no pydantic)

# OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind).
SPAN_KIND_INTERNAL = 1
SPAN_KIND_CLIENT = 3

OPERATION_BY_KIND = {"llm": "chat", "tool": "execute_tool", "agent": "invoke_agent", "retrieval": "retrieval"}

# Attributes whose value is any JSON (objects, lists of objects): structured in OTLP JSON, JSON text where
# only primitive attributes exist (the OTel SDK).
STRUCTURED_ATTRIBUTES = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
)

# Request parameters with a semconv name of their own.
_REQUEST_PARAMS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "max_output_tokens": "gen_ai.request.max_tokens",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    "n": "gen_ai.request.choice.count",
    "stop": "gen_ai.request.stop_sequences",
    "stop_sequences": "gen_ai.request.stop_sequences",
}

# Provider stop reasons mapped onto the semconv FinishReason values.
_FINISH_REASON = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "length": "length",
    "max_tokens": "length",
    "incomplete": "length",
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "tool_use": "tool_call",
    "content_filter": "content_filter",
    "refusal": "content_filter",
    "failed": "error",
}


def to_json(value: Any) -> str:
    """Compact JSON text of ``value`` (non-JSON values become strings)."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, int beyond 64 bits: the stdlib copes
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def message_parts(message: Message) -> list[dict[str, Any]]:
    """The semconv ``parts`` of one neutral message: text, reasoning, tool calls, tool results, files."""
    parts: list[dict[str, Any]] = []
    for reasoning in message.reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    if message.role == "tool":
        part: dict[str, Any] = {
            "type": "tool_call_response",
            "id": message.tool_call_id,
            "response": message.text,
        }
        if message.tool_name:
            part["name"] = message.tool_name
        if message.is_error:
            part["is_error"] = True
        parts.append(part)
    elif message.text:
        parts.append({"type": "text", "content": message.text})
    for call in message.tool_calls:
        arguments = call.arguments if call.arguments_valid_json else call.arguments_raw
        parts.append({"type": "tool_call", "id": call.id, "name": call.name, "arguments": arguments})
    for attachment in message.attachments:
        file_part: dict[str, Any] = {
            "type": "file_data",
            "modality": attachment.kind,
            "mime_type": attachment.media_type,
        }
        if attachment.source:
            file_part["uri"] = attachment.source
        if attachment.size is not None:
            file_part["size"] = attachment.size
        parts.append(file_part)
    return parts


def _split_system(view: LLMView) -> tuple[list[Message], list[Message]]:
    """(system instructions given apart from the history, the chat history)."""
    wire = codec(view.api)
    separate = wire is not None and wire.SYSTEM_FIELD and view.request.get(wire.SYSTEM_FIELD)
    if separate and view.prompt and view.prompt[0].role == "system":
        return view.prompt[:1], view.prompt[1:]
    return [], view.prompt


def raw_finish_reasons(view: LLMView, span: SpanLike) -> list[str]:
    """The provider's own stop reasons, one per generation."""
    response = view.response if isinstance(view.response, dict) else {}
    if view.api == OPENAI_CHAT or "choices" in response:
        reasons = openai_chat.finish_reasons(response)
    elif response.get("stop_reason"):
        reasons = anthropic_messages.finish_reasons(response)
    elif view.api == OPENAI_RESPONSES:
        reasons = openai_responses.finish_reasons(response)
    else:
        reasons = []
    if not reasons and span.attributes.get("finish_reason"):
        reasons = [str(span.attributes["finish_reason"])]
    return reasons


def output_messages(view: LLMView, span: SpanLike) -> list[dict[str, Any]]:
    """``gen_ai.output.messages``: each answer message with its parts and a semconv finish reason."""
    reasons = raw_finish_reasons(view, span)
    out = []
    for index, message in enumerate(view.answer):
        raw = reasons[index] if index < len(reasons) else (reasons[-1] if reasons else "")
        reason = _FINISH_REASON.get(raw, raw or "stop")
        if message.tool_calls and reason == "stop":
            reason = "tool_call"
        out.append({"role": message.role, "parts": message_parts(message), "finish_reason": reason})
    return out


def tool_definitions(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """``gen_ai.tool.definitions``: the tools offered, as the conventions spell them."""
    return [
        {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters} for t in tools
    ]


def input_message(message: Message) -> dict[str, Any]:
    """One item of ``gen_ai.input.messages``."""
    return {"role": message.role, "parts": message_parts(message)}


def _llm_attributes(
    span: SpanLike,
    attributes: dict[str, Any],
    view: LLMView | None,
    history_value: Callable[[list[Message]], Any] | None,
    definitions: Callable[[list[ToolSpec]], Any] | None,
) -> None:
    if view is None:
        return
    if view.provider:
        attributes["gen_ai.provider.name"] = view.provider
    if view.request.get("model") or view.model:
        attributes["gen_ai.request.model"] = view.request.get("model") or view.model
    response = view.response if isinstance(view.response, dict) else {}
    if response.get("model"):
        attributes["gen_ai.response.model"] = response["model"]
    if response.get("id"):
        attributes["gen_ai.response.id"] = str(response["id"])
    for param, key in _REQUEST_PARAMS.items():
        value = view.request.get(param)
        if value is None:
            continue
        if key == "gen_ai.request.stop_sequences":
            value = [value] if isinstance(value, str) else [str(v) for v in value]
        attributes.setdefault(key, value)
    reasons = raw_finish_reasons(view, span)
    if reasons:
        attributes["gen_ai.response.finish_reasons"] = reasons
    system, history = _split_system(view)
    if system:
        attributes["gen_ai.system_instructions"] = [part for m in system for part in message_parts(m)]
    attributes["gen_ai.input.messages"] = (
        history_value(history) if history_value is not None else [input_message(m) for m in history]
    )
    if view.answer:
        attributes["gen_ai.output.messages"] = output_messages(view, span)
    if view.tools:
        attributes["gen_ai.tool.definitions"] = (definitions or tool_definitions)(view.tools)
    if span.attributes.get("ttft") is not None:
        attributes["agentdbg.ttft"] = span.attributes["ttft"]


def _tool_attributes(span: SpanLike, attributes: dict[str, Any]) -> None:
    view = span.tool
    if view is None:
        return
    attributes["gen_ai.tool.name"] = view.name
    attributes["gen_ai.tool.type"] = "function"
    if view.call_id:
        attributes["gen_ai.tool.call.id"] = view.call_id
    if view.arguments is not None:
        attributes["gen_ai.tool.call.arguments"] = view.arguments
    if view.result is not None:
        attributes["gen_ai.tool.call.result"] = view.result


def _usage_attributes(span: SpanLike, attributes: dict[str, Any]) -> None:
    usage = span.usage
    if usage is None:
        return
    pairs = {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cached_input_tokens,
        "gen_ai.usage.cache_creation.input_tokens": usage.cache_creation_input_tokens,
        "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
    }
    attributes.update({key: value for key, value in pairs.items() if value is not None})
    attributes["agentdbg.usage"] = to_json(usage.model_dump(exclude_none=True))


def _request_model(span: SpanLike) -> str | None:
    """The model asked for (cheap: no message parsing): request, then attributes, then response."""
    data = span.input if isinstance(span.input, dict) else {}
    request = data.get("request")
    request = request if isinstance(request, dict) else {}
    response = span.output if isinstance(span.output, dict) else {}
    model = request.get("model") or span.attributes.get("model") or response.get("model")
    return str(model) if model else None


def span_name(span: SpanLike) -> str:
    """The semconv span name: ``chat {model}``, ``execute_tool {tool}``, ``invoke_agent {name}``."""
    if span.kind == "llm":
        model = _request_model(span)
        return f"chat {model}" if model else "chat"
    if span.kind == "tool":
        tool = span.tool
        return f"execute_tool {tool.name if tool else span.name}".strip()
    if span.kind == "agent":
        return f"invoke_agent {span.name}".strip()
    return span.name or span.kind


def span_kind(span: SpanLike) -> int:
    """CLIENT for calls leaving the process (model, retrieval), INTERNAL otherwise."""
    return SPAN_KIND_CLIENT if span.kind in ("llm", "retrieval") else SPAN_KIND_INTERNAL


def span_attributes(
    span: SpanLike,
    view: LLMView | None = None,
    history_value: Callable[[list[Message]], Any] | None = None,
    recorded_input: tuple[Any, dict[str, Any] | None] | None = None,
    definitions: Callable[[list[ToolSpec]], Any] | None = None,
) -> dict[str, Any]:
    """Every attribute of one exported span: ``gen_ai.*`` semconv plus the lossless ``agentdbg.*`` set.

    An exporter making one pass over a run may give the llm ``view`` (memoised), ``history_value``
    and ``definitions`` (the ``gen_ai.input.messages`` / ``gen_ai.tool.definitions`` values, pre-encoded)
    and ``recorded_input``:
    the input written relative to an earlier step's request and that reference
    (``agentdbg.request_ref``, as the trace file's ``request_ref``), so a re-sent history is
    carried once, by ``gen_ai.input.messages``, and not again in ``agentdbg.input``.
    """
    attributes: dict[str, Any] = {}
    operation = OPERATION_BY_KIND.get(span.kind)
    if operation:
        attributes["gen_ai.operation.name"] = operation
    if span.kind == "llm":
        if view is None and isinstance(span, Span):
            view = span.llm
        _llm_attributes(span, attributes, view, history_value, definitions)
    elif span.kind == "tool":
        _tool_attributes(span, attributes)
    elif span.kind == "agent":
        attributes["gen_ai.agent.name"] = span.name
    _usage_attributes(span, attributes)
    if span.error is not None:
        attributes["error.type"] = span.error.type or "Error"
        if span.error.message:
            attributes["error.message"] = span.error.message
        attributes["agentdbg.error"] = to_json(span.error.model_dump(exclude_none=True))
    attributes["agentdbg.kind"] = span.kind
    attributes["agentdbg.name"] = span.name
    attributes["agentdbg.step"] = span.step
    attributes["agentdbg.span_id"] = span.id
    if span.parent_id is not None:
        attributes["agentdbg.parent_id"] = span.parent_id
    if span.origin:
        attributes["agentdbg.origin"] = span.origin
    if not span.ended:
        attributes["agentdbg.incomplete"] = True
    recorded, request_ref = recorded_input if recorded_input is not None else (span.input, None)
    attributes["agentdbg.input"] = to_json(recorded)
    if request_ref is not None:
        attributes["agentdbg.request_ref"] = to_json(request_ref)
    if span.ended:
        attributes["agentdbg.output"] = to_json(span.output)
    if span.attributes:
        attributes["agentdbg.attributes"] = to_json(span.attributes)
    extra = {k: v for k, v in (getattr(span, "model_extra", None) or {}).items() if k != "type"}
    if extra:
        attributes["agentdbg.extra"] = to_json(extra)
    return attributes


def resource_attributes(header: TraceHeader) -> dict[str, Any]:
    """Resource attributes naming the run: service name plus the whole trace header as JSON."""
    service = header.metadata.get("service.name") if isinstance(header.metadata, dict) else None
    attributes: dict[str, Any] = {
        "service.name": str(service or "agentdbg"),
        "agentdbg.trace_id": header.trace_id,
    }
    if header.name:
        attributes["agentdbg.trace_name"] = header.name
    attributes["agentdbg.trace_header"] = to_json(header.model_dump(mode="json", exclude_none=True))
    return attributes
