"""``openai.responses``: stateless ``input`` lists of output items plus ``function_call_output`` items."""

from __future__ import annotations

import copy
import json
from typing import Any

from agentdbg.providers.base import (
    ProviderAdapter,
    SequenceProblem,
    ToolCall,
    ToolResult,
    parse_json_arguments,
)

_CALL_TYPES = ("function_call", "custom_tool_call")
_OUTPUT_TYPES = ("function_call_output", "custom_tool_call_output")


def strip_none(value: Any) -> Any:
    """``value`` without ``None`` entries at any depth (output items carry many unset fields)."""
    if isinstance(value, dict):
        return {key: strip_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [strip_none(item) for item in value]
    return value


def input_items(value: Any) -> list[Any]:
    """The ``input`` of a request as a list (a bare string is one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(value)


class OpenAIResponsesAdapter(ProviderAdapter):
    """The Responses API through ``openai.OpenAI().responses.create``, always stateless."""

    api = "openai.responses"
    provider = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"

    def _new_client(self, key: str, base_url: str | None, max_retries: int, timeout: float) -> Any:
        import openai

        return openai.OpenAI(api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout)

    def _method(self, client: Any) -> Any:
        return client.responses.create

    def tool_calls(self, response: dict[str, Any]) -> list[ToolCall]:
        calls = []
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("type") in _CALL_TYPES:
                arguments, arguments_raw = parse_json_arguments(item.get("arguments", item.get("input")))
                calls.append(
                    ToolCall(
                        item.get("call_id") or item.get("id"),
                        str(item.get("name") or ""),
                        arguments,
                        arguments_raw,
                    )
                )
        return calls

    def final_text(self, response: dict[str, Any]) -> str:
        texts = []
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("type") == "message":
                for part in item.get("content") or []:
                    if isinstance(part, dict) and part.get("type") in ("output_text", "text"):
                        texts.append(str(part.get("text", "")))
        return "\n".join(texts)

    def finish_reason(self, response: dict[str, Any]) -> str | None:
        if self.tool_calls(response):
            return "tool_calls"
        details = response.get("incomplete_details")
        if isinstance(details, dict) and details.get("reason"):
            return str(details["reason"])
        return response.get("status")

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
        items = copy.deepcopy(input_items(request.get("input")))
        for item in items:
            if (
                isinstance(item, dict)
                and item.get("type") in _OUTPUT_TYPES
                and item.get("call_id") == call_id
            ):
                item["output"] = content
                return {**request, "input": items}
        return None

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        items = copy.deepcopy(input_items(request.get("input")))
        for item in items:
            if isinstance(item, dict) and item.get("type") in _CALL_TYPES and item.get("call_id") == call_id:
                raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
                item["input" if item.get("type") == "custom_tool_call" else "arguments"] = raw
                return {**request, "input": items}
        return None

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
