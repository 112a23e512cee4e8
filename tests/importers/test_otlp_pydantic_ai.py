"""pydantic-ai's own spans (as logfire and any OTel exporter receive them) in its instrumentation v1 shape, the
default before pydantic-ai 1.0: the conversation is an ``events`` attribute (``event_mode='attributes'``), the
tool run a 'running tool' span with ``tool_arguments`` / ``tool_response`` and no operation name, the run an
'agent run' span with ``agent_name`` and ``final_result``. Attributes verbatim from pydantic/pydantic-ai's
tests/test_logfire.py snapshots, wrapped in OTLP JSON (MANIFEST.tsv). Before, both chat steps had no messages
and no answer, and the tool and agent runs were custom steps with nothing in them."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import open_trace
from tests.importers.corpus import DATA

EXPORT = DATA / "otlp" / "pydantic_ai" / "logfire_event_attributes.json"


def test_the_events_attribute_is_the_conversation() -> None:
    trace = open_trace(EXPORT)
    assert trace.problems == []
    assert [(s.kind, s.name) for s in trace.spans] == [
        ("agent", "my_agent run"),
        ("llm", "test"),
        ("custom", "running tools"),
        ("tool", "my_ret"),
        ("llm", "test"),
    ]
    first, second = trace.llm_spans
    assert first.input["request"]["messages"] == [{"role": "user", "content": "Hello"}]
    assert first.input["request"]["tools"][0]["function"]["name"] == "my_ret"
    assert first.llm is not None and [(c.name, c.arguments) for c in first.llm.tool_calls] == [("my_ret", {"x": 0})]
    (call,) = first.output["choices"][0]["message"]["tool_calls"]
    assert call["function"]["arguments"] == '{"x": 0}'  # the chat API's JSON text, not an object
    sent = second.input["request"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[2]["tool_call_id"] == "pyd_ai_tool_call_id__my_ret"
    assert second.output["choices"][0]["message"]["content"] == '{"my_ret":"1"}'
    assert trace.totals()["input_tokens"] == 51 + 52


def test_the_tool_and_agent_runs_carry_their_content() -> None:
    trace = open_trace(EXPORT)
    agent, tool = trace.spans[0], trace.spans[3]
    assert tool.input == {"name": "my_ret", "arguments": {"x": 0}, "call_id": "pyd_ai_tool_call_id__my_ret"}
    assert tool.output == "1" and tool.error is None
    assert agent.output == {"my_ret": "1"} and agent.usage is None  # its tokens sum the two calls


def test_a_tool_retry_at_logfire_error_level_is_the_step_error(tmp_path: Path) -> None:
    data = json.loads(EXPORT.read_text("utf-8"))
    tool = data["resourceSpans"][0]["scopeSpans"][0]["spans"][3]
    for item in tool["attributes"]:
        if item["key"] == "tool_response":
            item["value"] = {"stringValue": "Tool error\n\nFix the errors and try again."}
    tool["attributes"].append({"key": "logfire.level_num", "value": {"intValue": "17"}})
    path = tmp_path / "retry.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    (step,) = open_trace(path).tool_spans
    assert step.error is not None and step.error.message.startswith("Tool error")
