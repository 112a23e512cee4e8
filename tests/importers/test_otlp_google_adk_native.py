"""Google ADK's own tracing (no OpenInference): a ``call_llm`` span holds the Gemini request and response as
``gcp.vertex.agent.llm_request`` / ``llm_response`` (contents with ``function_call`` / ``function_response``
parts, no call ids), an ``execute_tool`` span the call. Spans are the ADK 1.12 run of langfuse/langfuse's
google-adk-2025-08-28 trace with only ADK's own attributes kept (MANIFEST.tsv). Before, both model calls were
custom steps with no content and no tokens; and a Gemini body's function calls and responses were read as
text in the wrong roles wherever one appeared (Langfuse generation input, OpenInference input.value)."""

from __future__ import annotations

from agentdbg.importers import open_trace
from agentdbg.importers._genai_messages import to_chat_messages, to_chat_response
from tests.importers.corpus import DATA

SPANS = DATA / "otlp" / "google_adk" / "adk_1.12_native_spans.json"


def test_call_llm_spans_are_llm_steps_with_the_gemini_conversation() -> None:
    trace = open_trace(SPANS)
    assert trace.problems == []
    first, second = trace.llm_spans
    assert (first.usage.input_tokens, second.usage.input_tokens) == (28, 39)  # type: ignore[union-attr]
    assert first.llm is not None and [c.name for c in first.llm.tool_calls] == ["say_hello"]
    assert first.input["request"]["tools"][0]["function"]["name"] == "say_hello"
    assert first.input["request"]["messages"][0]["role"] == "system"  # config.system_instruction
    sent = second.input["request"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["tool_calls"][0]["id"] is None and sent[3]["content"] == '{"greeting": "Hello Langfuse 👋"}'
    assert second.output["choices"][0]["message"]["content"] == "Hello Langfuse 👋!\n"
    assert first.llm.replayable  # its history has no call yet
    assert not second.llm.replayable and "no call id" in second.attributes["not_replayable_because"]
    (tool,) = trace.tool_spans
    assert tool.input["call_id"] == "adk-8bd8dc65-717d-4102-858b-3a1dd6b75a00" and tool.parent_id == first.id


def test_gemini_parts_become_calls_results_and_reasoning() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "id": "c1", "response": {"t": 18}}}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
    }
    assert to_chat_messages(body) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        ]},
        {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": '{"t": 18}'},
    ]
    answer = to_chat_response({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "checking", "thought": True}, {"text": "18C"}]}}]})
    assert answer is not None and answer["choices"][0]["message"]["content"] == "(reasoning) checking\n18C"
