"""explain on the bundled sample traces: every one yields evidence offline; 03 (tool loop) is explained and its
fix verified by replay against a rule-following fake model, with the sample's tool functions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.explain import explain
from agentdbg.testing.llm_server import FakeLLMServer, RecordedRequest, Reply
from tests.replay.test_sample_fixes import helpdesk_model

from .conftest import base_url
from .helpers import explain_requests, is_explain, json_reply

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_traces"
runner = CliRunner()


def test_every_sample_trace_gives_evidence_offline() -> None:
    paths = sorted(SAMPLES.glob("0*.jsonl"))
    assert len(paths) >= 9
    targets = {}
    for path in paths:
        result = explain(str(path), dry_run=True)
        evidence = result.evidence
        assert evidence.estimated_tokens <= evidence.budget_tokens
        assert evidence.target_step in evidence.window
        targets[path.name] = evidence.target_step
    assert (
        targets["03_tool_loop.jsonl"] == "step-3"
    )  # the loop's first call, not the agent step that echoes it
    assert targets["05_bad_arguments.jsonl"] == "step-2"


def test_explain_and_verify_the_tool_loop(
    tmp_path: Path, server: FakeLLMServer, keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # sample_traces.fixes.tools
    trace_path = Path(shutil.copy(SAMPLES / "03_tool_loop.jsonl", tmp_path / "03_tool_loop.jsonl"))
    sample_fix = json.loads((SAMPLES / "fixes" / "03_tool_loop.json").read_text())
    scripted = {
        "failure_step": "step-4",
        "root_cause": "search_kb finds nothing for 'VPN error 809 on Windows 11' and the model repeats the same "
        "search; the system prompt gives no way out (open a ticket) when the knowledge base has no answer.",
        "failure_pattern": "loop",
        "fixes": [
            {
                "kind": "system-prompt",
                "step": "step-2",
                "title": "Never repeat a search; open a ticket instead",
                "patch": sample_fix,
                "rationale": "With an explicit fallback the model stops searching and opens a ticket.",
            }
        ],
    }

    def route(request: RecordedRequest) -> Reply:
        return json_reply(scripted) if is_explain(request) else helpdesk_model(request)

    server.responder = route
    args = [
        "explain",
        str(trace_path),
        "--base-url",
        base_url(server, "openai"),
        "--verify",
        "--tools",
        "sample_traces.fixes.tools:TOOLS",
        "--max-steps",
        "6",
        "--json",
    ]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["evidence"]["target_step"] == "step-3"
    (request,) = explain_requests(server.requests)
    evidence = data["evidence"]["payload"]
    broken_prompt = next(step for step in evidence["steps"] if step["step"] == "step-2")["document"]
    assert "IT helpdesk" in broken_prompt["system"] and broken_prompt["system"] in request.body.decode()
    (check,) = data["checks"]
    assert check["status"] == "finished" and "loop@step-3" in check["before"]
    assert "loop@step-3" not in check["after"] and len(check["after"]) < len(check["before"])
    assert "IT-20931" in check["new_answer"] and check["answer_changed"] is True
    assert json.loads((tmp_path / "fix-1.json").read_text()) == sample_fix
    assert data["replay_command"].endswith(f"--from step-2 --patch {tmp_path / 'fix-1.json'}")
