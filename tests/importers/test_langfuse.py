"""Langfuse exports: observation counts, kinds, parents and usage checked against the raw JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, errors

FILES = sorted((CORPUS / "langfuse").glob("*.json"))


def _attributes(observation: dict) -> dict:
    metadata = observation.get("metadata")
    while isinstance(metadata, str):
        metadata = json.loads(metadata)
    attributes = (metadata or {}).get("attributes") or {}
    while isinstance(attributes, str):
        attributes = json.loads(attributes)
    return attributes


def _metadata(observation: dict) -> dict:
    metadata = observation.get("metadata")
    while isinstance(metadata, str):
        metadata = json.loads(metadata)
    return metadata or {}


def _called(observations: list[dict]) -> str:
    """All generation outputs as text, to look tool names up in."""
    return " ".join(json.dumps(o.get("output")) for o in observations if o["type"] == "GENERATION")


def _is_tool(observation: dict, called: str) -> bool:
    attributes = _attributes(observation)
    langgraph_tool = _metadata(observation).get("langgraph_node") == "tools" and re.search(
        r'\\?"name\\?": ?\\?"' + re.escape(observation["name"]) + r'\\?"', called
    )
    return bool(
        observation["type"] == "TOOL"
        or attributes.get("openinference.span.kind") == "TOOL"
        or attributes.get("gen_ai.operation.name") == "execute_tool"
        or langgraph_tool
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.split("-20")[0])
def test_observations_become_steps_with_the_source_figures(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    observations = data["observations"]
    generations = [o for o in observations if o["type"] == "GENERATION"]
    called = _called(observations)
    tools = [o for o in observations if _is_tool(o, called) and o["type"] != "GENERATION"]
    ids = {o["id"] for o in observations}
    usage_in = sum((o.get("usageDetails") or {}).get("input", 0) for o in observations)
    usage_out = sum((o.get("usageDetails") or {}).get("output", 0) for o in observations)

    top = [o for o in observations if o.get("parentObservationId") not in ids]
    trace_is_step = not (len(top) == 1 and top[0]["name"] == data["trace"]["name"])

    trace = open_trace(path)
    assert trace.format == "langfuse"
    assert (
        len(trace.spans) == len(observations) + trace_is_step
    )  # the trace is a step unless one top observation is it
    assert {s.id for s in trace.llm_spans} == {o["id"] for o in generations}
    assert {s.id for s in trace.tool_spans} == {o["id"] for o in tools}
    assert len(errors(trace)) == sum(1 for o in observations if o.get("level") == "ERROR")
    assert trace.totals()["input_tokens"] == usage_in
    assert trace.totals()["output_tokens"] == usage_out
    root_id = trace.roots[0].id if trace_is_step else None
    for observation in observations:
        span = trace.by_id[observation["id"]]
        parent = observation.get("parentObservationId")
        assert span.parent_id == (parent if parent in ids else root_id)
    assert trace.header.metadata["langfuse_trace"]["id"] == data["trace"]["id"]
    for span in trace.llm_spans:  # replayable exactly when the conversation (and the tools it uses) was kept, calls linked
        request = span.input["request"]
        messages = request.get("messages") or []
        uses_tools = bool(span.llm.tool_calls) or any(m.get("tool_calls") or m.get("role") == "tool" for m in messages)
        called = [c.get("id") for m in messages for c in m.get("tool_calls") or []]
        linked = all(called) and all(
            m.get("tool_call_id") in called[: sum(len(n.get("tool_calls") or []) for n in messages[:i])]
            for i, m in enumerate(messages)
            if m.get("role") == "tool"
        )  # every call and result carries its call id, each result after its call (agno's names none)
        complete = (
            bool(request.get("model") and messages) and (bool(request.get("tools")) or not uses_tools) and linked
        )
        assert span.input["api"] in ("chat.completions", "messages") and span.llm.replayable is complete
    positions = {s.id: i for i, s in enumerate(trace.spans)}
    assert all(positions[s.parent_id] < positions[s.id] for s in trace.spans if s.parent_id)


def test_openinference_flattened_messages_and_tool_calls() -> None:
    trace = open_trace(CORPUS / "langfuse/agno-2025-06-11.trace.json")
    first = next(s for s in trace.llm_spans if s.name == "gpt-4o-mini" and s.llm.tool_calls)
    assert (
        first.llm.prompt[0].role == "system"
        and first.llm.prompt[1].text == "What is currently trending on Twitter?"
    )
    assert first.llm.tool_calls[0].name == "duckduckgo_search"
    assert [t.name for t in first.llm.tools] == ["duckduckgo_search", "duckduckgo_news"]
    tool = trace.tool_spans[0]
    assert tool.tool.name == "duckduckgo_search"


def test_gen_ai_parts_messages_and_string_token_counts() -> None:
    trace = open_trace(CORPUS / "langfuse/pydantic-ai-with-gemini-2025-12-24.trace.json")
    llm = trace.llm_spans[0]
    assert llm.llm.prompt[0].text.startswith("what is 1+1?")
    assert '"answer": "2"' in llm.llm.answer_text
    assert llm.usage.input_tokens == 40 and llm.usage.reasoning_tokens is None or llm.usage.input_tokens == 40
    assert llm.attributes["source_provider"] == "google-gla"


@pytest.mark.parametrize("name", ["langgraph-python-2025-08-22", "langgraph-js-2025-10-30"])
def test_langgraph_tool_runs_become_tool_steps(name: str) -> None:
    trace = open_trace(CORPUS / f"langfuse/{name}.trace.json")
    (tool,) = trace.tool_spans
    asked = [c for s in trace.llm_spans for c in s.llm.tool_calls]
    assert [c.name for c in asked] == [tool.tool.name]
    assert tool.tool.call_id == asked[0].id
    assert tool.output and "ToolMessage" not in json.dumps(tool.output)


def test_tool_steps_keep_call_ids_and_arguments() -> None:
    trace = open_trace(CORPUS / "langfuse/claude-agent-2025-12-22.trace.json")
    names = [s.tool.name for s in trace.tool_spans]
    assert names == ["mcp__weather__get_weather", "mcp__weather__get_weather"]
    assert {json.dumps(s.tool.arguments, sort_keys=True) for s in trace.tool_spans} == {
        '{"input": {"city": "Berlin"}}',
        '{"input": {"city": "New York"}}',
    }


def test_metadata_as_dict_and_error_level(tmp_path: Path) -> None:
    data = json.loads(
        (CORPUS / "langfuse/pydantic-ai-tools-2025-06-06.trace.json").read_text(encoding="utf-8")
    )
    for observation in data["observations"]:
        observation["metadata"] = json.loads(observation["metadata"])  # the dict variant
    data["observations"][-1]["level"] = "ERROR"
    data["observations"][-1]["statusMessage"] = "upstream 500"
    data["observations"].append(
        {"id": "x1", "type": "MYSTERY", "name": "odd", "startTime": "2025-06-06T10:00:00Z"}
    )
    data["observations"].append("not an object")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    trace = open_trace(path)
    assert trace.format == "langfuse"
    assert [s.error.message for s in errors(trace)] == ["upstream 500"]
    assert trace.llm_spans[0].llm.prompt[1].text == "What is Langfuse?"
    text = " | ".join(p.message for p in trace.problems)
    assert "kept 1 unknown record(s) of type observation type MYSTERY" in text and "not objects" in text


def test_truncated_export_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(FILES[0].read_bytes()[:5000])
    trace = open_trace(path)
    assert trace.format == "langfuse" and trace.spans == [] and "not valid JSON" in trace.problems[0].message


def test_api_shape_trace_with_embedded_observations(tmp_path: Path) -> None:
    """GET /api/public/traces/{id} returns the trace object with its observations inside."""
    data = json.loads((CORPUS / "langfuse/claude-agent-2025-12-22.trace.json").read_text(encoding="utf-8"))
    api_shape = {**data["trace"], "observations": data["observations"]}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(api_shape), encoding="utf-8")
    trace = open_trace(path)
    assert trace.format == "langfuse"
    assert trace.header.trace_id == data["trace"]["id"]
    assert len(trace.tool_spans) == 2 and len(trace.llm_spans) == 4
