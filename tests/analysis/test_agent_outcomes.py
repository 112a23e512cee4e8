"""How a coding agent's run ended, as its own files say it, in diagnose: a run that ends by submitting
(SWE-agent, mini-swe-agent: the agent step's ``exit_status``) answered with its submit action; an answer the agent
refused is a format finding, not an API error; an overflow recorded on an agent's own step is a context finding,
once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.analysis import diagnose
from agentdbg.importers import open_trace
from agentdbg.model.run_end import submitted
from tests.importers.corpus import CORPUS, DATA

SUBMITTED = [  # real runs whose last llm step asked for the submit command (a tool call)
    DATA / "mini_swe_agent" / "v2_toolcall_fixture.traj.json",
    CORPUS / "swe_agent" / "marshmallow-1867_function_calling_replace.traj",
]


def _no_answer(path: Path) -> list[str]:
    return [f.title for f in diagnose(open_trace(path)) if f.details.get("kind") == "no-final-answer"]


@pytest.mark.parametrize("path", SUBMITTED, ids=lambda path: path.name)
def test_a_submitted_run_has_its_answer(path: Path) -> None:
    assert submitted(open_trace(path).spans[0].attributes)
    assert _no_answer(path) == []


def test_a_run_that_stopped_otherwise_still_has_no_answer(tmp_path: Path) -> None:
    data = json.loads(SUBMITTED[0].read_text("utf-8"))
    data["info"]["exit_status"] = "LimitsExceeded"
    for message in data["messages"]:
        extra = message.get("extra")
        if isinstance(extra, dict) and "exit_status" in extra:
            extra["exit_status"] = "LimitsExceeded"
    path = tmp_path / "limits.traj.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert not submitted(open_trace(path).spans[0].attributes)
    assert _no_answer(path) == ["run ended without a final answer"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("submitted", True),
        ("Submitted", True),
        ("submitted (exit_cost)", True),
        ("exit_format", False),
        (None, False),
        (3, False),
    ],
)
def test_submitted_statuses(status: object, expected: bool) -> None:
    assert submitted({"exit_status": status}) is expected


def test_a_refused_answer_is_a_format_finding_not_an_api_error() -> None:
    """mini-swe-agent refused three answers, then gave up: three format warnings (grouped) and the run's error."""
    findings = diagnose(
        open_trace(DATA / "mini_swe_agent" / "v2.4.6_fake_server_repeated_format_error.traj.json")
    )
    kinds = [(f.step, f.details.get("kind"), f.severity) for f in findings]
    assert ("API error" not in " ".join(f.title for f in findings)) and kinds[0][1] != "api"
    assert [k for k in kinds if k[1] == "format"] == [
        (2, "format", "warning"),
        (3, "format", "warning"),
        (4, "format", "warning"),
    ]
    assert any("RepeatedFormatError" in f.title for f in findings)


def test_an_overflow_recorded_on_an_agent_step_is_a_context_finding() -> None:
    """Codex 0.171 fails the turn with context_window_exceeded; the llm call itself shows no error."""
    findings = diagnose(open_trace(DATA / "codex" / "codex_0.171.0_fake_server_context_error.jsonl"))
    overflow = [f for f in findings if f.pattern == "context"]
    assert [(f.step, f.title, f.details["type"]) for f in overflow] == [
        (2, "context window overflow", "context_window_exceeded")
    ]
    assert "ran out of room" in overflow[0].evidence


def test_an_overflow_repeated_on_the_session_step_is_reported_once_at_the_call() -> None:
    """Claude Code 2.1.197's stream: the refused call and the session step both carry 'Prompt is too long'."""
    findings = diagnose(
        open_trace(DATA / "claude_code_stream" / "stream_2.1.197_fake_server_api_error.jsonl")
    )
    overflow = [f for f in findings if f.pattern == "context"]
    assert [(f.step, f.title) for f in overflow] == [(2, "context window overflow")]
    assert overflow[0].evidence.startswith("the API refused the request")
