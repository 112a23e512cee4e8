"""``anthropic.messages``: assistant ``tool_use`` blocks answered by user ``tool_result`` blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentdbg.providers.base import ProviderAdapter, SequenceProblem, ToolResult, edit_first
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
    client_class = "Anthropic"

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
        def edit(block: dict[str, Any]) -> bool:
            if block.get("type") != "tool_result" or block.get("tool_use_id") != call_id:
                return False
            block["content"] = content
            block.pop("is_error", None)
            return True

        return self._edit_block(request, edit)

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        def edit(block: dict[str, Any]) -> bool:
            if block.get("type") != "tool_use" or block.get("id") != call_id:
                return False
            block["input"] = arguments
            return True

        return self._edit_block(request, edit)

    @staticmethod
    def _edit_block(request: dict[str, Any], edit: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """``edit_first`` over the content blocks of every message (string contents hold no blocks)."""

        def in_message(message: dict[str, Any]) -> bool:
            content = message.get("content")
            return isinstance(content, list) and any(isinstance(b, dict) and edit(b) for b in content)

        return edit_first(request, "messages", request.get("messages") or [], in_message)

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
