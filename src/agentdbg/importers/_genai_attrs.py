"""Interpret span attributes of the common LLM instrumentation conventions as agentdbg steps.

Shared by the Langfuse and OTLP importers. Understands OpenTelemetry GenAI
(``gen_ai.*``, structured ``gen_ai.input.messages``/``output.messages`` parts and
the older ``gen_ai.prompt.N.*`` form), OpenInference (``openinference.span.kind``,
flattened ``llm.input_messages.N.message.*``, ``input.value``/``output.value``,
``tool.*``), the Vercel AI SDK (``ai.*``), LangSmith (``langsmith.*``) and
agentdbg's own lossless ``agentdbg.*`` attributes. Conversations are expressed as
OpenAI chat.completions requests/responses; ``_genai_request`` rebuilds the recorded provider's
request from them, replayable when the span held the input messages (and the tool definitions
its conversation uses).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentdbg.importers._common import as_int, make_usage, maybe_json, text_of
from agentdbg.importers._genai_messages import (
    indexed,
    instructions_text,
    openinference_messages,
    to_chat_messages,
    to_chat_response,
    vercel_tool_calls,
)
from agentdbg.importers._genai_request import rebuild_request, request_tools
from agentdbg.model.records import ErrorInfo, SpanKind, Usage, span_kind


@dataclass
class Step:
    """What a span means: kind, name, step input/output, usage, error and kept attributes."""

    kind: SpanKind
    name: str
    input: Any = None
    output: Any = None
    usage: Usage | None = None
    error: ErrorInfo | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    lossless: bool = False


def attr_usage(attrs: dict[str, Any]) -> Usage | None:
    """Token counts from gen_ai.usage.*, llm.token_count.* or ai.usage.* attributes."""

    # the Vercel AI SDK reports cache reads per provider: {"openai": {"cachedPromptTokens": N}}, Anthropic's too
    provider_metadata = maybe_json(attrs.get("ai.response.providerMetadata"))
    vercel = {
        f"ai.providerMetadata.{key}": value
        for entry in (provider_metadata.values() if isinstance(provider_metadata, dict) else [])
        if isinstance(entry, dict)
        for key, value in entry.items()
    }

    def first(*keys: str) -> int | None:
        for key in keys:
            value = attrs.get(key, vercel.get(key))
            if as_int(value) is not None:
                return as_int(value)
        return None

    return make_usage(
        first(
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.prompt_tokens",
            "llm.token_count.prompt",
            "ai.usage.promptTokens",
            "ai.usage.inputTokens",
        ),
        first(
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
            "llm.token_count.completion",
            "ai.usage.completionTokens",
            "ai.usage.outputTokens",
        ),
        first(
            "gen_ai.usage.total_tokens",
            "llm.token_count.total",
            "llm.usage.total_tokens",
            "ai.usage.totalTokens",
        ),
        first(
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "llm.token_count.prompt_details.cache_read",
            "ai.usage.cachedInputTokens",
            "ai.providerMetadata.cachedPromptTokens",
            "ai.providerMetadata.cacheReadInputTokens",
        ),
        first(
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "ai.providerMetadata.cacheCreationInputTokens",
            "llm.token_count.prompt_details.cache_write",
        ),
        first(
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",  # OpenLLMetry 0.62
            "gen_ai.usage.details.thoughts_tokens",
            "llm.token_count.completion_details.reasoning",
            "ai.usage.reasoningTokens",
        ),
    )


def classify(attrs: dict[str, Any], hint: SpanKind | None = None) -> SpanKind:
    """agentdbg kind from the conventions' own kind attributes, then the caller's hint."""
    own = span_kind(attrs.get("agentdbg.kind"))
    if own is not None:
        return own
    operation = str(attrs.get("gen_ai.operation.name") or "").lower()
    oi_kind = str(attrs.get("openinference.span.kind") or "").upper()
    ls_kind = str(attrs.get("langsmith.span.kind") or "").lower()
    vercel = str(attrs.get("ai.operationId") or "")
    traceloop = str(attrs.get("traceloop.span.kind") or "").lower()  # OpenLLMetry's @workflow/@agent/@tool
    pydantic_ai_tool = (  # pydantic-ai's 'running tool' span names no operation (its instrumentation v1, v2)
        not operation
        and bool(attrs.get("gen_ai.tool.name"))
        and ("tool_arguments" in attrs or "gen_ai.tool.call.arguments" in attrs)
    )
    if (
        operation == "execute_tool"
        or "tool" in (oi_kind.lower(), ls_kind, traceloop)
        or vercel == "ai.toolCall"
        or pydantic_ai_tool
    ):
        return "tool"
    if (
        operation in ("chat", "text_completion", "generate_content", "completion")
        or oi_kind == "LLM"
        or ls_kind == "llm"
        or vercel.endswith(".doGenerate")
        or vercel.endswith(".doStream")
        or (not oi_kind and attrs.get("gcp.vertex.agent.llm_request") is not None)  # Google ADK's call_llm
    ):
        return "llm"
    if operation in ("embeddings", "retrieval") or oi_kind in ("RETRIEVER", "EMBEDDING", "RERANKER"):
        return "retrieval"
    vercel_call = vercel in ("ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject")
    pydantic_ai_run = bool(attrs.get("agent_name")) and not _PYDANTIC_AI_RUN.isdisjoint(attrs)
    if (
        operation in ("invoke_agent", "create_agent")
        or oi_kind in ("AGENT", "CHAIN")
        or ls_kind == "chain"
        or traceloop in ("workflow", "agent")
        or vercel_call
        or pydantic_ai_run
    ):
        return "agent"
    return hint or "custom"


_LOGFIRE_ERROR = 17  # logfire.level_num of "error"
_PYDANTIC_AI_RUN = {"final_result", "all_messages_events", "pydantic_ai.all_messages"}  # its 'agent run' span


def _model(attrs: dict[str, Any], fallback: Any = None) -> Any:
    for key in (
        "gen_ai.request.model",
        "gen_ai.response.model",
        "llm.model_name",
        "ai.model.id",
        "ai.response.model",
        "langsmith.metadata.ls_model_name",
    ):
        if attrs.get(key):
            return attrs[key]
    return fallback


def _error(attrs: dict[str, Any], status: Any = None) -> ErrorInfo | None:
    if isinstance(status, ErrorInfo):  # the span's own status / exception event says most
        return status
    if str(attrs.get("langsmith.metadata.is_error", "")).lower() == "true":
        return ErrorInfo(type="error", message=text_of(attrs.get("langsmith.metadata.error") or "is_error"))
    if attrs.get("error.type"):
        return ErrorInfo(
            type=str(attrs["error.type"]),
            message=text_of(attrs.get("error.message") or attrs.get("exception.message") or ""),
        )
    return status if isinstance(status, ErrorInfo) else None


def _json_attr(value: Any) -> Any:
    """An ``agentdbg.*`` attribute: always JSON text when written by agentdbg."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _first_present(attrs: dict[str, Any], *keys: str) -> Any:
    """The value of the first of ``keys`` present in ``attrs`` (``None`` when none is)."""
    for key in keys:
        if attrs.get(key) is not None:
            return attrs[key]
    return None


