"""``openai.responses``: stateless ``input`` lists of output items plus ``function_call_output`` items."""

from __future__ import annotations

import json
from typing import Any

from agentdbg.providers.base import ProviderAdapter, SequenceProblem, ToolResult, edit_first
from agentdbg.wire import openai_responses
from agentdbg.wire.openai_responses import CALL_TYPES as _CALL_TYPES
from agentdbg.wire.openai_responses import OUTPUT_TYPES as _OUTPUT_TYPES
from agentdbg.wire.openai_responses import input_items, strip_none


class OpenAIResponsesAdapter(ProviderAdapter):
    """The Responses API through ``openai.OpenAI().responses.create``, always stateless."""

    codec = openai_responses
    api = openai_responses.API
    provider = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"
    client_class = "OpenAI"

    def _method(self, client: Any) -> Any:
        return client.responses.create

    def finish_reason(self, response: dict[str, Any]) -> str | None:
        """``tool_calls`` when calling tools (the API has no finish reason), else the codec's reading."""
        if self.codec.tool_calls(response):
            return "tool_calls"
        return self.codec.finish_reason(response)

    def append_turn(
        self, request: dict[str, Any], response: dict[str, Any], results: list[ToolResult]
    ) -> dict[str, Any]:
        output = [strip_none(item) for item in response.get("output") or [] if isinstance(item, dict)]
        outputs = []
        for result in results:
            kind = (
                "custom_tool_call_output"
                if self._is_custom(response, result.call.call_id)
                else "function_call_output"
            )
            outputs.append({"type": kind, "call_id": result.call.call_id, "output": result.content})
        following = dict(request)
        following.pop("previous_response_id", None)
        following["input"] = [*input_items(request.get("input")), *output, *outputs]
        return following

    @staticmethod
    def _is_custom(response: dict[str, Any], call_id: str | None) -> bool:
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("call_id") == call_id:
                return item.get("type") == "custom_tool_call"
        return False

    def replace_tool_result(
        self, request: dict[str, Any], call_id: str, content: str
    ) -> dict[str, Any] | None:
        def edit(item: dict[str, Any]) -> bool:
            if item.get("type") not in _OUTPUT_TYPES or item.get("call_id") != call_id:
                return False
            item["output"] = content
            return True

        return edit_first(request, "input", input_items(request.get("input")), edit)

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)

        def edit(item: dict[str, Any]) -> bool:
            if item.get("type") not in _CALL_TYPES or item.get("call_id") != call_id:
                return False
            item["input" if item.get("type") == "custom_tool_call" else "arguments"] = raw
            return True

        return edit_first(request, "input", input_items(request.get("input")), edit)

    def sequence_problems(self, request: dict[str, Any]) -> list[SequenceProblem]:
        problems: list[SequenceProblem] = []
        open_calls: dict[str, int] = {}
        for index, item in enumerate(input_items(request.get("input"))):
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind in _CALL_TYPES:
                open_calls[str(item.get("call_id"))] = index
            elif kind in _OUTPUT_TYPES:
                call_id = str(item.get("call_id"))
                if call_id not in open_calls:
                    problems.append(
                        SequenceProblem(index, f"{kind} for {call_id!r} answers no preceding function_call")
                    )
                open_calls.pop(call_id, None)
        for call_id, origin in open_calls.items():
            problems.append(
                SequenceProblem(origin, f"function_call {call_id!r} has no function_call_output after it")
            )
        return problems
