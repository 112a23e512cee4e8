"""SWE-agent, mini-swe-agent and OpenHands files: counts from the raw JSON, read here with plain json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, errors

SWE = sorted((CORPUS / "swe_agent").glob("*.traj"))
MINI = CORPUS / "mini_swe_agent/github_issue.traj.json"
OPENHANDS = CORPUS / "openhands/wrong_initial_state.json"

# Failure markers in observation text (the only place SWE-agent records errors).
FAILURE_TEXT = (
    "Your proposed edit has introduced new syntax error",
    "Traceback (most recent call last)",
    ": command not found",
    "No such file or directory",
)


@pytest.mark.parametrize("path", SWE, ids=lambda p: p.stem[:20])
def test_swe_agent_steps_tools_errors_tokens(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    trajectory = data["trajectory"]
    stats = data["info"]["model_stats"]
    failing = [t for t in trajectory if any(marker in t["observation"] for marker in FAILURE_TEXT)]
    assistant_positions = [
        i for i, m in enumerate(data["history"]) if m["role"] == "assistant" and not m.get("is_demo")
    ]

    trace = open_trace(path)
    assert trace.format == "swe-agent"
    assert len(trace.llm_spans) == len(trajectory) == len(assistant_positions)
    assert len(trace.tool_spans) == len(trajectory)
    assert [s.output for s in trace.tool_spans] == [t["observation"] for t in trajectory]
    assert len(errors(trace)) == len(failing)
    assert trace.totals()["input_tokens"] == stats["tokens_sent"]
    assert trace.totals()["output_tokens"] == stats["tokens_received"]
    root = trace.roots[0]
    assert root.attributes["exit_status"] == data["info"]["exit_status"]
    assert root.output == data["info"].get("submission")
    for span, position in zip(trace.llm_spans, assistant_positions, strict=True):
        assert len(span.input["request"]["messages"]) == position  # the chat sent so far
        assert span.llm.replayable is False


def test_swe_agent_function_calling_variant_keeps_call_ids_and_parsed_arguments() -> None:
    path = CORPUS / "swe_agent/marshmallow-1867_function_calling_replace.traj"
    data = json.loads(path.read_text(encoding="utf-8"))
    calls = [c for m in data["history"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]
    trace = open_trace(path)
    assert [s.tool.call_id for s in trace.tool_spans] == [c["id"] for c in calls]
    assert [s.tool.name for s in trace.tool_spans] == [c["function"]["name"] for c in calls]
    assert [s.tool.arguments for s in trace.tool_spans] == [
        json.loads(c["function"]["arguments"]) for c in calls
    ]
    second = trace.llm_spans[1].llm
    assert second.prompt[-1].role == "tool" and second.prompt[-1].tool_call_id == calls[0]["id"]


def test_swe_agent_text_variant_state_json_string_is_decoded() -> None:
    path = CORPUS / "swe_agent/pydicom-1458_gpt4_default.traj"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data["trajectory"][0]["state"], str)
    trace = open_trace(path)
    first = trace.tool_spans[0]
    assert first.attributes["state"] == json.loads(data["trajectory"][0]["state"])
    assert first.tool.arguments == {"command": data["trajectory"][0]["action"]}
    assert first.name == data["trajectory"][0]["action"].split()[0]


def test_mini_swe_agent_actions_and_returncodes() -> None:
    messages = json.loads(MINI.read_text(encoding="utf-8"))
    assistant = [m for m in messages if m["role"] == "assistant"]
    commands = [
        c for m in assistant for c in re.findall(r"```mswea_bash_command\n(.*?)```", m["content"], re.S)
    ]
    codes = [
        int(c)
        for m in messages
        if m["role"] == "user"
        for c in re.findall(r"<returncode>(\d+)</returncode>", m["content"])
    ]

    trace = open_trace(MINI)
    assert trace.format == "mini-swe-agent"
    assert len(trace.llm_spans) == len(assistant)
    assert [s.tool.arguments["command"] for s in trace.tool_spans] == [c.strip() for c in commands]
    assert len(errors(trace)) == sum(1 for code in codes if code != 0) == 2
    assert trace.tool_spans[-1].output == messages[-1]["content"]  # the submitted diff


def test_openhands_llm_calls_counted_once_and_tools_paired_by_cause() -> None:
    events = json.loads(OPENHANDS.read_text(encoding="utf-8"))
    responses = {
        e["tool_call_metadata"]["model_response"]["id"]: e["tool_call_metadata"]["model_response"]
        for e in events
        if "tool_call_metadata" in e
    }
    actions = [e for e in events if "action" in e and "tool_call_metadata" in e]
    observations = {e["cause"]: e for e in events if "observation" in e}

    trace = open_trace(OPENHANDS)
    assert trace.format == "openhands"
    assert len(trace.llm_spans) == len(responses) == 4
    assert len(trace.tool_spans) == len(actions) == 4
    assert trace.totals()["input_tokens"] == sum(r["usage"]["prompt_tokens"] for r in responses.values())
    assert trace.totals()["output_tokens"] == sum(r["usage"]["completion_tokens"] for r in responses.values())
    for span in trace.tool_spans:
        action = next(a for a in actions if a["id"] == span.attributes["event_id"])
        if action["id"] in observations:
            assert span.output == observations[action["id"]]["content"]
    assert errors(trace) == []
    assert trace.llm_spans[1].llm.prompt[-1].role == "tool"


@pytest.mark.parametrize("name", ["swe-agent", "mini-swe-agent", "openhands"])
def test_wrong_types_and_truncation_give_problems(tmp_path: Path, name: str) -> None:
    source = {"swe-agent": SWE[0], "mini-swe-agent": MINI, "openhands": OPENHANDS}[name]
    truncated = tmp_path / "cut.json"
    truncated.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    trace = open_trace(truncated, format=name)
    assert (
        trace.spans == []
        and trace.problems[0].severity == "error"
        and "not valid JSON" in trace.problems[0].message
    )
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps(
            {"trajectory": 3, "history": "x", "info": []} if name == "swe-agent" else [1, "two", {"role": 5}]
        ),
        encoding="utf-8",
    )
    trace = open_trace(wrong, format=name)
    assert trace.problems or trace.spans


def test_mini_swe_agent_full_output_file(tmp_path: Path) -> None:
    """Real mini-swe-agent runs save {info, messages, trajectory_format}; the corpus file is the bare message list."""
    messages = json.loads(MINI.read_text(encoding="utf-8"))
    info = {
        "exit_status": "Submitted",
        "submission": "diff --git a/x b/x",
        "model_stats": {"instance_cost": 0.12, "api_calls": 10},
        "config": {"model": {"model_name": "claude-sonnet-4-20250514"}},
    }
    path = tmp_path / "run.traj.json"
    path.write_text(
        json.dumps({"info": info, "messages": messages, "trajectory_format": "mini-swe-agent-1"}),
        encoding="utf-8",
    )
    trace = open_trace(path)
    assert trace.format == "mini-swe-agent"
    assert len(trace.llm_spans) == sum(1 for m in messages if m["role"] == "assistant")
    assert trace.llm_spans[0].input["request"]["model"] == "claude-sonnet-4-20250514"
    assert trace.roots[0].output == info["submission"]


def test_swe_agent_trajectory_without_history(tmp_path: Path) -> None:
    data = json.loads(SWE[1].read_text(encoding="utf-8"))
    del data["history"]
    path = tmp_path / "old.traj"
    path.write_text(json.dumps(data), encoding="utf-8")
    trace = open_trace(path)
    assert len(trace.llm_spans) == len(trace.tool_spans) == len(data["trajectory"])
    assert trace.llm_spans[0].llm.answer_text == data["trajectory"][0]["response"]
