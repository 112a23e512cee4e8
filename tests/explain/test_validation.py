"""Invalid model answers: retried once with the validation errors, then reported (Python API and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.explain import InvalidAnswerError, ModelAnswer, PatchOp, explain
from agentdbg.explain.answer import extract_json, parse_answer
from agentdbg.importers import open_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

from .conftest import base_url
from .helpers import answer, explain_requests, json_reply, responder, system_fix, write_loop

runner = CliRunner()


def test_prose_answer_is_retried_with_the_error_then_accepted(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    prose = "The agent loops because the search finds nothing."
    server.responder = responder([reply(prose), json_reply(answer())])

    result = explain(trace_path, base_url=base_url(server, "openai"))

    assert result.attempts == 2 and result.answer is not None
    assert result.first_errors == ["(answer): the answer holds no JSON object; reply with one JSON object"]
    first, second = explain_requests(server.requests)
    assert len(second.json["messages"]) == 4
    assert second.json["messages"][:2] == first.json["messages"]
    assert second.json["messages"][2] == {"role": "assistant", "content": prose}
    assert second.json["messages"][3]["role"] == "user"
    assert "did not validate" in second.json["messages"][3]["content"]
    assert "holds no JSON object" in second.json["messages"][3]["content"]


def test_patch_that_does_not_apply_is_sent_back_with_the_reason(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    broken = system_fix()
    broken["patch"] = [{"op": "replace", "path": "/messages/99/content", "value": "x"}]
    server.responder = responder([json_reply(answer(broken)), json_reply(answer())])

    result = explain(trace_path, base_url=base_url(server, "openai"))

    assert result.attempts == 2
    (error,) = result.first_errors
    assert error == (
        "fixes.0 (step-3): patch op #1 (op 'replace' at path '/messages/99/content') does not apply: "
        "index '99' is out of bounds"
    )
    retry = explain_requests(server.requests)[1].json["messages"][-1]["content"]
    assert "/messages/99/content" in retry


def test_twice_invalid_is_reported(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    bad = answer()
    bad["fixes"] = []  # at least one fix is required
    server.responder = responder([json_reply(bad), json_reply({"failure_step": "step-99"})])

    with pytest.raises(InvalidAnswerError) as caught:
        explain(trace_path, base_url=base_url(server, "openai"))

    error = caught.value
    assert error.exit_code == 1 and "did not validate, even after a retry" in error.message
    assert "root_cause: Field required" in error.errors
    assert len(error.raw) == 2 and len(explain_requests(server.requests)) == 2


def test_cli_reports_an_invalid_answer_with_exit_1(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([reply("no idea"), reply("still no idea")])

    result = runner.invoke(app, ["explain", str(trace_path), "--base-url", base_url(server, "openai")])

    assert result.exit_code == 1, result.output
    assert "error: the model's answer did not validate, even after a retry" in result.stderr
    assert "answer 1: no idea" in result.stderr and "answer 2: still no idea" in result.stderr
    assert "Traceback" not in result.output
    server.responder = responder([reply("no idea"), reply("still no idea")])
    as_json = runner.invoke(
        app, ["explain", str(trace_path), "--base-url", base_url(server, "openai"), "--json"]
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["raw_answers"] == ["no idea", "still no idea"]


def test_anthropic_retry_answers_the_tool_call_with_an_error_result(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path, provider="anthropic")
    incomplete = {key: value for key, value in answer().items() if key != "root_cause"}
    server.responder = responder(
        [tool_call_reply("submit_explanation", incomplete), tool_call_reply("submit_explanation", answer())]
    )

    result = explain(trace_path, base_url=base_url(server, "anthropic"))

    assert result.attempts == 2 and result.answer is not None
    retry = explain_requests(server.requests)[1].json["messages"]
    assert [message["role"] for message in retry] == ["user", "assistant", "user"]
    assert retry[1]["content"][0]["type"] == "tool_use"
    (tool_result,) = retry[2]["content"]
    assert tool_result["type"] == "tool_result" and tool_result["is_error"] is True
    assert tool_result["tool_use_id"] == retry[1]["content"][0]["id"]
    assert "root_cause: Field required" in tool_result["content"]


def test_answer_shapes(tmp_path: Path) -> None:
    trace = open_trace(str(write_loop(tmp_path)))
    fenced = "Here you go:\n```json\n" + json.dumps(answer(failure_step=3)) + "\n```\nHope it helps."
    parsed, errors = parse_answer(fenced, trace)
    assert errors == [] and parsed is not None and parsed.failure_step == "step-3"
    assert extract_json('prefix {"a": {"b": 1}} suffix') == {"a": {"b": 1}}
    with pytest.raises(ValidationError, match="needs a 'value'"):
        PatchOp.model_validate({"op": "replace", "path": "/system"})
    assert PatchOp.model_validate({"op": "add", "path": "/system", "value": None}).to_json() == {
        "op": "add",
        "path": "/system",
        "value": None,
    }
    with pytest.raises(ValidationError, match="at most 3"):
        ModelAnswer.model_validate(answer(system_fix(), system_fix(), system_fix(), system_fix()))
    _, errors = parse_answer(answer(failure_step="step-40"), trace)
    assert errors == ["failure_step: step-40 is not a step of this trace (1 … 7)"]
    tool_fix = {
        "kind": "tool-result",
        "step": "step-2",
        "title": "Say that nothing will be found",
        "patch": [
            {"op": "replace", "path": "/result", "value": "No documentation covers this; stop searching."}
        ],
        "rationale": "An explicit final result stops the retries.",
    }
    parsed, errors = parse_answer(answer(tool_fix), trace)
    assert errors == [] and parsed is not None and parsed.fixes[0].kind == "tool-result"
