"""Interpret span attributes of the common LLM instrumentation conventions as agentdbg steps.

Shared by the Langfuse and OTLP importers. Understands OpenTelemetry GenAI
(``gen_ai.*``, structured ``gen_ai.input.messages``/``output.messages`` parts and
the older ``gen_ai.prompt.N.*`` form), OpenInference (``openinference.span.kind``,
flattened ``llm.input_messages.N.message.*``, ``input.value``/``output.value``,
``tool.*``), the Vercel AI SDK (``ai.*``), LangSmith (``langsmith.*``) and
agentdbg's own lossless ``agentdbg.*`` attributes. Conversations are expressed as
OpenAI chat.completions requests/responses (not replayable: the original request is gone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agentdbg.importers._common import as_dict, as_int, make_usage, maybe_json, text_of
from agentdbg.model.records import ErrorInfo, Usage

_INDEXED = re.compile(r"^(\d+)\.(.+)$")


@dataclass
class Step:
    """What a span means: kind, name, step input/output, usage, error and kept attributes."""

    kind: str
    name: str
    input: Any = None
    output: Any = None
    usage: Usage | None = None
    error: ErrorInfo | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    lossless: bool = False


def indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """``prefix.N.rest`` keys grouped by N (in index order) as ``{rest: value}`` dicts."""
    groups: dict[int, dict[str, Any]] = {}
    start = prefix + "."
    for key, value in attrs.items():
        if key.startswith(start):
            match = _INDEXED.match(key[len(start) :])
            if match:
                groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [groups[i] for i in sorted(groups)]


def _openinference_message(flat: dict[str, Any]) -> dict[str, Any]:
    role = flat.get("message.role") or "user"
    message: dict[str, Any] = {"role": role}
    content = flat.get("message.content")
    if content is None:
        texts = [part.get("message_content.text") for part in indexed(flat, "message.contents")]
        content = "\n".join(str(t) for t in texts if t is not None) if texts else None
    message["content"] = content if content is not None else ""
    calls = []
    for call in indexed(flat, "message.tool_calls"):
        calls.append(
            {
                "id": call.get("tool_call.id"),
                "type": "function",
                "function": {
                    "name": call.get("tool_call.function.name"),
                    "arguments": text_of(call.get("tool_call.function.arguments") or "{}"),
                },
            }
        )
    if calls:
        message["tool_calls"] = calls
    if flat.get("message.tool_call_id"):
        message["tool_call_id"] = flat["message.tool_call_id"]
    if flat.get("message.name"):
        message["name"] = flat["message.name"]
    return message


def openinference_messages(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [_openinference_message(flat) for flat in indexed(attrs, prefix)]


def _parts_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    """One GenAI-semconv ``{role, parts}`` message as chat messages (tool responses split out)."""
    role = str(message.get("role") or "user")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for part in message.get("parts") or []:
        if not isinstance(part, dict):
            texts.append(text_of(part))
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(text_of(part.get("content", part.get("text", ""))))
        elif kind == "tool_call":
            arguments = part.get("arguments")
            calls.append(
                {
                    "id": part.get("id"),
                    "type": "function",
                    "function": {
                        "name": part.get("name"),
                        "arguments": arguments
                        if isinstance(arguments, str)
                        else text_of(arguments if arguments is not None else {}),
                    },
                }
            )
        elif kind == "tool_call_response":
            response = part.get("response", part.get("result"))
            tool_message: dict[str, Any] = {
                "role": "tool",
                "tool_call_id": part.get("id"),
                "content": text_of(response),
            }
            if part.get("name"):
                tool_message["name"] = part["name"]
            out.append(tool_message)
        elif kind == "reasoning":
            texts.append(f"(reasoning) {text_of(part.get('content', ''))}")
        else:
            texts.append(text_of(part))
    if texts or calls or not out:
        chat_role = "assistant" if role in ("assistant", "model") else ("user" if role == "tool" else role)
        chat: dict[str, Any] = {"role": chat_role, "content": "\n".join(texts)}
        if calls:
            chat["tool_calls"] = calls
        if role == "tool":
            out.append(chat)
        else:
            out.insert(0, chat)
    return out


def _vercel_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    role = str(message.get("role") or "user")
    if isinstance(content, str) or content is None:
        return [{"role": role, "content": content or ""}]
    texts, calls, results = [], [], []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "tool-call":
            args = part.get("args", part.get("input"))
            calls.append(
                {
                    "id": part.get("toolCallId"),
                    "type": "function",
                    "function": {
                        "name": part.get("toolName"),
                        "arguments": args if isinstance(args, str) else text_of(args),
                    },
                }
            )
        elif kind == "tool-result":
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": part.get("toolCallId"),
                    "name": part.get("toolName"),
                    "content": text_of(part.get("result", part.get("output"))),
                }
            )
        else:
            texts.append(text_of(part))
    out: list[dict[str, Any]] = []
    if texts or calls:
        chat: dict[str, Any] = {
            "role": "assistant" if role == "assistant" else role,
            "content": "\n".join(texts),
        }
        if calls:
            chat["tool_calls"] = calls
        out.append(chat)
    return out + results


def _langchain_message(message: dict[str, Any]) -> dict[str, Any]:
    kwargs = as_dict(message.get("kwargs")) or message
    kind = str(kwargs.get("type") or message.get("type") or (message.get("id") or ["", "", ""])[-1]).lower()
    role = {
        "human": "user",
        "humanmessage": "user",
        "ai": "assistant",
        "aimessage": "assistant",
        "system": "system",
        "systemmessage": "system",
        "tool": "tool",
        "toolmessage": "tool",
    }.get(kind, kwargs.get("role", "user"))
    chat: dict[str, Any] = {"role": role, "content": kwargs.get("content", "")}
    extra = as_dict(kwargs.get("additional_kwargs"))
    calls = extra.get("tool_calls") or [
        {
            "id": c.get("id"),
            "type": "function",
            "function": {"name": c.get("name"), "arguments": text_of(c.get("args", {}))},
        }
        for c in kwargs.get("tool_calls") or []
        if isinstance(c, dict)
    ]
    if calls:
        chat["tool_calls"] = calls
    if kwargs.get("tool_call_id"):
        chat["tool_call_id"] = kwargs["tool_call_id"]
    return chat


def to_chat_messages(value: Any, default_role: str = "user") -> list[dict[str, Any]]:
    """Best-effort OpenAI chat messages from any recorded prompt shape (kept as text when unknown)."""
    value = maybe_json(value)
    if value is None:
        return []
    if isinstance(value, dict):
        for key in ("messages", "contents", "prompt", "input", "args"):
            if key in value:
                messages = to_chat_messages(value[key], default_role)
                system = value.get("system")
                return ([{"role": "system", "content": text_of(system)}] if system else []) + messages
        if "parts" in value or "role" in value:
            return to_chat_messages([value], default_role)
        return [{"role": default_role, "content": text_of(value)}]
    if isinstance(value, list):
        out: list[dict[str, Any]] = []
        for item in value:
            item = maybe_json(item, depth=1)
            if isinstance(item, dict) and "parts" in item and isinstance(item.get("parts"), list):
                if (
                    item["parts"] and isinstance(item["parts"][0], dict) and "type" not in item["parts"][0]
                ):  # Gemini contents
                    text = "\n".join(text_of(p.get("text", p)) for p in item["parts"] if isinstance(p, dict))
                    out.append(
                        {
                            "role": "assistant"
                            if item.get("role") == "model"
                            else item.get("role", default_role),
                            "content": text,
                        }
                    )
                else:
                    out.extend(_parts_messages(item))
            elif isinstance(item, dict) and (
                item.get("lc") == 1
                or "additional_kwargs" in item
                or item.get("type") in ("human", "ai", "system", "tool")
            ):
                out.append(_langchain_message(item))
            elif isinstance(item, dict) and "role" in item:
                content = item.get("content")
                if isinstance(content, list) and any(
                    isinstance(p, dict) and p.get("type") in ("tool-call", "tool-result") for p in content
                ):
                    out.extend(_vercel_message(item))
                else:
                    out.append(
                        {
                            k: v
                            for k, v in item.items()
                            if k in ("role", "content", "tool_calls", "tool_call_id", "name")
                        }
                    )
            else:
                out.append({"role": default_role, "content": text_of(item)})
        return out
    return [{"role": default_role, "content": text_of(value)}]


def to_chat_response(value: Any, model: Any = None, finish_reason: Any = None) -> dict[str, Any] | None:
    """An OpenAI chat.completion response from any recorded answer shape."""
    value = maybe_json(value)
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("choices"), list):
        return value
    if isinstance(value, dict) and isinstance(value.get("message"), dict):  # one choice
        choice = {
            "index": value.get("index", 0),
            "message": to_chat_messages([value["message"]], "assistant")[0],
            "finish_reason": value.get("finish_reason"),
        }
        return {"object": "chat.completion", "model": model, "choices": [choice]}
    if isinstance(value, dict) and isinstance(value.get("candidates"), list):  # Gemini
        texts = []
        for candidate in value["candidates"]:
            content = candidate.get("content") if isinstance(candidate, dict) else None
            for part in (content or {}).get("parts") or []:
                texts.append(text_of(part.get("text", part)) if isinstance(part, dict) else text_of(part))
        messages = [{"role": "assistant", "content": "\n".join(texts)}]
    elif (
        isinstance(value, dict)
        and isinstance(value.get("content"), list)
        and all(isinstance(b, dict) and "type" in b for b in value["content"])
    ):  # Anthropic
        texts = [str(b.get("text", "")) for b in value["content"] if b.get("type") == "text"]
        calls = [
            {
                "id": b.get("id"),
                "type": "function",
                "function": {"name": b.get("name"), "arguments": text_of(b.get("input", {}))},
            }
            for b in value["content"]
            if b.get("type") == "tool_use"
        ]
        message: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts)}
        if calls:
            message["tool_calls"] = calls
        messages = [message]
    elif (
        isinstance(value, dict)
        and "messages" in value
        and isinstance(value["messages"], list)
        and value["messages"]
    ):
        messages = to_chat_messages(value["messages"][-1:], "assistant")
    else:
        messages = to_chat_messages(value if isinstance(value, (list, dict)) else [value], "assistant")
    choices = [
        {
            "index": i,
            "message": {
                **m,
                "role": "assistant" if m.get("role") in ("assistant", "model", "user") else m.get("role"),
            },
            "finish_reason": finish_reason,
        }
        for i, m in enumerate(messages)
    ]
    return {"object": "chat.completion", "model": model, "choices": choices}


def attr_usage(attrs: dict[str, Any]) -> Usage | None:
    """Token counts from gen_ai.usage.*, llm.token_count.* or ai.usage.* attributes."""

    def first(*keys: str) -> int | None:
        for key in keys:
            if as_int(attrs.get(key)) is not None:
                return as_int(attrs.get(key))
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
        first("gen_ai.usage.total_tokens", "llm.token_count.total", "ai.usage.totalTokens"),
        first(
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "llm.token_count.prompt_details.cache_read",
            "ai.usage.cachedInputTokens",
        ),
        first(
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "llm.token_count.prompt_details.cache_write",
        ),
        first(
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.details.thoughts_tokens",
            "llm.token_count.completion_details.reasoning",
            "ai.usage.reasoningTokens",
        ),
    )


def classify(attrs: dict[str, Any], hint: str | None = None) -> str:
    """agentdbg kind from the conventions' own kind attributes, then the caller's hint."""
    if attrs.get("agentdbg.kind") in ("llm", "tool", "retrieval", "agent", "custom"):
        return str(attrs["agentdbg.kind"])
    operation = str(attrs.get("gen_ai.operation.name") or "").lower()
    oi_kind = str(attrs.get("openinference.span.kind") or "").upper()
    ls_kind = str(attrs.get("langsmith.span.kind") or "").lower()
    vercel = str(attrs.get("ai.operationId") or "")
    if operation == "execute_tool" or oi_kind == "TOOL" or ls_kind == "tool" or vercel == "ai.toolCall":
        return "tool"
    if (
        operation in ("chat", "text_completion", "generate_content", "completion")
        or oi_kind == "LLM"
        or ls_kind == "llm"
        or vercel.endswith(".doGenerate")
        or vercel.endswith(".doStream")
    ):
        return "llm"
    if operation in ("embeddings", "retrieval") or oi_kind in ("RETRIEVER", "EMBEDDING", "RERANKER"):
        return "retrieval"
    if operation in ("invoke_agent", "create_agent") or oi_kind in ("AGENT", "CHAIN") or ls_kind == "chain":
        return "agent"
    return hint or "custom"


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


def _lossless(attrs: dict[str, Any]) -> Step:
    kind = str(attrs.get("agentdbg.kind"))
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
    kind_hint: str | None = None,
    input_value: Any = None,
    output_value: Any = None,
    model: Any = None,
    error: ErrorInfo | None = None,
) -> Step:
    """The step a span describes. ``input_value``/``output_value`` are the backend's own payload fields (Langfuse)."""
    if "agentdbg.kind" in attrs and "agentdbg.input" in attrs:
        return _lossless(attrs)
    kind = classify(attrs, kind_hint)
    input_value = input_value if input_value is not None else attrs.get("input.value")
    output_value = output_value if output_value is not None else attrs.get("output.value")
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
        arguments = attrs.get(
            "gen_ai.tool.call.arguments",
            attrs.get(
                "tool.parameters",
                attrs.get("tool_call.function.arguments", attrs.get("ai.toolCall.args", input_value)),
            ),
        )
        result = attrs.get("gen_ai.tool.call.result", attrs.get("ai.toolCall.result", output_value))
        return Step(
            kind="tool",
            name=str(tool_name),
            input={"name": str(tool_name), "arguments": maybe_json(arguments), "call_id": call_id},
            output=maybe_json(result),
            usage=usage,
            error=error,
        )
    kept = (
        {"aggregate_usage": usage.model_dump(exclude_none=True)} if usage is not None else {}
    )  # sums of child calls: not counted again
    return Step(
        kind=kind,
        name=str(attrs.get("gen_ai.agent.name") or name),
        input=maybe_json(input_value),
        output=maybe_json(output_value),
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
    system = maybe_json(attrs.get("gen_ai.system_instructions"))
    if system:
        messages.extend(
            {"role": "system", "content": m.get("content", "")} for m in to_chat_messages(system, "system")
        )
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
    finish = maybe_json(attrs.get("gen_ai.response.finish_reasons") or attrs.get("ai.response.finishReason"))
    finish_reason = finish[0] if isinstance(finish, list) and finish else finish
    if attrs.get("gen_ai.output.messages") is not None:
        response = to_chat_response(
            to_chat_messages(attrs["gen_ai.output.messages"], "assistant"), model, finish_reason
        )
    elif indexed(attrs, "llm.output_messages"):
        response = to_chat_response(
            openinference_messages(attrs, "llm.output_messages"), model, finish_reason
        )
    elif attrs.get("ai.response.text") is not None or attrs.get("ai.response.toolCalls") is not None:
        message: dict[str, Any] = {"role": "assistant", "content": attrs.get("ai.response.text") or ""}
        calls = maybe_json(attrs.get("ai.response.toolCalls"))
        if isinstance(calls, list):
            message["tool_calls"] = [
                {
                    "id": c.get("toolCallId"),
                    "type": "function",
                    "function": {
                        "name": c.get("toolName"),
                        "arguments": text_of(c.get("args", c.get("input", {}))),
                    },
                }
                for c in calls
                if isinstance(c, dict)
            ]
        response = to_chat_response([message], model, finish_reason)
    elif indexed(attrs, "gen_ai.completion"):
        response = to_chat_response(
            [
                {"role": "assistant", "content": f.get("content", "")}
                for f in indexed(attrs, "gen_ai.completion")
            ],
            model,
            finish_reason,
        )
    else:
        response = to_chat_response(output_value, model, finish_reason)
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
    tools = (
        [maybe_json(t.get("tool.json_schema")) for t in indexed(attrs, "llm.tools")]
        or maybe_json(attrs.get("gen_ai.tool.definitions"))
        or maybe_json(attrs.get("ai.prompt.tools"))
    )
    if isinstance(tools, list) and tools:
        request["tools"] = [
            t if isinstance(t, dict) and "function" in t else {"type": "function", "function": t}
            for t in tools
        ]
    params = maybe_json(attrs.get("llm.invocation_parameters"))
    attributes: dict[str, Any] = {"replayable": False, "model": model}
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
    return Step(
        kind="llm",
        name=str(model or name),
        input={"provider": "openai", "api": "chat.completions", "request": request},
        output=response,
        usage=usage,
        error=error,
        attributes=attributes,
    )
