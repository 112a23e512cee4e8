"""Provider-neutral views of llm and tool steps, computed from the recorded request/response.

Supports ``openai.chat.completions``, ``openai.responses`` and ``anthropic.messages``.
Anything unrecognised is shown as text of its JSON rather than dropped.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agentdbg.model.messages import Attachment, Message, ToolCallRef, ToolSpec
from agentdbg.model.records import Usage

if TYPE_CHECKING:
    from agentdbg.model.span import Span

OPENAI_CHAT = "openai.chat.completions"
OPENAI_RESPONSES = "openai.responses"
ANTHROPIC_MESSAGES = "anthropic.messages"
APIS = (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES)


def api_key(provider: str | None, api: str | None) -> str:
    """Normalise ``provider`` + ``api`` to one of ``APIS`` (or ``provider.api`` as given)."""
    provider = (provider or "").lower()
    api = (api or "").lower()
    if api in APIS:
        return api
    if provider == "anthropic":
        return ANTHROPIC_MESSAGES
    if provider == "openai" and api in ("responses", "response"):
        return OPENAI_RESPONSES
    if provider == "openai":
        return OPENAI_CHAT
    return f"{provider}.{api}".strip(".")


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError, RecursionError):
        return "(value too deeply nested to show)"


def parse_arguments(raw: Any) -> ToolCallRef:
    """Arguments as parsed JSON (and whether they parsed) from a string or an object."""
    if isinstance(raw, str):
        try:
            return ToolCallRef(name="", arguments=json.loads(raw) if raw.strip() else {}, arguments_raw=raw)
        except ValueError:
            return ToolCallRef(name="", arguments=raw, arguments_raw=raw, arguments_valid_json=False)
    return ToolCallRef(name="", arguments=raw)


def _call(call_id: Any, name: Any, raw_arguments: Any) -> ToolCallRef:
    ref = parse_arguments(raw_arguments)
    ref.id = str(call_id) if call_id is not None else None
    ref.name = str(name or "")
    return ref


def _data_size(data: Any) -> int | None:
    if isinstance(data, str):
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        return len(data) * 3 // 4
    return None


def _part_text_or_attachment(part: Any, texts: list[str], attachments: list[Attachment], reasoning: list[str]) -> None:
    """Sort one content part (any provider) into text, attachment or reasoning."""
    if isinstance(part, str):
        texts.append(part)
        return
    if not isinstance(part, dict):
        texts.append(_json_text(part))
        return
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text") or (kind is None and "text" in part):
        texts.append(str(part.get("text", "")))
    elif kind == "refusal":
        texts.append(f"(refusal) {part.get('refusal', '')}")
    elif kind in ("thinking", "redacted_thinking"):
        reasoning.append(str(part.get("thinking") or "(redacted thinking)"))
    elif kind == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        media = url[5:].split(";", 1)[0] if url.startswith("data:") else None
        attachments.append(Attachment(kind="image", media_type=media, size=_data_size(url), source=None if media else url[:200]))
    elif kind in ("input_image",):
        url = part.get("image_url") or ""
        media = url[5:].split(";", 1)[0] if isinstance(url, str) and url.startswith("data:") else None
        attachments.append(Attachment(kind="image", media_type=media, size=_data_size(url)))
    elif kind in ("image", "document"):
        source = part.get("source") or {}
        attachments.append(
            Attachment(
                kind=kind,
                media_type=source.get("media_type"),
                size=_data_size(source.get("data")),
                source=source.get("url") if source.get("type") == "url" else None,
            )
        )
    elif kind in ("input_audio",):
        audio = part.get("input_audio") or {}
        attachments.append(Attachment(kind="audio", media_type=audio.get("format"), size=_data_size(audio.get("data"))))
    elif kind in ("file", "input_file"):
        file = part.get("file") or part
        attachments.append(Attachment(kind="file", media_type=file.get("filename"), size=_data_size(file.get("file_data"))))
    else:
        texts.append(_json_text(part))


def _content(content: Any) -> tuple[str, list[Attachment], list[str]]:
    texts: list[str] = []
    attachments: list[Attachment] = []
    reasoning: list[str] = []
    if content is None:
        return "", attachments, reasoning
    if isinstance(content, list):
        for part in content:
            _part_text_or_attachment(part, texts, attachments, reasoning)
    else:
        _part_text_or_attachment(content, texts, attachments, reasoning)
    return "\n".join(texts), attachments, reasoning


def _role(value: Any, default: str = "user") -> Any:
    role = str(value or default)
    return role if role in ("system", "developer", "user", "assistant", "tool") else "user"


# ---------------------------------------------------------------- openai chat


def _chat_message(raw: Any) -> Message:
    if not isinstance(raw, dict):
        return Message(role="user", text=_json_text(raw))
    text, attachments, reasoning = _content(raw.get("content"))
    if raw.get("reasoning_content"):
        reasoning.append(str(raw["reasoning_content"]))
    if raw.get("refusal"):
        text = (text + "\n" if text else "") + f"(refusal) {raw['refusal']}"
    calls = [
        _call(call.get("id"), (call.get("function") or {}).get("name"), (call.get("function") or {}).get("arguments"))
        for call in raw.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    if raw.get("function_call"):
        fc = raw["function_call"]
        calls.append(_call(None, fc.get("name"), fc.get("arguments")))
    role = _role(raw.get("role"))
    if raw.get("role") == "function":
        role = "tool"
    return Message(
        role=role,
        text=text,
        tool_calls=calls,
        tool_call_id=raw.get("tool_call_id"),
        tool_name=raw.get("name") if role == "tool" else None,
        reasoning=reasoning,
        attachments=attachments,
    )


def _chat_request(request: dict[str, Any]) -> list[Message]:
    return [_chat_message(m) for m in request.get("messages") or []]


def _chat_response(response: dict[str, Any]) -> list[Message]:
    out = []
    for choice in response.get("choices") or []:
        if isinstance(choice, dict):
            out.append(_chat_message(choice.get("message") or choice.get("delta") or {"role": "assistant"}))
    return out


def _chat_tools(request: dict[str, Any]) -> list[ToolSpec]:
    specs = []
    for tool in request.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict):
            specs.append(ToolSpec(name=str(fn.get("name", "")), description=fn.get("description") or "", parameters=fn.get("parameters")))
    for fn in request.get("functions") or []:
        if isinstance(fn, dict):
            specs.append(ToolSpec(name=str(fn.get("name", "")), description=fn.get("description") or "", parameters=fn.get("parameters")))
    return specs


# ------------------------------------------------------------ openai responses


def _responses_items(items: Any, default_role: str) -> list[Message]:
    if isinstance(items, str):
        return [Message(role=_role(default_role), text=items)]
    messages: list[Message] = []
    pending_reasoning: list[str] = []
    for item in items or []:
        if not isinstance(item, dict):
            messages.append(Message(role="user", text=_json_text(item)))
            continue
        kind = item.get("type", "message")
        if kind == "message" or ("role" in item and kind not in ("function_call", "function_call_output")):
            text, attachments, reasoning = _content(item.get("content"))
            role = _role(item.get("role"), default_role)
            messages.append(Message(role=role, text=text, attachments=attachments, reasoning=pending_reasoning + reasoning))
            pending_reasoning = []
        elif kind in ("function_call", "custom_tool_call"):
            call = _call(item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments", item.get("input")))
            if messages and messages[-1].role == "assistant" and not messages[-1].tool_call_id:
                messages[-1].tool_calls.append(call)
            else:
                messages.append(Message(role="assistant", tool_calls=[call], reasoning=pending_reasoning))
                pending_reasoning = []
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            text, attachments, _ = _content(output) if isinstance(output, list) else (_json_text(output), [], [])
            messages.append(Message(role="tool", text=text, tool_call_id=item.get("call_id"), attachments=attachments))
        elif kind == "reasoning":
            summary = [str(s.get("text", "")) for s in item.get("summary") or [] if isinstance(s, dict)]
            content = [str(s.get("text", "")) for s in item.get("content") or [] if isinstance(s, dict)]
            pending_reasoning.extend(summary + content or ["(reasoning, encrypted)"])
        else:
            messages.append(Message(role="assistant" if default_role == "assistant" else "user", text=_json_text(item)))
    if pending_reasoning:
        messages.append(Message(role="assistant", reasoning=pending_reasoning))
    return messages


def _responses_request(request: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    if request.get("instructions"):
        messages.append(Message(role="system", text=_json_text(request["instructions"])))
    messages.extend(_responses_items(request.get("input"), "user"))
    return messages


def _responses_response(response: dict[str, Any]) -> list[Message]:
    messages = _responses_items(response.get("output"), "assistant")
    merged: list[Message] = []
    for message in messages:  # one assistant turn: text, reasoning and calls together
        if merged and message.role == "assistant" and merged[-1].role == "assistant":
            last = merged[-1]
            last.text = "\n".join(t for t in (last.text, message.text) if t)
            last.tool_calls.extend(message.tool_calls)
            last.reasoning.extend(message.reasoning)
            last.attachments.extend(message.attachments)
        else:
            merged.append(message)
    return merged


def _responses_tools(request: dict[str, Any]) -> list[ToolSpec]:
    specs = []
    for tool in request.get("tools") or []:
        if isinstance(tool, dict) and tool.get("name"):
            specs.append(ToolSpec(name=str(tool["name"]), description=tool.get("description") or "", parameters=tool.get("parameters")))
    return specs


# --------------------------------------------------------- anthropic messages


def _anthropic_message(raw: Any) -> list[Message]:
    if not isinstance(raw, dict):
        return [Message(role="user", text=_json_text(raw))]
    role = _role(raw.get("role"))
    content = raw.get("content")
    if isinstance(content, str) or content is None:
        return [Message(role=role, text=content or "")]
    out: list[Message] = []
    texts: list[str] = []
    attachments: list[Attachment] = []
    reasoning: list[str] = []
    calls: list[ToolCallRef] = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            calls.append(_call(block.get("id"), block.get("name"), block.get("input")))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            text, result_attachments, _ = _content(block.get("content"))
            out.append(
                Message(
                    role="tool",
                    text=text,
                    tool_call_id=block.get("tool_use_id"),
                    is_error=bool(block.get("is_error")),
                    attachments=result_attachments,
                )
            )
        else:
            _part_text_or_attachment(block, texts, attachments, reasoning)
    if texts or attachments or reasoning or calls or not out:
        out.append(Message(role=role, text="\n".join(texts), attachments=attachments, reasoning=reasoning, tool_calls=calls))
    return out


def _anthropic_request(request: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    system = request.get("system")
    if system:
        text, _, _ = _content(system)
        messages.append(Message(role="system", text=text))
    for raw in request.get("messages") or []:
        messages.extend(_anthropic_message(raw))
    return messages


def _anthropic_response(response: dict[str, Any]) -> list[Message]:
    return _anthropic_message({"role": response.get("role", "assistant"), "content": response.get("content") or []})


def _anthropic_tools(request: dict[str, Any]) -> list[ToolSpec]:
    return [
        ToolSpec(name=str(t.get("name", "")), description=t.get("description") or "", parameters=t.get("input_schema"))
        for t in request.get("tools") or []
        if isinstance(t, dict) and t.get("name")
    ]


# -------------------------------------------------------------------- usage


def usage_from_response(api: str, response: Any) -> Usage | None:
    """Neutral token counts from a provider response (``None`` if it holds none)."""
    if not isinstance(response, dict):
        return None
    raw = response.get("usage") or response.get("usage_metadata")
    if not isinstance(raw, dict):
        return None
    if api == OPENAI_CHAT:
        details = raw.get("prompt_tokens_details") or {}
        out_details = raw.get("completion_tokens_details") or {}
        return Usage(
            input_tokens=raw.get("prompt_tokens"),
            output_tokens=raw.get("completion_tokens"),
            total_tokens=raw.get("total_tokens"),
            cached_input_tokens=details.get("cached_tokens") if isinstance(details, dict) else None,
            reasoning_tokens=out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None,
        )
    if api == OPENAI_RESPONSES:
        details = raw.get("input_tokens_details") or {}
        out_details = raw.get("output_tokens_details") or {}
        return Usage(
            input_tokens=raw.get("input_tokens"),
            output_tokens=raw.get("output_tokens"),
            total_tokens=raw.get("total_tokens"),
            cached_input_tokens=details.get("cached_tokens") if isinstance(details, dict) else None,
            reasoning_tokens=out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None,
        )
    if api == ANTHROPIC_MESSAGES:
        input_tokens = raw.get("input_tokens")
        output_tokens = raw.get("output_tokens")
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=(input_tokens or 0) + (output_tokens or 0) if input_tokens is not None else None,
            cached_input_tokens=raw.get("cache_read_input_tokens"),
            cache_creation_input_tokens=raw.get("cache_creation_input_tokens"),
        )
    return Usage(
        input_tokens=raw.get("input_tokens", raw.get("prompt_tokens")),
        output_tokens=raw.get("output_tokens", raw.get("completion_tokens")),
        total_tokens=raw.get("total_tokens"),
    )


_REQUEST = {OPENAI_CHAT: _chat_request, OPENAI_RESPONSES: _responses_request, ANTHROPIC_MESSAGES: _anthropic_request}
_RESPONSE = {OPENAI_CHAT: _chat_response, OPENAI_RESPONSES: _responses_response, ANTHROPIC_MESSAGES: _anthropic_response}
_TOOLS = {OPENAI_CHAT: _chat_tools, OPENAI_RESPONSES: _responses_tools, ANTHROPIC_MESSAGES: _anthropic_tools}


def request_messages(api: str, request: Any) -> list[Message]:
    """Every message the model saw, by role (system first when there is one)."""
    if not isinstance(request, dict):
        return [Message(role="user", text=_json_text(request))] if request is not None else []
    convert = _REQUEST.get(api)
    if convert is None:  # unknown API: best effort on the common shapes
        if "messages" in request:
            return _chat_request(request)
        if "input" in request:
            return _responses_request(request)
        return [Message(role="user", text=_json_text(request))]
    return convert(request)


def response_messages(api: str, response: Any) -> list[Message]:
    """The answer as messages (normally one assistant message)."""
    if response is None:
        return []
    if not isinstance(response, dict):
        return [Message(role="assistant", text=_json_text(response))]
    convert = _RESPONSE.get(api)
    if convert is None:
        if "choices" in response:
            return _chat_response(response)
        if "content" in response:
            return _anthropic_response(response)
        return [Message(role="assistant", text=_json_text(response))]
    return convert(response)


def request_tools(api: str, request: Any) -> list[ToolSpec]:
    """The tools the request offered."""
    if not isinstance(request, dict):
        return []
    convert = _TOOLS.get(api)
    if convert is None:
        return _chat_tools(request) or _anthropic_tools(request) or _responses_tools(request)
    return convert(request)


_PARAM_SKIP = {"messages", "input", "instructions", "system", "tools", "model", "functions", "stream", "stream_options"}


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
    def of(cls, span: Span) -> LLMView:
        data = span.input if isinstance(span.input, dict) else {}
        provider = data.get("provider")
        api = api_key(provider, data.get("api"))
        raw_request = data.get("request")
        request: dict[str, Any] = raw_request if isinstance(raw_request, dict) else {}
        response = span.output
        model = request.get("model") or span.attributes.get("model")
        if isinstance(response, dict) and response.get("model"):
            model = model or response.get("model")
        return cls(
            provider=provider,
            api=api,
            model=model,
            request=request,
            response=response,
            prompt=request_messages(api, request),
            answer=response_messages(api, response),
            tools=request_tools(api, request),
            params={k: v for k, v in request.items() if k not in _PARAM_SKIP},
            replayable=bool(span.attributes.get("replayable", True)) and api in APIS and bool(request),
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
            call_id=data.get("call_id"),
            result=span.output,
        )

    @property
    def result_text(self) -> str:
        return _json_text(self.result) if self.result is not None else ""
