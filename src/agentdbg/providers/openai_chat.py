"""``openai.chat.completions``: assistant messages with ``tool_calls``, answered by ``tool`` messages."""

from __future__ import annotations

import json
from typing import Any

from agentdbg.providers.base import ProviderAdapter, SequenceProblem, ToolResult, edit_first
from agentdbg.wire import openai_chat


class OpenAIChatAdapter(ProviderAdapter):
    """Chat Completions through ``openai.OpenAI().chat.completions.create``."""

    codec = openai_chat
    api = openai_chat.API
    provider = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"
    client_class = "OpenAI"

    def _method(self, client: Any) -> Any:
        return client.chat.completions.create

    def append_turn(
        self, request: dict[str, Any], response: dict[str, Any], results: list[ToolResult]
    ) -> dict[str, Any]:
        message = openai_chat.first_message(response)
        assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        calls = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {
                    "name": (call.get("function") or {}).get("name"),
                    "arguments": (call.get("function") or {}).get("arguments") or "{}",
                },
            }
            for call in message.get("tool_calls") or []
        ]
        if calls:
            assistant["tool_calls"] = calls
        following = dict(request)
        following["messages"] = [*(request.get("messages") or []), assistant] + [
            {"role": "tool", "tool_call_id": result.call.call_id, "content": result.content}
            for result in results
        ]
        return following

    def replace_tool_result(
        self, request: dict[str, Any], call_id: str, content: str
    ) -> dict[str, Any] | None:
        def edit(message: dict[str, Any]) -> bool:
            if message.get("role") != "tool" or message.get("tool_call_id") != call_id:
                return False
            message["content"] = content
            return True

        return edit_first(request, "messages", request.get("messages") or [], edit)

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)

        def edit(message: dict[str, Any]) -> bool:
            for call in message.get("tool_calls") or []:
                if call.get("id") == call_id:
                    call.setdefault("function", {})["arguments"] = raw
                    return True
            return False

        return edit_first(request, "messages", request.get("messages") or [], edit)

    def sequence_problems(self, request: dict[str, Any]) -> list[SequenceProblem]:
        problems: list[SequenceProblem] = []
        open_calls: dict[str, int] = {}  # call id -> index of the assistant message that made it
        for index, message in enumerate(request.get("messages") or []):
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role == "tool":
                call_id = str(message.get("tool_call_id"))
                if call_id not in open_calls:
                    problems.append(
                        SequenceProblem(
                            index, f"tool message for {call_id!r} answers no preceding assistant tool call"
                        )
                    )
                open_calls.pop(call_id, None)
                continue
            for call_id, origin in open_calls.items():
                problems.append(
                    SequenceProblem(origin, f"assistant tool call {call_id!r} has no tool message after it")
                )
            open_calls = {}
            if role == "assistant":
                for call in message.get("tool_calls") or []:
                    open_calls[str(call.get("id"))] = index
        for call_id, origin in open_calls.items():
            problems.append(
                SequenceProblem(origin, f"assistant tool call {call_id!r} has no tool message after it")
            )
        return problems
