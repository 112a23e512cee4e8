"""verify end to end: the same fix replayed on every matching trace through the real SDKs against the local server;
and diff on a real fork produced by the replay engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.analysis import diagnose, diff_traces
from agentdbg.cli import app
from agentdbg.replay import ReplayOptions, replay
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, RecordedRequest, Reply, reply, tool_call_reply

from .builders import SEARCH_DOCS, WEATHER, Run, healthy_run

runner = CliRunner()
FIX = "If a search finds nothing, say so at once; never repeat a search with the same query."
FIX_PATCH = [{"op": "replace", "path": "/system", "value": FIX}]


def looping_run(provider: str, topic: str) -> Run:
    run = Run(
        provider=provider,
        model="gpt-4o" if provider == "openai" else "claude-3-5-sonnet-20241022",
        tools=[SEARCH_DOCS, WEATHER],
    )
    run.user(f"How do I {topic}?")
    for _ in range(3):
        run.call_tool("search_docs", {"query": topic}, "No results found.")
    run.llm("Sorry, I could not find it.")
    return run


def responder(request: RecordedRequest) -> Reply:
    """Answers at once when the fix is in the prompt, except about Oslo, where the model keeps searching."""
    body = json.dumps(request.json)
    messages = request.json.get("messages") or []
    first_user = next((m for m in messages if m.get("role") == "user"), {})
    topic = str(first_user.get("content", "")).removeprefix("How do I ").removesuffix("?")
    if FIX in body and "Oslo" not in body:
        return reply(f"The documentation does not cover how to {topic}.")
    return tool_call_reply("search_docs", {"query": topic})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with FakeLLMServer(responder=responder, seed=3) as running:
        yield running


def test_verify_replays_the_fix_on_every_looping_trace(
    tmp_path: Path, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    traces = tmp_path / "traces"
    looping_run("openai", "rotate an API key").write(traces / "a-rotate.jsonl")
    looping_run("openai", "export invoices").write(traces / "b-export.jsonl")
    looping_run("openai", "reach the Oslo office").write(traces / "c-oslo.jsonl")
    healthy_run().write(traces / "d-healthy.jsonl")
    patch = tmp_path / "fix.json"
    patch.write_text(json.dumps(FIX_PATCH))
    out = tmp_path / "forks"
    args = [
        "verify",
        str(traces),
        "--patch",
        str(patch),
        "--from",
        "first-llm",
        "--finding",
        "loop",
        "--base-url",
        server.base_url + "/v1",
        "--max-steps",
        "3",
        "--out",
        str(out),
    ]

    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output  # the Oslo trace still loops
    rows = {Path(row["trace"]).name: row for row in json.loads(result.stdout)}
    assert sorted(rows) == [
        "a-rotate.jsonl",
        "b-export.jsonl",
        "c-oslo.jsonl",
    ]  # the healthy trace has no loop
    for name in ("a-rotate.jsonl", "b-export.jsonl"):
        row = rows[name]
        assert row["status"] == "finished" and row["from_step"] == "step-1"
        assert row["before"] == ["loop@step-2"] and row["after"] == []
        assert row["answer_changed"] is True and row["new_answer"].startswith(
            "The documentation does not cover"
        )
        assert Path(row["fork_path"]).parent == out
    oslo = rows["c-oslo.jsonl"]
    assert oslo["status"] == "max-steps" and oslo["answer_changed"] is True
    assert "loop@step-2" in oslo["after"]
    assert "2 of 3 trace(s) replayed clean" in result.stderr
    assert any(FIX in json.dumps(request.json) for request in server.requests)

    table = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert table.exit_code == 1
    assert (
        "loop@step-2" in table.stdout
        and "finished" in table.stdout
        and "max-steps" in table.stdout
        and "changed" in table.stdout
    )


def test_verify_reports_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    healthy_run().write(tmp_path / "ok.jsonl")
    patch = tmp_path / "fix.json"
    patch.write_text("not json")
    bad_patch = runner.invoke(app, ["verify", str(tmp_path), "--patch", str(patch), "--from", "first-llm"])
    assert bad_patch.exit_code == 2 and "not JSON" in bad_patch.stderr
    patch.write_text(json.dumps(FIX_PATCH))
    nothing = runner.invoke(
        app, ["verify", str(tmp_path), "--patch", str(patch), "--from", "first-llm", "--finding", "loop"]
    )
    assert nothing.exit_code == 2 and "no trace under" in nothing.stderr


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_diff_of_a_real_replay_fork(tmp_path: Path, server: FakeLLMServer, provider: str) -> None:
    original = looping_run(provider, "rotate an API key").write(tmp_path / "run.jsonl")
    base_url = server.base_url + ("/v1" if provider == "openai" else "")
    result = replay(
        str(original), "step-3", patch=FIX_PATCH, base_url=base_url, output=tmp_path / "fork.jsonl"
    )
    assert result.status == "finished", result.error
    a, b = read_trace(original), read_trace(result.fork_path)
    diff = diff_traces(a, b)
    assert diff.fork_step == 3
    assert [s.status for s in diff.steps[:2]] == ["identical", "identical"]  # recorded prefix
    divergent = diff.divergent
    assert divergent is not None and divergent.a_step == 3 and divergent.b_step == 3
    assert "prompt" in divergent.changes and "response" in divergent.changes
    assert any(line.startswith("+[system] " + FIX[:20]) for line in divergent.prompt_diff)
    assert diff.final_a == "Sorry, I could not find it."
    assert diff.final_b == "The documentation does not cover how to rotate an API key."
    assert len(diff.steps) >= len(a.spans)  # every original step is accounted for
    assert [f.pattern for f in diagnose(b) if f.severity != "info"] == []


def test_a_trace_without_the_selected_step_is_skipped(tmp_path: Path) -> None:
    from agentdbg.analysis.verify import verify

    healthy = healthy_run().write(tmp_path / "ok.jsonl")
    (row,) = verify([str(healthy)], FIX_PATCH, "tool:search_docs", output_dir=tmp_path / "forks")
    assert row.status == "skipped" and row.fork_path is None and not row.cured
    assert row.error is not None and "no call of tool 'search_docs'" in row.error


def test_the_bundled_fix_of_sample_03_cures_the_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped patch for 03_tool_loop, replayed on the sample: loop and max-steps gone, a ticket opened instead."""
    import importlib.util

    from agentdbg.analysis.verify import verify

    samples = Path(__file__).resolve().parents[2] / "sample_traces"
    spec = importlib.util.spec_from_file_location("sample_fix_tools", samples / "fixes" / "tools.py")
    assert spec is not None and spec.loader is not None
    fix_tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fix_tools)
    patch = json.loads((samples / "fixes" / "03_tool_loop.json").read_text())
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")

    def fixed_model(request: RecordedRequest) -> Reply:
        body = json.dumps(request.json)
        if "Never repeat a search" not in body:
            return tool_call_reply("search_kb", {"query": "VPN error 809 on Windows 11"})
        if "IT-20931" in body:
            return reply("I could not find an article, so I opened ticket IT-20931 for the IT team.")
        return tool_call_reply("create_ticket", {"summary": "VPN error 809 after the Windows 11 update"})

    with FakeLLMServer(responder=fixed_model) as fake:
        (row,) = verify(
            [str(samples / "03_tool_loop.jsonl")],
            patch,
            "first-llm",
            output_dir=tmp_path,
            replay_options=ReplayOptions(base_url=fake.base_url + "/v1", tools=fix_tools.TOOLS),
        )
    assert row.status == "finished" and row.cured
    assert (
        "loop@step-3" in row.before and row.after == []
    )  # the fork's recorded agent span keeps the old error: not counted
    assert row.answer_changed and row.new_answer is not None and "IT-20931" in row.new_answer
