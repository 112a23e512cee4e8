"""``anthropic.messages``: assistant ``tool_use`` blocks answered by user ``tool_result`` blocks."""

from __future__ import annotations

import copy
from typing import Any

from agentdbg.providers.base import ProviderAdapter, SequenceProblem, ToolResult
from agentdbg.wire import anthropic_messages
from agentdbg.wire.anthropic_messages import blocks as _blocks
from agentdbg.wire.anthropic_messages import request_block


class AnthropicMessagesAdapter(ProviderAdapter):
    """The Messages API through ``anthropic.Anthropic().messages.create``."""

    codec = anthropic_messages
    api = anthropic_messages.API
    provider = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    base_url_env = "ANTHROPIC_BASE_URL"

    def _new_client(self, key: str, base_url: str | None, max_retries: int, timeout: float) -> Any:
        import anthropic

        return anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout)

    def _method(self, client: Any) -> Any:
        return client.messages.create

    def append_turn(
        self, request: dict[str, Any], response: dict[str, Any], results: list[ToolResult]
    ) -> dict[str, Any]:
        assistant = {
            "role": "assistant",
            "content": [
                request_block(block) for block in response.get("content") or [] if isinstance(block, dict)
            ],
        }
        messages = [*(request.get("messages") or []), assistant]
        if results:
            blocks = []
            for result in results:
                block: dict[str, Any] = {
                    "type": "tool_result",
                    "tool_use_id": result.call.call_id,
                    "content": result.content,
                }
                if result.is_error:
                    block["is_error"] = True
                blocks.append(block)
            messages.append({"role": "user", "content": blocks})
        return {**request, "messages": messages}

    def replace_tool_result(
        self, request: dict[str, Any], call_id: str, content: str
    ) -> dict[str, Any] | None:
        messages = copy.deepcopy(request.get("messages") or [])
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("content"), list):
                continue
            for block in message["content"]:
                if (
                    isinstance(block, dict)
                    and block.get("type") == "tool_result"
                    and block.get("tool_use_id") == call_id
                ):
                    block["content"] = content
                    block.pop("is_error", None)
                    return {**request, "messages": messages}
        return None

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        messages = copy.deepcopy(request.get("messages") or [])
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("content"), list):
                continue
            for block in message["content"]:
                if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("id") == call_id:
                    block["input"] = arguments
                    return {**request, "messages": messages}
        return None

    def sequence_problems(self, request: dict[str, Any]) -> list[SequenceProblem]:
        problems: list[SequenceProblem] = []
        open_calls: dict[str, int] = {}
        for index, message in enumerate(request.get("messages") or []):
            if not isinstance(message, dict):
                continue
            blocks = [block for block in _blocks(message) if isinstance(block, dict)]
            answered = {str(b.get("tool_use_id")) for b in blocks if b.get("type") == "tool_result"}
            if message.get("role") == "user":
                for call_id in answered - set(open_calls):
                    problems.append(
                        SequenceProblem(
                            index, f"tool_result for {call_id!r} answers no tool_use in the message before"
                        )
                    )
            for call_id, origin in open_calls.items():
                if call_id not in answered:
                    problems.append(
                        SequenceProblem(
                            origin, f"tool_use {call_id!r} has no tool_result in the next user message"
                        )
                    )
            open_calls = {}
            if message.get("role") == "assistant":
                open_calls = {str(b.get("id")): index for b in blocks if b.get("type") == "tool_use"}
        for call_id, origin in open_calls.items():
            problems.append(SequenceProblem(origin, f"tool_use {call_id!r} has no tool_result after it"))
        return problems
