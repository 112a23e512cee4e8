"""A generation whose input is the whole Anthropic ``messages.create`` body and whose output is the Anthropic
message (langfuse/langfuse's anthropic-messages-api-2026-03-25 framework trace, tests/importers/data/MANIFEST.tsv):
kept as the Anthropic request it was, tools and tool_use/tool_result blocks included, so it replays and the tool
runs between the calls are rebuilt."""

from __future__ import annotations

import json

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

EXPORT = DATA / "langfuse" / "anthropic-messages-api-2026-03-25.reduced.trace.json"


def test_anthropic_bodies_stay_anthropic() -> None:
    observations = json.loads(EXPORT.read_text())["observations"]
    trace = open_trace(EXPORT)
    assert detect_format(EXPORT) == "langfuse" and trace.problems == []
    llms = [s for s in trace.spans if s.kind == "llm"]
    assert [s.id for s in llms] == [o["id"] for o in observations]
    for llm, observation in zip(llms, observations, strict=True):
        assert llm.input["provider"] == "anthropic" and llm.input["api"] == "messages"
        assert llm.input["request"] == json.loads(observation["input"])  # the body as sent
        usage = observation["usageDetails"]
        assert llm.output == {  # the message as returned, with Langfuse's token counts in Anthropic's shape
            **json.loads(observation["output"]),
            "usage": {"input_tokens": usage["input"], "output_tokens": usage["output"]},
        }
        assert llm.attributes["replayable"] is True
    first = llms[0].input["request"]
    assert [t["name"] for t in first["tools"]] == ["Read", "Bash"] and first["thinking"][
        "budget_tokens"
    ] == 4096


def test_tool_runs_between_the_calls_are_rebuilt() -> None:
    trace = open_trace(EXPORT)
    tools = [s for s in trace.spans if s.kind == "tool"]
    assert [t.input["call_id"] for t in tools] == ["toolu_01AAA", "toolu_01BBB", "toolu_01CCC", "toolu_01DDD"]
    assert tools[0].output == "# My Project\nA sample project for testing."
    assert tools[3].input["arguments"] == {"file_path": "/workspace/project/tsconfig.json", "limit": 50}
