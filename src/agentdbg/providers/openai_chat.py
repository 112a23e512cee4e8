"""``openai.chat.completions``: assistant messages with ``tool_calls``, answered by ``tool`` messages."""

from __future__ import annotations

import copy
import json
from typing import Any

from agentdbg.providers.base import ProviderAdapter, SequenceProblem, ToolResult
from agentdbg.wire import openai_chat


class OpenAIChatAdapter(ProviderAdapter):
    """Chat Completions through ``openai.OpenAI().chat.completions.create``."""

    codec = openai_chat
    api = openai_chat.API
    provider = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"

    def _new_client(self, key: str, base_url: str | None, max_retries: int, timeout: float) -> Any:
        import openai

        return openai.OpenAI(api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout)

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
        messages = copy.deepcopy(request.get("messages") or [])
        for message in messages:
            if (
                isinstance(message, dict)
                and message.get("role") == "tool"
                and message.get("tool_call_id") == call_id
            ):
                message["content"] = content
                return {**request, "messages": messages}
        return None

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        messages = copy.deepcopy(request.get("messages") or [])
        for message in messages:
            for call in (message.get("tool_calls") or []) if isinstance(message, dict) else []:
                if call.get("id") == call_id:
                    raw = (
                        arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
                    )
                    call.setdefault("function", {})["arguments"] = raw
                    return {**request, "messages": messages}
        return None

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
