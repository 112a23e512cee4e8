"""A Google ADK run (openinference-instrumentation-google_adk 0.1.3, gemini-2.0-flash) as Langfuse exports it
(langfuse/langfuse framework-traces/google-adk-2025-08-28.json, tests/importers/data/MANIFEST.tsv): Langfuse
stores "{}" as the tool observation's input and output, the call's result is in ADK's own attributes; Gemini's
``model`` role is the chat ``assistant`` role."""

from __future__ import annotations

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

EXPORT = DATA / "langfuse" / "google-adk-2025-08-28.reduced.json"


def test_adk_tool_result_comes_from_its_attributes() -> None:
    trace = open_trace(EXPORT)
    assert detect_format(EXPORT) == "langfuse" and trace.problems == []
    (tool,) = [s for s in trace.spans if s.kind == "tool"]
    assert tool.name == "say_hello" and tool.input["call_id"] == "adk-8bd8dc65-717d-4102-858b-3a1dd6b75a00"
    assert tool.input["arguments"] == {}
    assert tool.output == {"greeting": "Hello Langfuse 👋"}


def test_gemini_model_role_is_the_assistant() -> None:
    trace = open_trace(EXPORT)
    first, second = sorted((s for s in trace.spans if s.kind == "llm"), key=lambda s: s.started_at or 0)
    (call,) = first.output["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "say_hello"
    messages = second.input["request"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "say_hello"
    assert second.output["choices"][0]["message"]["content"] == "Hello Langfuse 👋!\n"
    assert second.usage is not None and (second.usage.input_tokens, second.usage.output_tokens) == (39, 6)


def test_a_request_whose_gemini_calls_carry_no_id_is_not_replayable() -> None:
    """Gemini gives its function calls no id (ADK drops its own before sending): the second call_llm's history
    holds say_hello's call and result with no id, so the request cannot be re-sent; the first one can, and the
    tool step still pairs with the call by name."""
    trace = open_trace(EXPORT)
    first, second = sorted((s for s in trace.spans if s.kind == "llm"), key=lambda s: s.started_at or 0)
    assert first.llm is not None and first.llm.replayable
    assert second.llm is not None and not second.llm.replayable
    assert "no call id" in second.attributes["not_replayable_because"]
    (tool,) = [s for s in trace.spans if s.kind == "tool"]
    assert tool.parent_id == first.id and tool.output == {"greeting": "Hello Langfuse 👋"}
