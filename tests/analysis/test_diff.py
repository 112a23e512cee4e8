"""diff_traces: fork-aware alignment, per-step status, first divergence, inline diffs, final answers, deltas."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.analysis import diff_traces
from agentdbg.cli import app
from agentdbg.store import read_trace

from .builders import SEARCH_DOCS, WEATHER, Run

runner = CliRunner()


def prefix(run: Run) -> None:
    """step-1 llm → get_weather, step-2 tool."""
    run.user("What should I wear in Paris today?")
    run.call_tool("get_weather", {"city": "Paris"}, {"forecast": "rain", "temperature_c": 12})


def original_and_fork(tmp_path: Path) -> tuple[Path, Path]:
    a = Run(tools=[WEATHER, SEARCH_DOCS], name="original")
    prefix(a)
    a.llm("Wear a light shirt.", tokens=(300, 10))
    b = Run(
        tools=[WEATHER, SEARCH_DOCS],
        name="fork",
        fork_of={"trace_id": a.trace_id, "step": "step-3", "source": "a.jsonl"},
    )
    prefix(b)
    b.records = copy.deepcopy(a.records[:4])  # the fork copies steps 1-2 as recorded
    b.llm("Take an umbrella and a warm coat: 12°C and rain.", tokens=(320, 16))
    b.call_tool("search_docs", {"query": "umbrella shops Paris"}, "Shop list")
    b.llm("Take an umbrella; shops nearby sell them.", tokens=(400, 12))
    return a.write(tmp_path / "a.jsonl"), b.write(tmp_path / "b.jsonl")


def test_fork_shares_its_prefix_and_diverges_at_the_fork_step(tmp_path: Path) -> None:
    a_path, b_path = original_and_fork(tmp_path)
    diff = diff_traces(read_trace(a_path), read_trace(b_path))
    assert diff.fork_step == 3
    assert [(s.a_step, s.b_step, s.status) for s in diff.steps] == [
        (1, 1, "identical"),
        (2, 2, "identical"),
        (3, 3, "changed"),
        (None, 4, "only-in-b"),
        (None, 5, "only-in-b"),
        (None, 6, "only-in-b"),
    ]
    divergent = diff.divergent
    assert divergent is not None and (divergent.a_step, divergent.b_step) == (3, 3)
    assert divergent.changes == ["response"]
    assert "-[assistant] Wear a light shirt." in divergent.response_diff
    assert "+[assistant] Take an umbrella and a warm coat: 12°C and rain." in divergent.response_diff
    assert diff.final_a == "Wear a light shirt."
    assert diff.final_b == "Take an umbrella; shops nearby sell them."
    deltas = diff.deltas()
    assert deltas["input_tokens"] == (150 + 320 + 150 + 400) - (150 + 300)
    assert deltas["steps"] == 3
    assert deltas["latency"] == pytest.approx(6 * 0.5 - 3 * 0.5)  # summed step latency, not wall-clock span


def test_unrelated_runs_align_by_kind_and_name(tmp_path: Path) -> None:
    a = Run(tools=[WEATHER])
    a.user("Weather in Rome?")
    a.call_tool("get_weather", {"city": "Rome"}, {"forecast": "sun"})
    a.llm("Sunny in Rome.")
    b = Run(tools=[WEATHER])
    b.user("Weather in Rome?")
    b.call_tool("get_weather", {"city": "Rome"}, {"forecast": "sun"})
    b.call_tool("get_weather", {"city": "Roma"}, {"forecast": "sun"})
    b.llm("Sunny in Rome.")
    diff = diff_traces(a.trace(tmp_path, "a.jsonl"), b.trace(tmp_path, "b.jsonl"))
    statuses = [s.status for s in diff.steps]
    assert statuses.count("only-in-b") == 2 and statuses[:2] == ["identical", "identical"]
    assert diff.final_a == diff.final_b == "Sunny in Rome."
    changed_tool = [s for s in diff.steps if s.kind == "tool" and s.status == "changed"]
    assert changed_tool == []


def test_tool_argument_and_result_changes_are_named(tmp_path: Path) -> None:
    a = Run(tools=[WEATHER])
    a.user("Weather?")
    a.call_tool("get_weather", {"city": "Rome"}, {"forecast": "sun"})
    b = Run(tools=[WEATHER])
    b.user("Weather?")
    b.call_tool("get_weather", {"city": "Milan"}, {"forecast": "fog"})
    diff = diff_traces(a.trace(tmp_path, "a.jsonl"), b.trace(tmp_path, "b.jsonl"))
    tool = diff.steps[1]
    assert tool.status == "changed" and tool.changes == ["arguments", "result"]
    assert tool.prompt_diff == ["@@", '-{"city":"Rome"}', '+{"city":"Milan"}']


def test_diff_command_prints_table_and_json(tmp_path: Path) -> None:
    a_path, b_path = original_and_fork(tmp_path)
    printed = runner.invoke(app, ["diff", str(a_path), str(b_path)], env={"COLUMNS": "140"})
    assert printed.exit_code == 0, printed.output
    assert "first divergence: step-3 ↔ step-3" in printed.stdout
    assert "fork at step-3" in printed.stdout
    assert (
        "Wear a light shirt." in printed.stdout
        and "Take an umbrella; shops nearby sell them." in printed.stdout
    )
    assert "only-in-b" in printed.stdout
    as_json = runner.invoke(app, ["diff", str(a_path), str(b_path), "--json"])
    data = json.loads(as_json.stdout)
    assert data["first_divergence"]["a_step"] == 3 and data["final_answers_equal"] is False
    assert data["deltas"]["output_tokens"] == (20 + 16 + 20 + 12) - (20 + 10)


def test_diff_command_reports_a_missing_file(tmp_path: Path) -> None:
    a_path, _ = original_and_fork(tmp_path)
    result = runner.invoke(app, ["diff", str(a_path), str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_the_readme_fork_of_sample_03_diverges_at_the_fork_step_not_its_agent_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent step around the loop ends differently only because its children did: not the first divergence."""
    from agentdbg.replay import replay
    from agentdbg.testing.llm_server import FakeLLMServer, reply

    samples = Path(__file__).resolve().parents[2] / "sample_traces"
    patch = json.loads((samples / "fixes" / "03_tool_loop.json").read_text())
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeLLMServer(responder=lambda request: reply("I opened ticket INC-1042.")) as fake:
        result = replay(
            str(samples / "03_tool_loop.jsonl"),
            "step-2",
            patch=patch,
            base_url=fake.base_url + "/v1",
            output=tmp_path / "fork.jsonl",
        )
    assert result.status == "finished", result.error
    diff = diff_traces(read_trace(samples / "03_tool_loop.jsonl"), read_trace(result.fork_path))
    assert diff.steps[0].kind == "agent" and diff.steps[0].status == "changed"  # its error is gone
    divergent = diff.divergent
    assert divergent is not None and (divergent.a_step, divergent.b_step) == (2, 2)
    assert divergent.changes == ["prompt", "response"]
    shown = runner.invoke(app, ["diff", str(samples / "03_tool_loop.jsonl"), str(result.fork_path)])
    assert "first divergence: step-2 ↔ step-2" in shown.stdout