def _lossless(attrs: dict[str, Any]) -> Step:
    kind = classify(attrs)  # agentdbg.kind when it names a kind; an unknown one is read by the conventions
    error = maybe_json(attrs.get("agentdbg.error"), depth=1)
    usage = maybe_json(attrs.get("agentdbg.usage"), depth=1)
    kept = maybe_json(attrs.get("agentdbg.attributes"), depth=1)
    return Step(
        kind=kind,
        name=str(attrs.get("agentdbg.name") or ""),
        input=_json_attr(attrs.get("agentdbg.input")),
        output=_json_attr(attrs.get("agentdbg.output")),
        usage=Usage.model_validate(usage) if isinstance(usage, dict) else attr_usage(attrs),
        error=ErrorInfo.model_validate(error) if isinstance(error, dict) else None,
        attributes=kept if isinstance(kept, dict) else {},
        lossless=True,
    )


def interpret(
    attrs: dict[str, Any],
    *,
    name: str,
    kind_hint: SpanKind | None = None,
    input_value: Any = None,
    output_value: Any = None,
    model: Any = None,
    error: ErrorInfo | None = None,
) -> Step:
    """The step a span describes. ``input_value``/``output_value`` are the backend's own payload fields (Langfuse)."""
    if "agentdbg.kind" in attrs and "agentdbg.input" in attrs:
        return _lossless(attrs)
    kind = classify(attrs, kind_hint)
    if input_value is None:
        input_value = _first_present(
            attrs, "input.value", "traceloop.entity.input", "gcp.vertex.agent.llm_request"
        )
    if output_value is None:
        output_value = _first_present(
            attrs, "output.value", "traceloop.entity.output", "gcp.vertex.agent.llm_response"
        )
    error = _error(attrs, error)
    usage = attr_usage(attrs)
    model = _model(attrs, model)
    if kind == "llm":
        return _llm(attrs, name, input_value, output_value, model, usage, error)
    if kind == "tool":
        tool_name = (
            attrs.get("gen_ai.tool.name") or attrs.get("tool.name") or attrs.get("ai.toolCall.name") or name
        )
        call_id = attrs.get("gen_ai.tool.call.id") or attrs.get("tool_call.id") or attrs.get("ai.toolCall.id")
        # OpenInference's ``tool.parameters`` is the tool's JSON schema, not the call's arguments.
        arguments = _first_present(
            attrs,
            "gen_ai.tool.call.arguments",
            "tool_call.function.arguments",
            "ai.toolCall.args",
            "gcp.vertex.agent.tool_call_args",  # Google ADK
            "tool_arguments",  # pydantic-ai (instrumentation v1)
        )
        result = _first_present(
            attrs,
            "gen_ai.tool.call.result",
            "ai.toolCall.result",
            "gcp.vertex.agent.tool_response",
            "tool_response",
        )
        if error is None and (as_int(attrs.get("logfire.level_num")) or 0) >= _LOGFIRE_ERROR:
            error = ErrorInfo(
                type="tool_error", message=text_of(result if result is not None else name)[:500]
            )
        tool_attributes: dict[str, Any] = {}
        schema = maybe_json(attrs.get("tool.parameters"))
        if schema is not None:
            tool_attributes["tool_schema"] = schema
        if attrs.get("tool.description") or attrs.get("gen_ai.tool.description"):
            tool_attributes["tool_description"] = attrs.get("tool.description") or attrs.get(
                "gen_ai.tool.description"
            )
        return Step(
            kind="tool",
            name=str(tool_name),
            input={
                "name": str(tool_name),
                "arguments": maybe_json(arguments if arguments is not None else input_value),
                "call_id": call_id,
            },
            output=maybe_json(result if result is not None else output_value),
            usage=usage,
            error=error,
            attributes=tool_attributes,
        )
    kept = (
        {"aggregate_usage": usage.model_dump(exclude_none=True)} if usage is not None else {}
    )  # sums of child calls: not counted again
    return Step(
        kind=kind,
        name=str(attrs.get("gen_ai.agent.name") or name),
        input=maybe_json(input_value),
        output=maybe_json(output_value if output_value is not None else attrs.get("final_result")),
        error=error,
        attributes=kept,
    )


