"""OpenAI ``chat.completions`` and ``responses`` requests/responses as neutral messages."""

from __future__ import annotations

from typing import Any

from agentdbg.model.content import json_text, normalise_role, split_content, tool_call_ref
from agentdbg.model.messages import Message, ToolSpec


def _chat_message(raw: Any) -> Message:
    if not isinstance(raw, dict):
        return Message(role="user", text=json_text(raw))
    text, attachments, reasoning = split_content(raw.get("content"))
    if raw.get("reasoning_content"):
        reasoning.append(str(raw["reasoning_content"]))
    if raw.get("refusal"):
        text = (text + "\n" if text else "") + f"(refusal) {raw['refusal']}"
    calls = [
        tool_call_ref(
            call.get("id"),
            (call.get("function") or {}).get("name"),
            (call.get("function") or {}).get("arguments"),
        )
        for call in raw.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    if raw.get("function_call"):
        fc = raw["function_call"]
        calls.append(tool_call_ref(None, fc.get("name"), fc.get("arguments")))
    role = normalise_role(raw.get("role"))
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
            specs.append(
                ToolSpec(
                    name=str(fn.get("name", "")),
                    description=fn.get("description") or "",
                    parameters=fn.get("parameters"),
                )
            )
    for fn in request.get("functions") or []:
        if isinstance(fn, dict):
            specs.append(
                ToolSpec(
                    name=str(fn.get("name", "")),
                    description=fn.get("description") or "",
                    parameters=fn.get("parameters"),
                )
            )
    return specs


def _responses_items(items: Any, default_role: str) -> list[Message]:
    if isinstance(items, str):
        return [Message(role=normalise_role(default_role), text=items)]
    messages: list[Message] = []
    pending_reasoning: list[str] = []
    for item in items or []:
        if not isinstance(item, dict):
            messages.append(Message(role="user", text=json_text(item)))
            continue
        kind = item.get("type", "message")
        if kind == "message" or ("role" in item and kind not in ("function_call", "function_call_output")):
            text, attachments, reasoning = split_content(item.get("content"))
            role = normalise_role(item.get("role"), default_role)
            messages.append(
                Message(
                    role=role, text=text, attachments=attachments, reasoning=pending_reasoning + reasoning
                )
            )
            pending_reasoning = []
        elif kind in ("function_call", "custom_tool_call"):
            call = tool_call_ref(
                item.get("call_id") or item.get("id"),
                item.get("name"),
                item.get("arguments", item.get("input")),
            )
            if messages and messages[-1].role == "assistant" and not messages[-1].tool_call_id:
                messages[-1].tool_calls.append(call)
            else:
                messages.append(Message(role="assistant", tool_calls=[call], reasoning=pending_reasoning))
                pending_reasoning = []
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            text, attachments, _ = (
                split_content(output) if isinstance(output, list) else (json_text(output), [], [])
            )
            messages.append(
                Message(role="tool", text=text, tool_call_id=item.get("call_id"), attachments=attachments)
            )
        elif kind == "reasoning":
            summary = [str(s.get("text", "")) for s in item.get("summary") or [] if isinstance(s, dict)]
            content = [str(s.get("text", "")) for s in item.get("content") or [] if isinstance(s, dict)]
            pending_reasoning.extend(summary + content or ["(reasoning, encrypted)"])
        else:
            messages.append(
                Message(role="assistant" if default_role == "assistant" else "user", text=json_text(item))
            )
    if pending_reasoning:
        messages.append(Message(role="assistant", reasoning=pending_reasoning))
    return messages


def _responses_request(request: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    if request.get("instructions"):
        messages.append(Message(role="system", text=json_text(request["instructions"])))
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
            specs.append(
                ToolSpec(
                    name=str(tool["name"]),
                    description=tool.get("description") or "",
                    parameters=tool.get("parameters"),
                )
            )
    return specs
