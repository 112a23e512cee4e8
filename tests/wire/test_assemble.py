"""Stream assembly from raw SSE bytes: CRLF framing, multi-line data, torn and error events."""

from __future__ import annotations

from agentdbg.wire.anthropic_messages import assemble as assemble_messages
from agentdbg.wire.openai_chat import assemble as assemble_chat
from agentdbg.wire.sse import parse_sse


def test_parse_sse_handles_crlf_comments_and_multiline_data():
    body = b': keep-alive\r\n\r\nevent: message_start\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata:[DONE]\r\n\r\n'
    assert parse_sse(body) == [("message_start", '{"a":\n1}'), (None, "[DONE]")]


def test_chat_stream_cut_mid_event_keeps_whole_events():
    chunk = b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    torn = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo'
    assembled = assemble_chat(parse_sse(chunk + torn))
    assert assembled.response["choices"][0]["message"]["content"] == "Hel"
    assert assembled.complete is False


def test_error_events_are_reported():
    chat = assemble_chat(parse_sse(b'data: {"error": {"message": "overloaded"}}\n\n'))
    assert chat.error["message"] == "overloaded" and chat.response is None
    claude = assemble_messages(
        parse_sse(
            b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}\n\n'
        )
    )
    assert claude.error["message"] == "busy"