def _llm(
    attrs: dict[str, Any],
    name: str,
    input_value: Any,
    output_value: Any,
    model: Any,
    usage: Usage | None,
    error: ErrorInfo | None,
) -> Step:
    messages: list[dict[str, Any]] = []
    system = instructions_text(attrs.get("gen_ai.system_instructions"))
    if system:
        messages.append({"role": "system", "content": system})
    if attrs.get("gen_ai.input.messages") is not None:
        messages.extend(to_chat_messages(attrs["gen_ai.input.messages"]))
    elif indexed(attrs, "llm.input_messages"):
        messages.extend(openinference_messages(attrs, "llm.input_messages"))
    elif attrs.get("ai.prompt.messages") is not None:
        messages.extend(to_chat_messages(attrs["ai.prompt.messages"]))
    elif indexed(attrs, "gen_ai.prompt"):
        messages.extend(
            {"role": f.get("role", "user"), "content": f.get("content", "")}
            for f in indexed(attrs, "gen_ai.prompt")
        )
    else:
        messages.extend(to_chat_messages(input_value))
    answered_by = attrs.get("gen_ai.response.model") or attrs.get("ai.response.model") or model
    finish = maybe_json(attrs.get("gen_ai.response.finish_reasons") or attrs.get("ai.response.finishReason"))
    finish_reason = finish[0] if isinstance(finish, list) and finish else finish
    if attrs.get("gen_ai.output.messages") is not None:
        response = to_chat_response(
            to_chat_messages(attrs["gen_ai.output.messages"], "assistant"), answered_by, finish_reason
        )
    elif indexed(attrs, "llm.output_messages"):
        response = to_chat_response(
            openinference_messages(attrs, "llm.output_messages"), answered_by, finish_reason
        )
    elif attrs.get("ai.response.text") is not None or attrs.get("ai.response.toolCalls") is not None:
        message: dict[str, Any] = {"role": "assistant", "content": attrs.get("ai.response.text") or ""}
        calls = vercel_tool_calls(attrs.get("ai.response.toolCalls"))
        if calls is not None:
            message["tool_calls"] = calls
        response = to_chat_response([message], answered_by, finish_reason)
    elif indexed(attrs, "gen_ai.completion"):
        response = to_chat_response(
            [
                {"role": "assistant", "content": f.get("content", "")}
                for f in indexed(attrs, "gen_ai.completion")
            ],
            answered_by,
            finish_reason,
        )
    else:
        response = to_chat_response(output_value, answered_by, finish_reason)
    if isinstance(response, dict) and usage is not None and "usage" not in response:
        response = {
            **response,
            "usage": {
                "prompt_tokens": usage.input_tokens,
                "completion_tokens": usage.output_tokens,
                "total_tokens": usage.total_tokens,
            },
        }
    request: dict[str, Any] = {"model": model, "messages": messages} if model else {"messages": messages}
    tools = request_tools(attrs, input_value)
    if tools:
        request["tools"] = tools
    params = maybe_json(attrs.get("llm.invocation_parameters"))
    attributes: dict[str, Any] = {"model": model}
    if isinstance(params, dict):
        attributes["invocation_parameters"] = params
    provider = (
        attrs.get("gen_ai.provider.name")
        or attrs.get("gen_ai.system")
        or attrs.get("llm.provider")
        or attrs.get("llm.system")
        or attrs.get("ai.model.provider")
    )
    if provider:
        attributes["source_provider"] = provider
    if finish_reason:
        attributes["finish_reason"] = finish_reason
    step_input, step_output, replayable = rebuild_request(
        request, response, attrs, params, provider, (input_value, output_value)
    )
    attributes["replayable"] = replayable is True
    if isinstance(replayable, str):
        attributes["not_replayable_because"] = replayable
    return Step(
        kind="llm",
        name=str(model or name),
        input=step_input,
        output=step_output,
        usage=usage,
        error=error,
        attributes=attributes,
    )
