"""The trace model and the provider-neutral message view."""

from __future__ import annotations

from agentdbg.model import (
    ANTHROPIC_MESSAGES,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    Span,
    SpanStartRecord,
    request_messages,
    request_tools,
    response_messages,
    usage_from_response,
)

from .helpers import CHAT_REQUEST, CHAT_RESPONSE, llm_span


def test_unknown_fields_are_kept_on_records() -> None:
    record = SpanStartRecord.model_validate({"type": "span_start", "id": "a", "future_field": {"x": 1}})
    assert record.model_extra == {"future_field": {"x": 1}}
    assert record.model_dump()["future_field"] == {"x": 1}


def test_openai_chat_view_has_roles_tool_calls_and_usage() -> None:
    record = llm_span("s", None, CHAT_REQUEST, CHAT_RESPONSE)
    record.pop("type")
    span = Span(**record, step=1, ended=True)
    view = span.llm
    assert view is not None
    assert view.api == OPENAI_CHAT
    assert [m.role for m in view.prompt] == ["system", "user"]
    assert view.prompt[1].text == "What's the weather in Paris?"
    assert [t.name for t in view.tools] == ["get_weather"]
    call = view.tool_calls[0]
    assert (call.id, call.name, call.arguments) == ("call_1", "get_weather", {"city": "Paris"})
    assert view.params == {"temperature": 0}
    usage = usage_from_response(OPENAI_CHAT, CHAT_RESPONSE)
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (82, 17)


def test_invalid_json_arguments_are_kept_raw() -> None:
    response = {"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"city": '}}]}}]}
    call = response_messages(OPENAI_CHAT, response)[0].tool_calls[0]
    assert call.arguments_valid_json is False
    assert call.arguments == '{"city": '


def test_anthropic_view_splits_tool_results_and_thinking() -> None:
    request = {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Be terse."}],
        "messages": [
            {"role": "user", "content": "Largest city?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu1", "name": "country", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "France", "is_error": False},
                                         {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA" * 100}}]},
        ],
        "tools": [{"name": "country", "description": "user's country", "input_schema": {"type": "object"}}],
    }
    messages = request_messages(ANTHROPIC_MESSAGES, request)
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "user"]
    assert messages[3].tool_call_id == "tu1" and messages[3].text == "France"
    assert messages[4].attachments[0].label() == "[image image/png, 300 bytes]"
    assert request_tools(ANTHROPIC_MESSAGES, request)[0].parameters == {"type": "object"}
    response = {"role": "assistant", "content": [{"type": "thinking", "thinking": "Paris is largest."},
                                                 {"type": "text", "text": "Paris."}],
                "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 4}}
    answer = response_messages(ANTHROPIC_MESSAGES, response)
    assert answer[0].reasoning == ["Paris is largest."] and answer[0].text == "Paris."
    usage = usage_from_response(ANTHROPIC_MESSAGES, response)
    assert usage is not None and usage.cached_input_tokens == 4 and usage.total_tokens == 15


def test_openai_responses_view() -> None:
    request = {
        "model": "gpt-5",
        "instructions": "You are a coder.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "list files"}]},
            {"type": "function_call", "call_id": "fc1", "name": "shell", "arguments": '{"cmd": "ls"}'},
            {"type": "function_call_output", "call_id": "fc1", "output": "a.py"},
        ],
        "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}}],
    }
    messages = request_messages(OPENAI_RESPONSES, request)
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2].tool_calls[0].arguments == {"cmd": "ls"}
    assert messages[3].tool_call_id == "fc1"
    response = {"output": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "look"}]},
                           {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a.py"}]}]}
    answer = response_messages(OPENAI_RESPONSES, response)
    assert len(answer) == 1 and answer[0].reasoning == ["look"] and answer[0].text == "a.py"


def test_span_status_and_duration() -> None:
    assert Span(id="a", ended=True, started_at=1.0, ended_at=3.5).status == "ok"
    assert Span(id="a", ended=True, started_at=1.0, ended_at=3.5).duration == 2.5
    assert Span(id="a").status == "incomplete"
    assert Span(id="a", ended=True, error={"type": "X", "message": "m"}).status == "error"


def test_views_survive_odd_field_types() -> None:
    tool = Span(id="t", kind="tool", input={"name": 5, "arguments": [1], "call_id": 42}, ended=True)
    assert tool.tool is not None and tool.tool.call_id == "42" and tool.tool.name == "5"
    odd = {"provider": 1, "api": "chat.completions", "request": {"model": 3, "messages": [{"role": "tool", "tool_call_id": 7, "content": "x"}]}}
    llm = Span(id="l", kind="llm", input=odd, output={"choices": "nope"}, ended=True).llm
    assert llm is not None and llm.model == "3"
    assert llm.prompt and llm.prompt[0].text  # shown, as messages or as JSON, never an exception
