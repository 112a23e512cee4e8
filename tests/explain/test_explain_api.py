"""explain() through the real SDKs against the local server: scripted answers become validated fixes whose
patches apply to the step's replay document; the evidence sent holds the broken step's prompt and no key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.explain import ExplainResult, explain
from agentdbg.importers import open_trace
from agentdbg.replay import apply_patch, step_document
from agentdbg.testing.llm_server import FakeLLMServer, tool_call_reply

from .conftest import base_url
from .helpers import (
    FIX_TEXT,
    NO_RESULTS,
    QUESTION,
    SYSTEM,
    answer,
    explain_requests,
    json_reply,
    responder,
    system_fix,
    temperature_fix,
    write_loop,
)


def test_openai_answer_becomes_validated_fixes_that_apply(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer(system_fix(), temperature_fix()))])

    result = explain(str(trace_path), base_url=base_url(server, "openai"))

    assert isinstance(result, ExplainResult)
    assert result.provider == "openai" and result.model == "gpt-4.1" and result.attempts == 1
    assert result.answer is not None
    assert result.answer.failure_step == "step-3" and result.answer.failure_pattern == "loop"
    assert [fix.kind for fix in result.answer.fixes] == ["system-prompt", "parameter"]
    trace = open_trace(str(trace_path))
    first = result.answer.fixes[0]
    patched = apply_patch(step_document(trace, trace.step(first.step)), first.patch_json)
    assert patched["system"] == FIX_TEXT
    assert patched["messages"] == step_document(trace, trace.step("step-3"))["messages"]
    second = result.answer.fixes[1]
    assert apply_patch(step_document(trace, trace.step(second.step)), second.patch_json)["params"] == {
        "temperature": 0
    }
    assert result.evidence.target_step == "step-2"  # the loop finding's step
    assert [f.pattern for f in result.findings] == ["loop"]
    assert result.exit_code == 0
    data = result.to_json()
    assert data["answer"]["fixes"][0]["patch"] == [{"op": "replace", "path": "/system", "value": FIX_TEXT}]
    assert data["findings"][0]["step"] == "step-2"
    json.dumps(data)  # JSON-ready


def test_evidence_sent_holds_the_broken_steps_prompt_and_never_a_key(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer())])

    explain(str(trace_path), base_url=base_url(server, "openai"), step="step-3")

    (request,) = explain_requests(server.requests)
    assert request.path == "/v1/chat/completions"
    body = request.json
    assert body["response_format"] == {"type": "json_object"}
    assert body["model"] == "gpt-4.1"
    system, user = body["messages"]
    assert (
        system["role"] == "system" and "RFC 6902" in system["content"] and "failure_step" in system["content"]
    )
    evidence = json.loads(user["content"].split("(JSON):\n", 1)[1].rsplit("\n\nReply with", 1)[0])
    assert evidence["target_step"] == "step-3"
    steps = {step["step"]: step for step in evidence["steps"]}
    assert list(steps) == ["step-1", "step-2", "step-3"]  # the broken step and the steps before it
    broken = steps["step-3"]["document"]
    assert broken["system"] == SYSTEM  # the broken step's full prompt
    shown = steps["step-1"]["document"]["messages"] + broken["messages"]
    assert {"role": "user", "content": QUESTION} in shown
    assert {"role": "tool", "tool_call_id": "call_1", "content": NO_RESULTS} in broken["messages"]
    assert steps["step-2"]["document"] == {
        "name": "search_docs",
        "arguments": {"query": "rotate an API key"},
        "result": NO_RESULTS,
    }
    assert [tool["name"] for tool in evidence["tool_schemas"]] == ["search_docs", "get_weather"]
    assert evidence["tool_schemas"][0]["description_path"] == "/tools/0/function/description"
    assert evidence["outcome"]["final_answer"] == "Sorry, I could not find it."
    assert evidence["findings"][0]["pattern"] == "loop"
    assert "trimmed" not in evidence  # small run: nothing cut
    assert keys not in request.body.decode()  # the key travels only in the Authorization header
    assert request.headers["authorization"] == f"Bearer {keys}"


def test_anthropic_is_forced_to_answer_through_a_tool(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path, provider="anthropic")
    scripted = tool_call_reply("submit_explanation", answer(system_fix("step-1")))
    server.responder = responder([scripted])

    result = explain(trace_path, base_url=base_url(server, "anthropic"), model="claude-test")

    assert result.provider == "anthropic" and result.model == "claude-test"
    assert result.answer is not None and result.answer.fixes[0].step == "step-1"
    (request,) = explain_requests(server.requests)
    assert request.path == "/v1/messages"
    assert request.json["tool_choice"] == {"type": "tool", "name": "submit_explanation"}
    (tool,) = request.json["tools"]
    assert tool["input_schema"]["required"] == ["failure_step", "root_cause", "failure_pattern", "fixes"]
    assert "$ref" not in json.dumps(tool["input_schema"])
    assert request.json["system"].startswith("You debug failed AI-agent runs")
    assert keys not in request.body.decode()
    trace = open_trace(str(trace_path))
    fix = result.answer.fixes[0]
    assert apply_patch(step_document(trace, trace.spans[0]), fix.patch_json)["system"] == FIX_TEXT


def test_provider_follows_the_key_that_is_set(
    tmp_path: Path, server: FakeLLMServer, keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    trace_path = write_loop(tmp_path)  # an openai trace, but only the Anthropic key is set
    server.responder = responder([tool_call_reply("submit_explanation", answer())])

    result = explain(trace_path, base_url=server.base_url)

    assert result.provider == "anthropic" and result.model == "claude-sonnet-4-6"
    assert explain_requests(server.requests)[0].path == "/v1/messages"


def test_dry_run_asks_nothing(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    result = explain(write_loop(tmp_path), dry_run=True)
    assert result.answer is None and result.provider is None and server.requests == []
    assert result.evidence.window == ["step-1", "step-2"] and result.exit_code == 0


def test_trace_without_replayable_steps_still_gets_an_explanation(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    from .helpers import looping_run

    run = looping_run()
    for record in run.records:
        if record.get("kind") == "llm":
            record["attributes"]["replayable"] = False  # as an importer marks steps without a full request
    trace_path = run.write(tmp_path / "imported.jsonl")
    server.responder = responder([json_reply(answer())])

    result = explain(trace_path, base_url=base_url(server, "openai"))

    assert result.answer is not None and result.attempts == 1
    assert "cannot be replayed here" in result.notes[0]
    evidence = json.loads(
        explain_requests(server.requests)[0]
        .json["messages"][1]["content"]
        .split("(JSON):\n", 1)[1]
        .rsplit("\n\nReply with", 1)[0]
    )
    step1 = evidence["steps"][0]
    assert step1["replayable"] is False and "cannot be re-sent" in step1["not_replayable_because"]
    assert step1["prompt"][0] == {
        "role": "system",
        "text": "You are a helpful assistant. Use tools when needed.",
    }
