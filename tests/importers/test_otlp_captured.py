"""OTLP JSON as real instrumentation libraries export it (Grace/genai-interlingua's captured fixtures:
OpenInference, OpenLLMetry/Traceloop, OpenTelemetry's own GenAI handler, the Vercel AI SDK), each the same
"Where is order A-1187?" call answered with a ``lookup_order`` tool call (tests/importers/data/MANIFEST.tsv)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentdbg.importers import detect_format, open_trace
from agentdbg.model.span import Span
from tests.importers.corpus import DATA

CAPTURED = DATA / "otlp" / "interlingua"
QUESTION = "Where is order A-1187?"


def _llm(path: Path) -> Span:
    trace = open_trace(path)
    assert detect_format(path) == "otlp-json" and trace.problems == []
    (llm,) = [s for s in trace.spans if s.kind == "llm"]
    return llm


def _tool_call(llm: Span) -> dict[str, Any]:
    (choice,) = llm.output["choices"]
    (call,) = choice["message"]["tool_calls"]
    return dict(call)


@pytest.mark.parametrize("name", ["openinference", "openllmetry", "raw", "vercel"])
def test_the_captured_call_reads_the_same_in_every_dialect(name: str) -> None:
    llm = _llm(CAPTURED / f"{name}_in.json")
    request = llm.input["request"]
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert QUESTION in json.dumps(request["messages"][1])
    call = _tool_call(llm)
    assert call["function"]["name"] == "lookup_order"
    assert json.loads(call["function"]["arguments"]) == {"order_id": "A-1187"}
    assert llm.usage is not None and (llm.usage.input_tokens, llm.usage.output_tokens) == (412, 27)


@pytest.mark.parametrize("name", ["openinference", "openllmetry", "vercel"])
def test_tool_definitions_become_chat_tools(name: str) -> None:
    """Vercel's ``ai.prompt.tools`` is an array of JSON strings: each one is a tool, not a function body."""
    (tool,) = _llm(CAPTURED / f"{name}_in.json").input["request"]["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "lookup_order"
    assert tool["function"]["parameters"]["required"] == ["order_id"]


@pytest.mark.parametrize("name", ["openllmetry", "raw", "vercel"])
def test_the_answer_names_the_response_model(name: str) -> None:
    llm = _llm(CAPTURED / f"{name}_in.json")
    assert llm.output["model"] == "gpt-4o-mini-2024-07-18"
    assert llm.input["request"]["model"] == "gpt-4o-mini"  # what was asked for stays in the request


def test_openllmetry_reasoning_tokens_and_workflow_span() -> None:
    """OpenLLMetry 0.62 writes ``gen_ai.usage.reasoning_tokens`` and wraps the call in a Traceloop workflow span
    whose ``traceloop.entity.output`` holds the response (JSON in a JSON string)."""
    path = CAPTURED / "openllmetry_in.json"
    llm = _llm(path)
    assert llm.usage is not None and llm.usage.reasoning_tokens == 8 and llm.usage.cached_input_tokens == 256
    trace = open_trace(path)
    (workflow,) = [s for s in trace.spans if s.name == "support_triage.workflow"]
    assert workflow.kind == "agent" and llm.parent_id == workflow.id
    assert workflow.output["id"] == "chatcmpl-CD8yqQ2y3kZs1o0Wm7bT"
    assert workflow.input == {"args": [], "kwargs": {}}


def test_vercel_tool_span_pairs_with_the_call() -> None:
    trace = open_trace(CAPTURED / "vercel_in.json")
    (tool,) = [s for s in trace.spans if s.kind == "tool"]
    llm = _llm(CAPTURED / "vercel_in.json")
    assert tool.input["call_id"] == _tool_call(llm)["id"] == "call_9RtYbK2mXqLp"
    assert tool.input["arguments"] == {"order_id": "A-1187"}
    assert tool.output == {"status": "in_transit", "eta": "2026-06-15"}
    # the cache reads are only in ai.response.providerMetadata: {"openai": {"cachedPromptTokens": 384}}
    assert llm.usage is not None and llm.usage.cached_input_tokens == 384


LANGFUSE_VERCEL = DATA / "langfuse" / "vercel-aisdk-2025-11-17.reduced.trace.json"


def test_langfuse_vercel_ai_sdk_5_generation() -> None:
    """Langfuse's own export of an AI SDK 5 run: the ai.generateText wrapper is typed GENERATION like the
    doGenerate call under it, and the answer's tool calls are the observation's output."""
    trace = open_trace(LANGFUSE_VERCEL)
    assert detect_format(LANGFUSE_VERCEL) == "langfuse" and trace.problems == []
    (wrapper,) = trace.roots
    assert wrapper.kind == "agent" and wrapper.name == "ai.generateText"
    (llm,) = [s for s in trace.spans if s.kind == "llm"]
    assert llm.parent_id == wrapper.id
    call = _tool_call(llm)
    assert call["id"] == "call_DgKARp7a7IhJPDczfifMp6Ra" and call["function"]["name"] == "getWeather"
    assert json.loads(call["function"]["arguments"]) == {"location": "San Francisco"}
    (tool_def,) = llm.input["request"]["tools"]
    assert tool_def["function"]["name"] == "getWeather"
    assert tool_def["function"]["parameters"]["required"] == ["location"]  # AI SDK 5 inputSchema
    assert llm.output["model"] == "gpt-5-2025-08-07"
    assert (
        trace.totals()["input_tokens"] == 62 and trace.totals()["output_tokens"] == 85
    )  # the wrapper's not added
    (tool,) = [s for s in trace.spans if s.kind == "tool"]
    assert tool.input["call_id"] == call["id"] and tool.output == {
        "location": "San Francisco",
        "temperature": 64,
    }


def test_a_truncated_indented_document_is_one_clear_error(tmp_path: Path) -> None:
    """A pretty-printed OTLP file cut short is one document that breaks at one place, not 100 bad lines."""
    text = (CAPTURED / "openllmetry_in.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[:3000])
    assert detect_format(cut) == "otlp-json"
    trace = open_trace(cut)
    (problem,) = trace.problems
    broken_line = text[:3000].count("\n") + 1
    assert problem.line == broken_line and problem.severity == "error"
    assert "truncated or corrupt document" in problem.message and f"line {broken_line}" in problem.message


def test_fields_of_the_wrong_shape_are_named(tmp_path: Path) -> None:
    """A span field of the wrong shape is ignored with a warning naming the span and the field."""
    document = json.loads((CAPTURED / "raw_in.json").read_text())
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["startTimeUnixNano"] = "soon"
    span["attributes"] = "gen_ai.request.model=gpt-4o-mini"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document, indent=2))
    trace = open_trace(broken)
    messages = sorted(p.message for p in trace.problems)
    assert len(messages) == 2 and all(
        m.startswith("span 03491beea3cb073d ('chat gpt-4o-mini')") for m in messages
    )
    assert "`attributes` is a str, not a list; ignored" in messages[0]
    assert "`startTimeUnixNano` is 'soon'" in messages[1]
    assert [s.name for s in trace.spans] == ["chat gpt-4o-mini"]  # the span itself is kept
