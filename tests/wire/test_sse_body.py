"""Each codec's ``sse_body(response)`` is a stream the official SDK parses back to the same answer.

The body is served at the HTTP transport (``httpx.MockTransport``) to the real SDK's own stream
helpers, exactly as code-level replay serves a recorded streamed response.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from agentdbg.testing import Reply, ScriptedToolCall
from agentdbg.testing.wire_anthropic import messages_json
from agentdbg.testing.wire_openai import chat_json, responses_json
from agentdbg.wire import anthropic_messages, codec, openai_chat, openai_responses

_COUNTER = itertools.count(1)
REPLY = Reply(
    text="The weather in Paris is rainy, bring an umbrella.",
    tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris", "unit": "c"}, "call_1")],
    reasoning="Check the weather first.",
    usage={"input_tokens": 30, "output_tokens": 12},
)


def _new_id(prefix: str) -> str:
    return f"{prefix}{next(_COUNTER)}"


@contextlib.contextmanager
def _serve(body: bytes, content_type: str = "text/event-stream") -> Iterator[str]:
    """A real local HTTP server answering every POST with ``body``; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _unstreamed(response: dict[str, Any]) -> contextlib.AbstractContextManager[str]:
    return _serve(json.dumps(response).encode(), "application/json")


def test_chat_sse_body_parses_back_in_the_sdk() -> None:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "weather?"}]}
    response = chat_json(REPLY, request, _new_id)
    with _serve(openai_chat.sse_body(response)) as url:
        client = openai.OpenAI(api_key="test", base_url=url, max_retries=0)
        chunks = list(client.chat.completions.create(**request, stream=True))
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 30
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == response["choices"][0]["message"]["content"]
    arguments = "".join(
        call.function.arguments or ""
        for c in chunks
        if c.choices
        for call in c.choices[0].delta.tool_calls or []
        if call.function
    )
    assert arguments == response["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def _final_responses(url: str, request: dict[str, Any], streamed: bool) -> Any:
    client = openai.OpenAI(api_key="test", base_url=url, max_retries=0)
    if not streamed:
        return client.responses.create(**request)
    with client.responses.stream(**request) as stream:
        return stream.get_final_response()


def _final_message(url: str, request: dict[str, Any], streamed: bool) -> Any:
    client = anthropic.Anthropic(api_key="test", base_url=url, max_retries=0)
    if not streamed:
        return client.messages.create(**request)
    with client.messages.stream(**request) as stream:
        return stream.get_final_message()


@pytest.mark.parametrize(
    ("wire", "render", "request_body", "final"),
    [
        (openai_responses, responses_json, {"model": "gpt-4o-mini", "input": "weather?"}, _final_responses),
        (
            anthropic_messages,
            messages_json,
            {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "weather?"}]},
            _final_message,
        ),
    ],
    ids=["responses", "anthropic"],
)
def test_sse_body_parses_back_in_the_sdks_stream_helper_to_the_unstreamed_answer(
    wire: Any, render: Any, request_body: dict[str, Any], final: Any
) -> None:
    response = render(REPLY, request_body, _new_id)
    with _serve(wire.sse_body(response)) as url:
        streamed = final(url, request_body, True)
    with _unstreamed(response) as url:
        unstreamed = final(url, request_body, False)
    assert streamed.model_dump(mode="json", exclude_none=True) == unstreamed.model_dump(mode="json", exclude_none=True)
    assert wire.final_text(response) == "The weather in Paris is rainy, bring an umbrella."


def _same_answer(api: str, original: dict[str, Any]) -> None:
    wire = codec(api)
    assert wire is not None
    assembled = wire.assemble_sse(wire.sse_body(original))
    assert assembled is not None
    assert wire.tool_calls(assembled) == wire.tool_calls(original)
    assert wire.final_text(assembled) == wire.final_text(original)
    assert wire.finish_reason(assembled) == wire.finish_reason(original)
    assert wire.usage(assembled) == wire.usage(original)
    assert wire.response_messages(assembled) == wire.response_messages(original)


def test_assemble_sse_inverts_sse_body_for_every_api() -> None:
    chat_request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    _same_answer(openai_chat.API, chat_json(REPLY, chat_request, _new_id))
    _same_answer(openai_chat.API, chat_json(Reply(text="  leading space\nand lines  "), chat_request, _new_id))
    _same_answer(openai_responses.API, responses_json(REPLY, {"model": "m", "input": "hi"}, _new_id))
    _same_answer(anthropic_messages.API, messages_json(REPLY, {"model": "m", "messages": []}, _new_id))


def test_codec_lookup_by_recorded_api_name() -> None:
    assert codec("openai.chat.completions") is openai_chat
    assert codec("openai.responses") is openai_responses
    assert codec("anthropic.messages") is anthropic_messages
    assert codec("cohere.chat") is None
