"""Streamed calls in real VCR cassettes: the recorded ``text/event-stream`` body becomes the response it adds
up to (text, tool calls, usage), as capture records a stream (tests/importers/data/MANIFEST.tsv)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agentdbg.importers import open_trace
from agentdbg.model.views import LLMView
from tests.importers.corpus import DATA

STREAMED = DATA / "vcr" / "oi_anthropic_messages_streaming.yaml"
PARALLEL_TOOLS = DATA / "vcr" / "oi_anthropic_multiple_tool_calling_streaming.yaml"


def _raw_events(path: Path) -> list[dict]:
    body = yaml.safe_load(path.read_text())["interactions"][0]["response"]["body"]["string"]
    return [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")]


def test_streamed_anthropic_response_is_assembled() -> None:
    events = _raw_events(STREAMED)
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    start = next(e for e in events if e["type"] == "message_start")["message"]
    final_usage = next(e for e in events if e["type"] == "message_delta")["usage"]
    trace = open_trace(STREAMED)
    (llm,) = trace.llm_spans
    assert llm.output["content"] == [{"type": "text", "text": text}] and text == "Light scatters blue."
    assert llm.output["id"] == start["id"] and llm.output["stop_reason"] == "end_turn"
    assert (llm.usage.input_tokens, llm.usage.output_tokens) == (
        start["usage"]["input_tokens"],
        final_usage["output_tokens"],
    )
    assert llm.attributes["stream"] is True and "stream_complete" not in llm.attributes
    assert LLMView.of(llm).answer_text == text


def test_cut_stream_is_marked_incomplete(tmp_path: Path) -> None:
    document = yaml.safe_load(STREAMED.read_text())
    body = document["interactions"][0]["response"]["body"]["string"]
    document["interactions"][0]["response"]["body"]["string"] = body[
        : body.index("event: content_block_stop")
    ]
    cut = tmp_path / "cut.yaml"
    cut.write_text(yaml.safe_dump(document))
    (llm,) = open_trace(cut).llm_spans
    assert (
        llm.attributes["stream_complete"] is False
        and llm.output["content"][0]["text"] == "Light scatters blue."
    )


def test_plain_json_response_keeps_parallel_tool_calls() -> None:
    raw = json.loads(
        yaml.safe_load(PARALLEL_TOOLS.read_text())["interactions"][0]["response"]["body"]["string"]
    )
    (llm,) = open_trace(PARALLEL_TOOLS).llm_spans
    calls = [(c.name, c.arguments) for c in LLMView.of(llm).tool_calls]
    assert calls == [(b["name"], b["input"]) for b in raw["content"] if b["type"] == "tool_use"]
    assert (llm.usage.input_tokens, llm.usage.output_tokens) == (518, 149)


RUBY = DATA / "vcr" / "ruby_openai_deepseek_streamed_chat.yml"


def test_ruby_vcr_cassette_with_binary_sse_body() -> None:
    """Ruby's VCR: ``http_interactions``, ``!binary`` (base64) bodies; before, 'not a trace' (exit 2)."""
    import base64
    import re

    from agentdbg.importers import detect_format

    text = RUBY.read_text()
    body = base64.b64decode("".join(text.split("!binary |-\n", 1)[1].split("\n  recorded_at")[0].split()))
    chunks = [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: {")]
    answer = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert detect_format(RUBY) == "vcr"
    (llm,) = open_trace(RUBY).llm_spans
    assert LLMView.of(llm).answer_text == answer and answer.startswith("Hello! How can I assist")
    usage = chunks[-1]["usage"]
    assert (llm.usage.input_tokens, llm.usage.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert llm.input["request"]["messages"] == [{"role": "user", "content": "Hello!"}]
    assert llm.attributes["replayable"] is True
    assert not re.search(r"Bearer|OPENAI_ACCESS_TOKEN|HWWAFSESID", json.dumps(llm.model_dump(mode="json")))
