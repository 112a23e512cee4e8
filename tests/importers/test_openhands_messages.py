"""OpenHands: the agent's message actions are messages (llm answers), not custom ``action message`` steps."""

from __future__ import annotations

import json

from agentdbg.importers import open_trace
from tests.importers.corpus import DATA

PATH = DATA / "openhands/basic_interactions.json"


def test_agent_message_actions_are_llm_answers_in_the_conversation() -> None:
    events = json.loads(PATH.read_text(encoding="utf-8"))
    said = [e["args"]["content"] for e in events if e.get("action") == "message" and e["source"] == "agent"]
    asked = [e["args"]["content"] for e in events if e.get("action") == "message" and e["source"] == "user"]

    trace = open_trace(PATH)

    assert not [s for s in trace.spans if s.name.startswith("action ")]
    messages = [s for s in trace.llm_spans if s.name == "agent message"]
    assert [s.llm.answer_text for s in messages] == said
    assert [m.text for m in messages[1].llm.prompt] == [asked[0], said[0], asked[1]]
    assert all(s.llm.replayable is False and s.attributes["not_replayable_because"] for s in messages)
    finish = trace.by_id["chatcmpl-Aw30O6Ka8n1X3F6F7YUh91NxXBE0y"]
    assert finish.usage.input_tokens == 2473 and finish.usage.cached_input_tokens == 2304
    assert [s.name for s in trace.tool_spans] == ["finish"]
    assert len([s for s in trace.spans if s.name == "user message"]) == len(asked)
