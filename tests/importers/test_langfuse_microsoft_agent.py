"""Microsoft Agent Framework (agent_framework 1.0.0b251216, gpt-5-mini through the Responses API) as Langfuse
exports it (langfuse/langfuse framework-traces/microsoft-agent-2025-12-17.trace.json, reduced; MANIFEST.tsv):
its second chat span records only the new turn, the tool result, because the conversation goes on at OpenAI
(gen_ai.conversation.id is the first response's id). Before, that step was "replayable" with a request holding
one tool message and no call before it, which chat.completions rejects."""

from __future__ import annotations

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

EXPORT = DATA / "langfuse" / "microsoft-agent-2025-12-17.reduced.trace.json"


def test_steps_tokens_and_the_tool_call() -> None:
    trace = open_trace(EXPORT)
    assert detect_format(EXPORT) == "langfuse" and trace.problems == []
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    first, second = trace.llm_spans
    assert first.llm is not None and [c.id for c in first.llm.tool_calls] == ["call_CwaJHuXTm9dmHFQPlVbqyzJ0"]
    (tool,) = trace.tool_spans
    assert tool.input["call_id"] == "call_CwaJHuXTm9dmHFQPlVbqyzJ0" and tool.output.startswith("The weather in Tokyo")
    assert trace.totals()["input_tokens"] == 77 + 216 and trace.totals()["output_tokens"] == 86 + 20


def test_a_continued_turn_holding_only_the_tool_result_is_not_replayable() -> None:
    first, second = open_trace(EXPORT).llm_spans
    assert first.llm is not None and first.llm.replayable
    assert [m["role"] for m in second.input["request"]["messages"]] == ["tool"]
    assert second.llm is not None and not second.llm.replayable
    assert "answers no call before it" in second.attributes["not_replayable_because"]
