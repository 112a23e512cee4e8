"""How a run ends: an exception escaping trace() is recorded and re-raised; terminal tools (structured
output, final answer) count as the final answer in diagnose and end a replay cleanly."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import agentdbg
from agentdbg.analysis import diagnose
from agentdbg.cli import app
from agentdbg.replay import replay
from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import OPENAI_KEY, load

SUBMIT = [{"type": "function", "function": {"name": "submit", "parameters": {"type": "object"}}}]


class UnexpectedModelBehavior(RuntimeError):
    pass


def test_an_exception_escaping_trace_is_recorded_and_reraised(trace_path):
    error = UnexpectedModelBehavior(f"Exceeded maximum retries (key {OPENAI_KEY})")
    with (
        pytest.raises(UnexpectedModelBehavior) as raised,
        agentdbg.trace("boom", path=trace_path),
        agentdbg.span("agent", kind="agent"),
    ):
        raise error
    assert raised.value is error
    trace = load(trace_path)
    step = trace.spans[-1]
    assert step.attributes["run_error"] is True and step.parent_id is None
    assert step.error.type == "UnexpectedModelBehavior" and "Exceeded maximum retries" in step.error.message
    assert "raise error" in step.error.traceback
    assert OPENAI_KEY not in trace_path.read_text()
    findings = [f for f in diagnose(trace) if f.details.get("kind") == "run-error"]
    assert [f.title for f in findings] == ["the run raised UnexpectedModelBehavior"]


def test_a_clean_exit_is_not_an_error(trace_path):
    with pytest.raises(SystemExit), agentdbg.trace("exit", path=trace_path):
        raise SystemExit(0)
    assert load(trace_path).spans == []


def _record_structured_output(oai, trace_path, tool_choice=None, **trace_options):
    with agentdbg.trace("structured", path=trace_path, **trace_options):
        extra = {"tool_choice": tool_choice} if tool_choice else {}
        answer = oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "extract"}], tools=SUBMIT, **extra
        )
    return answer


@pytest.mark.parametrize(
    "how",
    ["header", "forced", "cli"],
)
def test_terminal_tool_is_the_final_answer(server, oai, trace_path, how, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    server.enqueue(tool_call_reply("submit", {"name": "Ada"}))
    choice = {"type": "function", "function": {"name": "submit"}} if how == "forced" else None
    options = {"final_tools": ["submit"]} if how == "header" else {}
    _record_structured_output(oai, trace_path, choice, **options)
    trace = load(trace_path)
    runner = CliRunner()
    extra = ["--final-tool", "submit"] if how == "cli" else []
    verdict = runner.invoke(app, ["diagnose", str(trace_path), "--fail-on", "error", *extra])
    assert verdict.exit_code == 0, verdict.output
    if how != "cli":
        assert not [f for f in diagnose(trace) if f.details.get("kind") == "no-final-answer"]
    server.enqueue(tool_call_reply("submit", {"name": "Grace"}))
    fork = trace_path.with_suffix(".fork.jsonl")
    result = replay(
        trace,
        "step-1",
        output=fork,
        base_url=server.base_url + "/v1",
        final_tools=["submit"] if how == "cli" else (),
    )
    assert result.status == "finished" and json.loads(result.new_answer) == {"name": "Grace"}


def test_without_a_terminal_hint_the_missing_answer_is_still_reported(server, oai, trace_path):
    server.enqueue(tool_call_reply("submit", {"name": "Ada"}))
    _record_structured_output(oai, trace_path)
    kinds = [f.details.get("kind") for f in diagnose(load(trace_path))]
    assert "no-final-answer" in kinds


def test_known_framework_final_tools(server, oai, trace_path):
    server.enqueue(tool_call_reply("final_result_Person", {"name": "Ada"}), reply("unused"))
    with agentdbg.trace("pydantic-ai-like", path=trace_path):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "who?"}])
    assert "no-final-answer" not in [f.details.get("kind") for f in diagnose(load(trace_path))]


def test_the_terminal_call_is_the_runs_final_answer_in_summaries(server, oai, trace_path):
    from agentdbg.analysis.calls import final_answer

    server.enqueue(tool_call_reply("final_answer", {"answer": "42"}))
    with agentdbg.trace("smolagents-like", path=trace_path):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}], tools=SUBMIT)
    assert json.loads(final_answer(load(trace_path))) == {"answer": "42"}
