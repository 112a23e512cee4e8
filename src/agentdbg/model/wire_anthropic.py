"""Anthropic ``messages`` requests/responses as neutral messages."""

from __future__ import annotations

from typing import Any

from agentdbg.model.content import json_text, normalise_role, sort_content_part, split_content, tool_call_ref
from agentdbg.model.messages import Attachment, Message, ToolCallRef, ToolSpec


def _anthropic_message(raw: Any) -> list[Message]:
    if not isinstance(raw, dict):
        return [Message(role="user", text=json_text(raw))]
    role = normalise_role(raw.get("role"))
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
            calls.append(tool_call_ref(block.get("id"), block.get("name"), block.get("input")))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            text, result_attachments, _ = split_content(block.get("content"))
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
            sort_content_part(block, texts, attachments, reasoning)
    if texts or attachments or reasoning or calls or not out:
        out.append(
            Message(
                role=role,
                text="\n".join(texts),
                attachments=attachments,
                reasoning=reasoning,
                tool_calls=calls,
            )
        )
    return out


def _anthropic_request(request: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    system = request.get("system")
    if system:
        text, _, _ = split_content(system)
        messages.append(Message(role="system", text=text))
    for raw in request.get("messages") or []:
        messages.extend(_anthropic_message(raw))
    return messages


def _anthropic_response(response: dict[str, Any]) -> list[Message]:
    return _anthropic_message(
        {"role": response.get("role", "assistant"), "content": response.get("content") or []}
    )


def _anthropic_tools(request: dict[str, Any]) -> list[ToolSpec]:
    return [
        ToolSpec(
            name=str(t.get("name", "")),
            description=t.get("description") or "",
            parameters=t.get("input_schema"),
        )
        for t in request.get("tools") or []
        if isinstance(t, dict) and t.get("name")
    ]
