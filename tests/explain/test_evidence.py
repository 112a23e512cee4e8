"""Evidence: which step is broken, what is sent, trimming to the token budget (each cut said), secrets masked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentdbg.analysis import diagnose
from agentdbg.cli import app
from agentdbg.explain import gather_evidence
from agentdbg.explain.budget import estimate_tokens, fit_to_budget, middle_cut
from agentdbg.importers import open_trace
from agentdbg.testing.llm_server import FakeLLMServer
from tests.analysis.builders import SEARCH_DOCS, Run
from tests.conftest import scan_for_secrets

from .conftest import base_url
from .helpers import answer, explain_requests, json_reply, responder, write_loop

runner = CliRunner()


def huge_result_run(size: int = 100_000) -> Run:
    """A tool returns a huge page; the model then calls a tool that does not exist; the run errors."""
    run = Run(provider="openai", model="gpt-4o", tools=[SEARCH_DOCS])
    run.user("Summarise the release notes.")
    run.call_tool("search_docs", {"query": "release notes"}, "PAGE " + "lorem ipsum " * (size // 12))
    run.llm(None, [("fetch_page", {"url": "https://example.com"})])
    run.tool(
        "fetch_page", {"url": "https://example.com"}, None, error={"type": "KeyError", "message": "no tool"}
    )
    return run


def test_trimmed_to_budget_and_every_cut_is_named(tmp_path: Path) -> None:
    trace = open_trace(str(huge_result_run().write(tmp_path / "big.jsonl")))
    findings = diagnose(trace)

    evidence = gather_evidence(trace, findings, step="step-3", budget_tokens=3000)

    assert evidence.estimated_tokens <= 3000
    assert evidence.window == ["step-1", "step-2", "step-3"]
    assert evidence.trimmed, "a 100 kB tool result cannot fit 3,000 tokens"
    assert any(
        line.startswith("step-2 /document/result: kept ~")
        and "of 100," in line
        and "chars (middle cut)" in line
        for line in evidence.trimmed
    ), evidence.trimmed
    assert evidence.payload["trimmed"] == evidence.trimmed  # the model is told too
    result = next(step for step in evidence.payload["steps"] if step["step"] == "step-2")["document"][
        "result"
    ]
    assert result.startswith("PAGE lorem") and "…[agentdbg trimmed " in result
    broken = next(step for step in evidence.payload["steps"] if step["step"] == "step-3")
    assert broken["answer"]["tool_calls"][0]["name"] == "fetch_page"  # the broken step keeps its call
    # the broken step's prompt (which repeats the page) is cut last and least: context first, down to 120 chars
    assert evidence.trimmed == [
        "step-2 /document/result: kept ~120 of 100,001 chars (middle cut)",
        "step-3 /document/messages/1/content: kept ~4,000 of 100,001 chars (middle cut)",
    ]

    roomy = gather_evidence(trace, findings, step="step-3", budget_tokens=60_000)
    assert roomy.trimmed == [] and "trimmed" not in roomy.payload


def test_tiny_budget_drops_context_steps_oldest_first() -> None:
    evidence = {
        "target_step": "step-3",
        "findings": [],
        "steps": [
            {"step": "step-1", "text": "a" * 3000},
            {"step": "step-2", "text": "b" * 3000},
            {"step": "step-3", "text": "c" * 200},
        ],
        "tool_schemas": [],
        "outcome": {},
    }
    fitted, notes = fit_to_budget(evidence, 60)
    assert [step["step"] for step in fitted["steps"]] == ["step-3"]
    assert "step-1 dropped whole (context step, oldest first)" in notes
    assert "step-2 dropped whole (context step, oldest first)" in notes
    assert estimate_tokens("x" * 400) == 100


def test_middle_cut_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 1000 + "TAIL"
    cut = middle_cut(text, 90)
    assert cut.startswith("HEAD") and cut.endswith("TAIL") and "trimmed 918 chars" in cut
    assert middle_cut("short", 90) == "short"


def test_target_step_choice(tmp_path: Path) -> None:
    looping = open_trace(str(write_loop(tmp_path)))
    assert gather_evidence(looping, diagnose(looping)).target_step == "step-2"
    assert (
        gather_evidence(looping, diagnose(looping), step="last-llm").target_reason
        == "chosen with --step last-llm"
    )
    assert gather_evidence(looping, []).target_reason == "no finding or failed step; the last step"
    failed = open_trace(str(huge_result_run(100).write(tmp_path / "failed.jsonl")))
    evidence = gather_evidence(failed, [])
    assert (evidence.target_step, evidence.target_reason) == ("step-4", "first step that failed")
    step4 = evidence.payload["steps"][-1]
    assert step4["error"] == "KeyError: no tool" and step4["status"] == "error"
    first, _, later, _ = evidence.payload["steps"]
    assert first["step"] == "step-1" and first["document"]["messages_start_index"] == 0
    assert later["step"] == "step-3" and later["document"]["messages_start_index"] == 1  # no repeated prefix
    assert [m["role"] for m in later["document"]["messages"]] == ["assistant", "tool"]
    assert "are the same as in the previous llm step shown" in later["messages_note"]


@pytest.mark.writes_secrets(reason="a tool result holds a key-shaped string; explain must mask it")
def test_key_shaped_strings_are_masked_before_sending(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    leaked = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    run = Run(provider="openai", model="gpt-4o", tools=[SEARCH_DOCS])
    run.user("Find the deploy key.")
    run.call_tool("search_docs", {"query": "deploy key"}, f"found: OPENAI_API_KEY={leaked}")
    run.call_tool("search_docs", {"query": "deploy key"}, f"found: OPENAI_API_KEY={leaked}")
    run.call_tool("search_docs", {"query": "deploy key"}, f"found: OPENAI_API_KEY={leaked}")
    run.llm("done")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    # written by hand, as another tool (or an old agentdbg) might have: the trace writer itself would mask the key
    header = {
        "type": "trace",
        "schema_version": 1,
        "trace_id": run.trace_id,
        "name": "leaky",
        "started_at": run.started_at,
    }
    lines = [json.dumps(header), *(json.dumps(record) for record in run.records)]
    trace_path = inputs / "leaky.jsonl"
    trace_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    server.responder = responder([json_reply(answer())])

    result = runner.invoke(
        app, ["explain", str(trace_path), "--base-url", base_url(server, "openai"), "--json"]
    )

    assert result.exit_code == 0, result.output
    (request,) = explain_requests(server.requests)
    assert leaked not in request.body.decode() and "sk-proj-[REDACTED]" in request.body.decode()
    assert json.loads(result.stdout)["evidence"]["masked_secrets"] >= 1
    assert leaked not in result.stdout
    outputs = [path for path in tmp_path.rglob("*") if path.is_file() and inputs not in path.parents]
    assert all(leaked not in path.read_text() for path in outputs)
    assert scan_for_secrets(tmp_path / "inputs")  # the input really held one


def test_dry_run_prints_the_evidence_and_sends_nothing(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    result = runner.invoke(app, ["explain", str(trace_path), "--dry-run", "--budget", "2000"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["evidence"]["target_step"] == "step-2" and data["estimated_tokens"] <= 2000
    assert server.requests == []


def test_explain_package_imports_neither_rich_nor_textual() -> None:
    code = (
        "import sys, agentdbg.explain, agentdbg.explain.check, agentdbg.explain.budget\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'textual'))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""


def test_long_conversation_keeps_its_start_and_end() -> None:
    messages = [{"role": "user", "content": f"message {n} " + "x" * 100} for n in range(200)]
    evidence = {
        "target_step": "step-9",
        "findings": [],
        "steps": [{"step": "step-9", "document": {"messages_start_index": 0, "messages": messages}}],
        "tool_schemas": [],
        "outcome": {},
    }
    fitted, notes = fit_to_budget(evidence, 1500)
    kept = fitted["steps"][0]["document"]["messages"]
    assert estimate_tokens(fitted) <= 1500
    assert kept[0]["content"].startswith("message 0 ") and kept[1]["content"].startswith("message 1 ")
    marker = kept[2]
    assert kept[-1]["content"].startswith("message 199 ")
    first, last = marker["first"], marker["last"]
    assert first == 2 and kept[3]["content"].startswith(f"message {last + 1} ")
    assert f"step-9 /document/messages: /messages/2 … /messages/{last} omitted" in notes[-1]


def test_the_evidence_of_one_step_reads_only_the_steps_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read through the index, gathering evidence parses the window, the tools' llm step and the last steps;
    the evidence is the one an eagerly read trace gives."""
    from agentdbg.store import read_indexed
    from agentdbg.store.index import TraceIndex

    run = Run(provider="openai", model="gpt-4o", tools=[SEARCH_DOCS])
    run.user("Find the release notes.")
    for turn in range(80):
        run.call_tool("search_docs", {"query": f"notes {turn}"}, f"page {turn}")
    run.llm("Found them.")
    path = run.write(tmp_path / "long.jsonl")
    findings = diagnose(open_trace(path))
    load_span, read_span = TraceIndex.load_span, TraceIndex.read_span
    parsed: list[int] = []

    def counted(read: Any) -> Any:
        return lambda self, position: (parsed.append(position), read(self, position))[1]

    monkeypatch.setattr(TraceIndex, "load_span", counted(load_span))
    monkeypatch.setattr(TraceIndex, "read_span", counted(read_span))
    for step in ("step-81", None):
        eager = gather_evidence(open_trace(path), findings, step=step)
        parsed.clear()
        lazy = gather_evidence(read_indexed(path), findings, step=step)
        assert lazy.payload == eager.payload and lazy.window == eager.window
        assert len(set(parsed)) <= 7, sorted(set(parsed))  # of 161 steps
