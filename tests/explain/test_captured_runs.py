"""explain on runs recorded through the real SDKs (Responses and Messages APIs): a tool-description fix,
checked by replaying it against the local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.explain import explain
from agentdbg.importers import open_trace
from agentdbg.replay import apply_patch, step_document
from agentdbg.testing.llm_server import FakeLLMServer, RecordedRequest, Reply, reply, tool_call_reply
from tests.replay.agent import record_run

from .conftest import base_url
from .helpers import explain_requests, is_explain, json_reply

CLARIFIED = "Returns 'unknown city' for places it does not know; that answer is final, do not call again."


def weather(city: str) -> str:
    return "unknown city"


def agent_model(request: RecordedRequest) -> Reply:
    """Calls the weather tool again and again, unless the tool description says the answer is final."""
    if CLARIFIED in json.dumps(request.json):
        return reply("I do not know the weather in Atlantis: it is not a known city.")
    return tool_call_reply("weather", {"city": "Atlantis"})


@pytest.mark.parametrize(
    ("api", "description_path"),
    [
        ("openai.responses", "/tools/0/description"),
        ("anthropic.messages", "/tools/0/description"),
    ],
)
def test_tool_description_fix_on_a_captured_run(
    tmp_path: Path, server: FakeLLMServer, keys: str, api: str, description_path: str
) -> None:
    looping = [tool_call_reply("weather", {"city": "Atlantis"})] * 3 + [reply("Sorry, no idea.")]
    trace_path = record_run(
        tmp_path / "run.jsonl", server, api, looping, {"weather": weather}, user="Weather in Atlantis?"
    )
    provider = api.split(".")[0]
    fix = {
        "kind": "tool-description",
        "step": "step-2",
        "title": "Say that 'unknown city' is final",
        "patch": [{"op": "replace", "path": description_path, "value": CLARIFIED}],
        "rationale": "The model cannot tell that 'unknown city' will never change, so it retries.",
    }
    scripted = {
        "failure_step": "step-2",
        "root_cause": "The weather tool answers 'unknown city' and nothing says that is final.",
        "failure_pattern": "loop",
        "fixes": [fix],
    }
    explain_reply = (
        json_reply(scripted) if provider == "openai" else tool_call_reply("submit_explanation", scripted)
    )

    def route(request: RecordedRequest) -> Reply:
        return explain_reply if is_explain(request) else agent_model(request)

    server.responder = route

    result = explain(trace_path, base_url=base_url(server, provider), verify=True, max_steps=4)

    (request,) = explain_requests(server.requests)
    body = request.body.decode()
    assert "Weather in Atlantis?" in body and keys not in body
    evidence_tools = result.evidence.payload["tool_schemas"]
    assert (
        evidence_tools[0]["name"] == "weather" and evidence_tools[0]["description_path"] == description_path
    )
    trace = open_trace(str(trace_path))
    assert result.answer is not None
    patched = apply_patch(step_document(trace, trace.step("step-2")), result.answer.fixes[0].patch_json)
    assert patched["tools"][0]["description"] == CLARIFIED
    assert result.checks is not None
    (check,) = result.checks
    assert check.before and check.before[0].startswith("loop@")
    assert check.status == "finished" and check.after == [] and check.answer_changed
    assert check.new_answer == "I do not know the weather in Atlantis: it is not a known city."
    assert result.fix_path == str(tmp_path / "fix-1.json") and result.exit_code == 0
