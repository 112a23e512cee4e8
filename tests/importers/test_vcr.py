"""VCR cassettes: every interaction is a replayable llm step holding the exact request body."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import CORPUS, errors

PYDANTIC_AI = CORPUS / "cassettes/pydantic-ai_anthropic_tool_with_thinking.yaml"


def test_pydantic_ai_cassette_parsed_body() -> None:
    document = yaml.safe_load(PYDANTIC_AI.read_text(encoding="utf-8"))
    interactions = document["interactions"]
    trace = open_trace(PYDANTIC_AI)
    assert trace.format == "vcr"
    assert len(trace.llm_spans) == len(interactions) == 2
    for span, interaction in zip(trace.llm_spans, interactions, strict=True):
        assert span.input["provider"] == "anthropic" and span.input["api"] == "messages"
        assert span.input["request"] == interaction["request"]["parsed_body"]
        assert span.output == interaction["response"]["parsed_body"]
        assert span.llm.replayable is True
    assert trace.totals()["input_tokens"] == sum(
        i["response"]["parsed_body"]["usage"]["input_tokens"] for i in interactions
    )
    assert trace.totals()["output_tokens"] == sum(
        i["response"]["parsed_body"]["usage"]["output_tokens"] for i in interactions
    )
    calls = [
        b for i in interactions for b in i["response"]["parsed_body"]["content"] if b["type"] == "tool_use"
    ]
    assert [c.id for s in trace.llm_spans for c in s.llm.tool_calls] == [c["id"] for c in calls]
    answered = {
        b["tool_use_id"]: b
        for i in interactions
        for m in i["request"]["parsed_body"]["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_result"
    }
    assert [s.tool.call_id for s in trace.tool_spans] == [c["id"] for c in calls if c["id"] in answered]
    assert [s.tool.name for s in trace.tool_spans] == ["get_user_country"]
    assert trace.tool_spans[0].output == answered[calls[0]["id"]]["content"]
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    assert errors(trace) == []


def _classic_cassette() -> dict:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    ok = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }
    limited = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}

    def interaction(body: dict, status: int) -> dict:
        return {
            "request": {
                "method": "POST",
                "uri": "https://api.openai.com/v1/chat/completions",
                "body": json.dumps(request),
                "headers": {
                    "Authorization": ["Bearer test-placeholder"],
                    "Content-Type": ["application/json"],
                },
            },
            "response": {
                "status": {"code": status, "message": "x"},
                "headers": {"x-request-id": ["req_1"]},
                "body": {"string": json.dumps(body)},
            },
        }

    return {"interactions": [interaction(ok, 200), interaction(limited, 429)], "version": 1}


def test_classic_body_string_cassette_yaml_and_json(tmp_path: Path) -> None:
    cassette = _classic_cassette()
    for path in (tmp_path / "c.yaml", tmp_path / "c.json"):
        path.write_text(
            yaml.safe_dump(cassette) if path.suffix == ".yaml" else json.dumps(cassette), encoding="utf-8"
        )
        renamed = path.with_suffix(".txt")
        path.rename(renamed)
        assert detect_format(renamed) == "vcr"  # by content, not by name
        trace = open_trace(renamed)
        ok, limited = trace.llm_spans
        assert ok.input == {
            "provider": "openai",
            "api": "chat.completions",
            "request": json.loads(cassette["interactions"][0]["request"]["body"]),
        }
        assert ok.usage.input_tokens == 5 and ok.llm.answer_text == "hello"
        assert ok.attributes["request_id"] == "req_1" and ok.started_at == 1700000000
        assert limited.error.status_code == 429 and limited.error.message == "Rate limit reached"
        assert "test-placeholder" not in json.dumps(
            [s.to_record() for s in trace.spans]
        )  # no auth header kept


def test_truncated_and_odd_cassettes(tmp_path: Path) -> None:
    cut = tmp_path / "cut.yaml"
    cut.write_text(PYDANTIC_AI.read_text(encoding="utf-8")[:900] + "\n  - [unclosed", encoding="utf-8")
    trace = open_trace(cut, format="vcr")
    assert trace.problems and trace.problems[0].severity == "error"
    odd = tmp_path / "odd.yaml"
    odd.write_text(
        yaml.safe_dump(
            {
                "interactions": [
                    5,
                    {
                        "request": {
                            "uri": "https://example.test/v1beta/models/x:generateContent",
                            "body": "{}",
                        }
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    trace = open_trace(odd, format="vcr")
    text = " | ".join(p.message for p in trace.problems)
    assert (
        "interaction 0 has no request object" in text and "unknown record(s) of type API example.test" in text
    )
    assert trace.llm_spans[0].llm.replayable is False
