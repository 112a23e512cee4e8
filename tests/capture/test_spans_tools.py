"""@tool, span(), trace(), current_span() and carry_context(): nesting, linking and default files."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply, tool_calls_reply

from .conftest import load

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@agentdbg.tool
def get_weather(city: str, unit: str = "celsius") -> dict:
    return {"city": city, "temp": 21, "unit": unit}


@agentdbg.tool(name="lookup")
def lookup_order(order_id: str) -> str:
    raise LookupError(f"no order {order_id}")


def test_tool_links_to_the_llm_call_that_asked_for_it(server, oai, trace_path):
    server.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]))
    server.enqueue(reply("Paris 21, Oslo 21"))
    with (
        agentdbg.trace("weather", path=trace_path, metadata={"user": "u42"}),
        agentdbg.span("answer", kind="agent") as agent,
    ):
        answer = oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "?"}], tools=TOOLS
        )
        calls = answer.choices[0].message.tool_calls
        results = [get_weather(**json.loads(c.function.arguments)) for c in reversed(calls)]
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}])
        agent.set_output("Paris 21, Oslo 21")
    assert results[0] == {"city": "Oslo", "temp": 21, "unit": "celsius"}
    trace = load(trace_path)
    assert trace.header.name == "weather" and trace.header.metadata == {"user": "u42"}
    agent_span, first_llm, oslo, paris, second_llm = trace.spans
    assert oslo.kind == "tool" and oslo.input == {
        "name": "get_weather",
        "arguments": {"city": "Oslo"},
        "call_id": calls[1].id,
    }
    assert paris.input["call_id"] == calls[0].id and paris.output["city"] == "Paris"
    assert {s.parent_id for s in (first_llm, oslo, paris, second_llm)} == {agent_span.id}
    assert agent_span.output == "Paris 21, Oslo 21" and agent_span.parent_id is None


def test_tool_error_recorded_and_reraised_and_name_override(server, oai, trace_path):
    server.enqueue(tool_call_reply("lookup", {"order_id": "A1"}))
    with agentdbg.trace("orders", path=trace_path):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}])
        with pytest.raises(LookupError, match="no order A1"):
            lookup_order("A1")
    step = load(trace_path).spans[1]
    assert step.name == "lookup" and step.status == "error" and step.error.type == "LookupError"
    assert step.input["call_id"] is not None and "no order A1" in step.error.message


def test_span_kinds_decorator_and_current_span(trace_path):
    @agentdbg.span("retrieve", kind="retrieval")
    def retrieve(query: str) -> list[str]:
        current = agentdbg.current_span()
        current.set_output(["doc-1", "doc-2"])
        current.set_attribute("k", 2)
        return ["doc-1", "doc-2"]

    assert agentdbg.current_span() is None
    with (
        agentdbg.trace("rag", path=trace_path),
        agentdbg.span("agent", kind="agent", input={"question": "q"}) as outer,
    ):
        assert agentdbg.current_span() is outer
        retrieve("q")
        with agentdbg.span("odd kind", kind="banana"):
            pass
    outer_span, retrieval, odd = load(trace_path).spans
    assert outer_span.input == {"question": "q"}
    assert retrieval.kind == "retrieval" and retrieval.parent_id == outer_span.id
    assert retrieval.output == ["doc-1", "doc-2"] and retrieval.attributes["k"] == 2
    assert odd.kind == "custom"


def test_carry_context_keeps_parents_in_thread_pools(trace_path):
    @agentdbg.tool
    def work(n: int) -> int:
        return n * n

    with (
        agentdbg.trace("pool", path=trace_path),
        agentdbg.span("fan-out", kind="agent") as parent,
        ThreadPoolExecutor(4) as pool,
    ):
        carried = list(pool.map(agentdbg.carry_context(work), range(8)))
        bare = list(pool.map(work, range(8, 10)))
    assert carried == [n * n for n in range(8)] and bare == [64, 81]
    spans = load(trace_path).spans
    tools = [s for s in spans if s.kind == "tool"]
    assert len(tools) == 10
    assert all(s.parent_id == parent.id for s in tools if s.input["arguments"]["n"] < 8)
    assert all(s.parent_id is None for s in tools if s.input["arguments"]["n"] >= 8)  # same file, at the root


def test_default_file_under_agentdbg_dir_named_by_name_time_and_id(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "runs"))
    with agentdbg.trace("support bot/v2") as session, agentdbg.span("x"):
        pass
    (written,) = (tmp_path / "runs").glob("*.jsonl")
    assert written == session.path
    assert written.name.startswith("support-bot-v2-") and session.trace_id[:8] in written.name
    assert load(written).header.trace_id == session.trace_id


def test_without_trace_the_first_step_opens_an_automatic_trace(tmp_path, monkeypatch, server, oai):
    from agentdbg.capture import session as session_module

    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "auto-runs"))
    monkeypatch.setattr(session_module, "_auto_session", None)
    server.enqueue(reply("no trace() here"))
    oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}])
    auto = session_module._auto_session
    auto.close()
    (written,) = (tmp_path / "auto-runs").glob("*.jsonl")
    assert load(written).spans[0].llm.answer_text == "no trace() here"


def test_disabled_records_nothing_and_changes_nothing(tmp_path, monkeypatch, server):
    import openai

    monkeypatch.setenv("AGENTDBG_DISABLED", "1")
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="k")
    assert agentdbg.wrap_openai(client) is client and type(client) is openai.OpenAI
    server.enqueue(reply("hi"))
    with agentdbg.trace("off", path=tmp_path / "off.jsonl") as session:
        with agentdbg.span("s") as handle:
            handle.set_output(1)
            assert get_weather("Rome")["city"] == "Rome"
        assert client.chat.completions.create(model="m", messages=[]).choices[0].message.content == "hi"
    assert session is None
    assert not (tmp_path / "off.jsonl").exists() and not list(
        Path(os.environ["AGENTDBG_DIR"]).parent.glob("auto/*")
    )


def test_wrapping_a_non_client_is_a_clear_error():
    with pytest.raises(agentdbg.AgentdbgError, match="expects an OpenAI"):
        agentdbg.wrap_openai("not a client")
