"""openai-agents through OpenInference (openai_agents 1.3.0) as Langfuse exports it (langfuse/langfuse
framework-traces/openai-agents-2025-09-30.trace.json, tests/importers/data/MANIFEST.tsv): the tool span names
the tool and its arguments but not the call, which the answer before it holds with its id."""

from __future__ import annotations

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

EXPORT = DATA / "langfuse" / "openai-agents-2025-09-30.reduced.trace.json"


def test_tool_step_gets_the_call_id_of_the_answer_that_asked() -> None:
    trace = open_trace(EXPORT)
    assert detect_format(EXPORT) == "langfuse" and trace.problems == []
    first, second = sorted((s for s in trace.spans if s.kind == "llm"), key=lambda s: s.started_at or 0)
    (call,) = first.output["choices"][0]["message"]["tool_calls"]
    (tool,) = [s for s in trace.spans if s.kind == "tool"]
    assert tool.input == {"name": "get_weather", "arguments": {"city": "Tokyo"}, "call_id": call["id"]}
    assert call["id"] == "call_Kud0j0DxWSmLzv9W5m6qVqXn"
    assert tool.output == "The weather in Tokyo is sunny."
    messages = second.input["request"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[3]["tool_call_id"] == call["id"]
    assert second.output["choices"][0]["message"]["content"].startswith(
        "The weather in Tokyo is currently sunny."
    )
    assert [s.usage.input_tokens for s in (first, second) if s.usage] == [55, 85]
