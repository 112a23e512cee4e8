"""Aider chat histories: counts checked against the raw Markdown with plain string handling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors

FILES = sorted((DATA / "aider").glob("*/.aider.chat.history.md"))


def _k(value: str) -> int:
    return round(float(value[:-1]) * 1000) if value.endswith("k") else int(value)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_sessions_answers_edits_errors_and_tokens_match_the_file(path: Path) -> None:
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()]
    sessions = [line for line in lines if line.startswith("# aider chat started at ")]
    token_lines = [line for line in lines if line.startswith("> Tokens: ")]
    sent = sum(_k(line.split()[2]) for line in token_lines)
    received = sum(_k(line.split(", ")[1].split()[0]) for line in token_lines)
    applied = [line for line in lines if line.startswith("> Applied edit to ")]
    api_errors = [line for line in lines if line.startswith("> litellm.")]

    trace = open_trace(path)

    assert detect_format(path) == "aider"
    assert [s.name for s in trace.spans if s.kind == "agent"] == [
        f"aider session {line.removeprefix('# aider chat started at ')}" for line in sessions
    ]
    assert len(trace.llm_spans) == len(token_lines)  # every answer in these files ends with its token line
    assert all(s.usage is not None for s in trace.llm_spans)
    assert trace.totals()["input_tokens"] == sent
    assert trace.totals()["output_tokens"] == received
    assert [s.input["arguments"]["file"] for s in trace.tool_spans] == [
        line.removeprefix("> Applied edit to ") for line in applied
    ]
    assert [s.error.message for s in errors(trace)] == [line[2:] for line in api_errors]
    assert all(s.attributes["replayable"] is False for s in trace.llm_spans)
    assert all(s.attributes["not_replayable_because"] for s in trace.llm_spans)


def test_a_user_turn_and_the_model_named_at_launch_reach_the_llm_step() -> None:
    trace = open_trace(DATA / "aider/web_portfolio/.aider.chat.history.md")
    first = trace.llm_spans[0]
    assert first.name == "openrouter/openai/gpt-oss-120b"
    assert first.input["request"]["messages"][-1] == {
        "role": "user",
        "content": "Create a minimalist button with onClick event when clicked opens a new tab of a certain link",
    }
    assert "minimalButton.js" in first.output["choices"][0]["message"]["content"]


def test_llm_log_beside_the_history_makes_the_steps_replayable(tmp_path: Path) -> None:
    source = DATA / "aider/web_portfolio/.aider.chat.history.md"
    (tmp_path / ".aider.chat.history.md").write_bytes(source.read_bytes())
    calls = []
    for n in range(4):
        calls.append(
            f"TO LLM 2026-06-09T12:0{n}:00\n-------\nSYSTEM Act as an expert.\n-------\nUSER question {n}\n"
        )
        calls.append(f"LLM RESPONSE 2026-06-09T12:0{n}:05\nASSISTANT answer {n}\n")
    (tmp_path / ".aider.llm.history").write_text("".join(calls), encoding="utf-8")

    trace = open_trace(tmp_path / ".aider.chat.history.md")

    assert [s.input["request"]["messages"] for s in trace.llm_spans][2] == [
        {"role": "system", "content": "Act as an expert."},
        {"role": "user", "content": "question 2"},
    ]
    assert all(s.llm is not None and s.llm.replayable for s in trace.llm_spans)
    log = open_trace(tmp_path / ".aider.llm.history")
    assert log.format == "aider-llm"
    assert [s.output["choices"][0]["message"]["content"] for s in log.llm_spans] == [
        f"answer {n}" for n in range(4)
    ]


def test_a_launch_with_no_exchange_is_one_session_step_and_nothing_else() -> None:
    trace = open_trace(DATA / "aider/note_app/.aider.chat.history.md")
    assert [s.kind for s in trace.spans] == ["agent"]
    assert not re.search(r"error", " ".join(p.severity for p in trace.problems))
