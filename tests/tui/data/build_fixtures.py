"""Write the TUI fixture traces (run once; the .jsonl files are committed).

Realistic shapes: OpenAI chat tool calling, OpenAI responses with a reasoning summary,
Anthropic with thinking and an image, nested agents with errors and an incomplete step,
bad lines, and a step full of escape sequences and markup.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).parent
T0 = 1764150000.0
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 600).decode()


def line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def header(trace_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "trace",
        "schema_version": 1,
        "trace_id": trace_id,
        "name": name,
        "started_at": T0,
        "metadata": {"env": "test"},
        **extra,
    }


def span(
    sid: str,
    parent: str | None,
    kind: str,
    name: str,
    start: float,
    end: float | None,
    inp: Any,
    out: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "span",
        "id": sid,
        "parent_id": parent,
        "kind": kind,
        "name": name,
        "started_at": T0 + start,
        "input": inp,
    }
    if end is not None:
        record["ended_at"] = T0 + end
        record["output"] = out
    else:
        record["type"] = "span_start"
    record.update(extra)
    return record


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def chat_response(
    rid: str, message: dict[str, Any], prompt: int, completion: int, cached: int = 0, finish: str = "stop"
) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "chat.completion",
        "created": int(T0),
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def openai_tools() -> list[dict[str, Any]]:
    system = {"role": "system", "content": "You are a helpful weather assistant. Answer briefly."}
    user = {
        "role": "user",
        "content": "What's the weather in Paris and in Tokyo? Should I bring an umbrella?",
    }
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_p1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            },
            {
                "id": "call_t1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
            },
        ],
    }
    paris = {
        "role": "tool",
        "tool_call_id": "call_p1",
        "content": '{"city": "Paris", "temp_c": 14, "sky": "rain"}',
    }
    tokyo = {
        "role": "tool",
        "tool_call_id": "call_t1",
        "content": '{"city": "Tokyo", "temp_c": 21, "sky": "clear"}',
    }
    req1 = {"model": "gpt-4o-mini", "messages": [system, user], "tools": [WEATHER_TOOL], "temperature": 0.2}
    req2 = {**req1, "messages": [system, user, call, paris, tokyo]}
    answer = "Paris: 14 °C and rain, so take an umbrella. Tokyo: 21 °C and clear skies, no umbrella needed."
    usage1 = {"input_tokens": 112, "output_tokens": 46, "total_tokens": 158, "cached_input_tokens": 0}
    usage2 = {"input_tokens": 214, "output_tokens": 31, "total_tokens": 245, "cached_input_tokens": 128}
    attrs = {"model": "gpt-4o-mini", "stream": False}
    return [
        header("t-openai-tools", "weather-agent"),
        span(
            "a1", None, "agent", "weather-agent", 0.0, 3.4, {"question": user["content"]}, {"answer": answer}
        ),
        span(
            "s1",
            "a1",
            "llm",
            "chat gpt-4o-mini",
            0.01,
            1.21,
            {"provider": "openai", "api": "chat.completions", "request": req1},
            chat_response("chatcmpl-A1", call, 112, 46, finish="tool_calls"),
            usage=usage1,
            attributes={**attrs, "ttft": 0.41, "request_id": "req_8f2a", "finish_reason": "tool_calls"},
        ),
        span(
            "s2",
            "a1",
            "tool",
            "get_weather",
            1.22,
            1.52,
            {"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": "call_p1"},
            {"city": "Paris", "temp_c": 14, "sky": "rain"},
        ),
        span(
            "s3",
            "a1",
            "tool",
            "get_weather",
            1.53,
            1.80,
            {"name": "get_weather", "arguments": {"city": "Tokyo"}, "call_id": "call_t1"},
            {"city": "Tokyo", "temp_c": 21, "sky": "clear"},
        ),
        span(
            "s4",
            "a1",
            "llm",
            "chat gpt-4o-mini",
            1.81,
            3.39,
            {"provider": "openai", "api": "chat.completions", "request": req2},
            chat_response("chatcmpl-A2", {"role": "assistant", "content": answer}, 214, 31, cached=128),
            usage=usage2,
            attributes={**attrs, "ttft": 0.38, "request_id": "req_9b11", "finish_reason": "stop"},
        ),
    ]


def anthropic_thinking() -> list[dict[str, Any]]:
    user = {
        "role": "user",
        "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
            {
                "type": "text",
                "text": "This chart shows our weekly signups. Which week dropped the most, and why might that be?",
            },
        ],
    }
    thinking = (
        "The user wants the largest week-over-week drop. Reading the bars: week 3 is 420, week 4 is 180.\n"
        "That is a drop of 240, the largest. I should check the release calendar before guessing a cause."
    )
    tool_use = {"type": "tool_use", "id": "toolu_01", "name": "release_calendar", "input": {"week": 4}}
    resp1 = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": "sig=="},
            {"type": "text", "text": "Let me check the release calendar."},
            tool_use,
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 1630,
            "output_tokens": 212,
            "cache_read_input_tokens": 1200,
            "cache_creation_input_tokens": 0,
        },
    }
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_01",
        "content": "Week 4: signup form migrated to v2 (bug #812: submit button hidden on Safari).",
    }
    req1 = {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 2048,
        "system": "You analyse product metrics.",
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [user],
        "tools": [
            {
                "name": "release_calendar",
                "description": "Releases shipped in a week.",
                "input_schema": {"type": "object", "properties": {"week": {"type": "integer"}}},
            }
        ],
    }
    req2 = {
        **req1,
        "messages": [
            user,
            {"role": "assistant", "content": resp1["content"]},
            {"role": "user", "content": [result]},
        ],
    }
    final = "Week 4 dropped the most (420 → 180). That week the signup form moved to v2, and bug #812 hid the submit button on Safari."
    resp2 = {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [
            {"type": "thinking", "thinking": "The bug explains the drop well.", "signature": "s2=="},
            {"type": "text", "text": final},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1912, "output_tokens": 96, "cache_read_input_tokens": 1630},
    }
    return [
        header("t-anthropic", "signup-analyst"),
        span(
            "b1",
            None,
            "llm",
            "messages claude-sonnet-4",
            0.0,
            6.2,
            {"provider": "anthropic", "api": "messages", "request": req1},
            resp1,
            usage={
                "input_tokens": 1630,
                "output_tokens": 212,
                "cached_input_tokens": 1200,
                "cache_creation_input_tokens": 0,
            },
            attributes={
                "model": "claude-sonnet-4-20250514",
                "ttft": 1.9,
                "request_id": "req_ant_1",
                "stream": True,
            },
        ),
        span(
            "b2",
            None,
            "tool",
            "release_calendar",
            6.21,
            6.5,
            {"name": "release_calendar", "arguments": {"week": 4}, "call_id": "toolu_01"},
            result["content"],
        ),
        span(
            "b3",
            None,
            "llm",
            "messages claude-sonnet-4",
            6.51,
            9.8,
            {"provider": "anthropic", "api": "messages", "request": req2},
            resp2,
            usage={"input_tokens": 1912, "output_tokens": 96, "cached_input_tokens": 1630},
            attributes={"model": "claude-sonnet-4-20250514", "ttft": 1.2, "request_id": "req_ant_2"},
        ),
    ]


def nested_errors() -> list[bytes]:
    research_req = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You research topics."},
            {"role": "user", "content": "Find three papers on KV-cache eviction."},
        ],
        "tools": [
            {"type": "function", "function": {"name": "search_papers", "parameters": {"type": "object"}}}
        ],
    }
    records: list[dict[str, Any]] = [
        header("t-nested", "planner-run"),
        span("p", None, "agent", "planner", 0.0, 21.0, {"goal": "write a literature note"}, None),
        span("r", "p", "agent", "researcher", 0.1, 15.0, {"topic": "KV-cache eviction"}, None),
        span(
            "r1",
            "r",
            "llm",
            "chat gpt-4o",
            0.2,
            2.2,
            {"provider": "openai", "api": "chat.completions", "request": research_req},
            chat_response(
                "chatcmpl-R1",
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {
                                "name": "search_papers",
                                "arguments": '{"query": "KV cache eviction", "limit": 3',
                            },
                        }
                    ],
                },
                5300,
                40,
                finish="tool_calls",
            ),
            usage={"input_tokens": 5300, "output_tokens": 40},
            attributes={"model": "gpt-4o"},
        ),
        span(
            "r2",
            "r",
            "tool",
            "search_papers",
            2.3,
            2.4,
            {
                "name": "search_papers",
                "arguments": '{"query": "KV cache eviction", "limit": 3',
                "call_id": "c1",
            },
            None,
            error={
                "type": "JSONDecodeError",
                "message": "Expecting ',' delimiter: line 1 column 42 (char 41)",
            },
        ),
        span(
            "r3",
            "r",
            "llm",
            "chat gpt-4o",
            2.5,
            14.9,
            {"provider": "openai", "api": "chat.completions", "request": research_req},
            None,
            error={
                "type": "RateLimitError",
                "message": "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29800",
                "status_code": 429,
                "body": {"error": {"type": "tokens", "code": "rate_limit_exceeded"}},
            },
            usage=None,
            attributes={"model": "gpt-4o", "attempt": 3},
        ),
        span("w", "p", "agent", "writer", 15.1, 20.9, {"notes": []}, None),
        span(
            "w1",
            "w",
            "llm",
            "chat gpt-4o-mini",
            15.2,
            17.0,
            {
                "provider": "openai",
                "api": "chat.completions",
                "request": {
                    "model": "gpt-4o-mini",
                    "messages": [{"role": "user", "content": "Write the note from: (no sources)"}],
                },
            },
            chat_response(
                "chatcmpl-W1",
                {"role": "assistant", "content": "I could not find sources, so this note is empty."},
                880,
                14,
            ),
            usage={"input_tokens": 880, "output_tokens": 14},
            attributes={"model": "gpt-4o-mini"},
        ),
        span(
            "w2",
            "w",
            "tool",
            "save_note",
            17.1,
            None,
            {"name": "save_note", "arguments": {"path": "notes/kv.md"}, "call_id": "c9"},
        ),
    ]
    lines = [line(r) for r in records]
    lines.insert(5, b'{"type": "span_end", "id": "r2", "ended_at": oops}\n')
    lines.append(b'{"type": "span", "id": "x9", "kind": "tool", "na')
    return lines


HOSTILE = "\x1b[31mRED\x1b[0m \x1b]52;c;ZXZpbA==\x07 [bold]not bold[/bold] [link=http://evil.example]click[/link] \x1b]8;;http://x\x07ln\x1b]8;;\x07 \u202eevil\u202c"


def hostile() -> list[dict[str, Any]]:
    req = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": HOSTILE}, {"role": "user", "content": "say " + HOSTILE}],
    }
    resp = chat_response(
        "chatcmpl-H",
        {
            "role": "assistant",
            "content": "reply " + HOSTILE,
            "tool_calls": [
                {
                    "id": "h1",
                    "type": "function",
                    "function": {
                        "name": "[red]tool[/red]",
                        "arguments": orjson.dumps({"x": HOSTILE}).decode(),
                    },
                }
            ],
        },
        50,
        20,
    )
    return [
        header("t-hostile", "[bold]hostile[/bold] \x1b[2J"),
        span(
            "h1",
            None,
            "llm",
            "[b]llm\x1b[5m[/b]",
            0.0,
            1.0,
            {"provider": "openai", "api": "chat.completions", "request": req},
            resp,
            usage={"input_tokens": 50, "output_tokens": 20},
            attributes={"model": "[i]m[/i]"},
        ),
        span(
            "h2",
            None,
            "tool",
            "[red]tool[/red]",
            1.0,
            1.5,
            {"name": "[red]tool[/red]", "arguments": {"x": HOSTILE}, "call_id": "h1"},
            None,
            error={"type": "[bold]Err", "message": HOSTILE},
        ),
    ]


def openai_fork() -> list[dict[str, Any]]:
    """A replay of openai_tools from step-5 with a patched system prompt: a different final answer."""
    records = openai_tools()
    records[0] = header(
        "t-openai-fork",
        "weather-agent",
        fork_of={
            "trace_id": "t-openai-tools",
            "source": "openai_tools.jsonl",
            "step": "step-5",
            "patch": [{"op": "replace", "path": "/system", "value": "Answer in one sentence."}],
        },
    )
    for record in records[1:5]:
        record["origin"] = "recorded"
    final = records[5]
    final["origin"] = "live"
    final["output"]["choices"][0]["message"]["content"] = "Take an umbrella in Paris (rain); Tokyo is clear."
    final["input"]["request"]["messages"][0]["content"] = "Answer in one sentence."
    return records


def main() -> None:
    for name, records in (
        ("openai_tools", openai_tools()),
        ("anthropic_thinking", anthropic_thinking()),
        ("hostile", hostile()),
        ("openai_tools_fork", openai_fork()),
    ):
        (HERE / f"{name}.jsonl").write_bytes(b"".join(line(r) for r in records))
    (HERE / "nested_errors.jsonl").write_bytes(b"".join(nested_errors()))


if __name__ == "__main__":
    main()
