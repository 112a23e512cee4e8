"""The diagnose command: table, --json, --fail-on exit codes, options and clear errors (typer runner and a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.analysis import Finding
from agentdbg.cli import app
from agentdbg.render.findings import render_findings

from .builders import SEARCH_DOCS, WEATHER, Run, healthy_run

runner = CliRunner()


def loop_trace(tmp_path: Path) -> Path:
    run = Run(tools=[SEARCH_DOCS, WEATHER])
    run.user("How do I rotate an API key?")
    for _ in range(3):
        run.call_tool("search_docs", {"query": "rotate api key"}, "No results found.")
    run.llm("Sorry, I could not find it.")
    return run.write(tmp_path / "loop.jsonl")


def test_table_lists_severity_step_pattern_evidence_and_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnose", str(loop_trace(tmp_path))], env={"COLUMNS": "140"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "✖ error" in out and "step-2" in out and "loop" in out
    assert "search_docs called 3 times in a row" in out
    assert "fix: Make the tool result say plainly" in out
    assert "1 error, 0 warnings, 0 info" in out


def test_json_output_and_fail_on(tmp_path: Path) -> None:
    loop = loop_trace(tmp_path)
    healthy = healthy_run().write(tmp_path / "ok.jsonl")
    result = runner.invoke(app, ["diagnose", str(loop), str(healthy), "--json", "--fail-on", "error"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [entry["trace"] for entry in data] == [str(loop), str(healthy)]
    (finding,) = data[0]["findings"]
    assert finding["pattern"] == "loop" and finding["step"] == "step-2" and finding["severity"] == "error"
    assert finding["related_steps"] == ["step-2", "step-4", "step-6"]
    assert data[1]["findings"] == []
    assert runner.invoke(app, ["diagnose", str(healthy), "--fail-on", "warning"]).exit_code == 0
    assert (
        runner.invoke(app, ["diagnose", str(loop)]).exit_code == 0
    )  # no --fail-on: findings are not failures


def test_loop_threshold_window_and_only_options(tmp_path: Path) -> None:
    loop = loop_trace(tmp_path)
    assert (
        json.loads(runner.invoke(app, ["diagnose", str(loop), "--json", "--loop-threshold", "4"]).stdout)[0][
            "findings"
        ]
        == []
    )
    run = Run(model="tiny-local")
    run.user("hello")
    run.llm("hi", tokens=(950, 5))
    path = run.write(tmp_path / "tiny.jsonl")
    result = runner.invoke(
        app, ["diagnose", str(path), "--json", "--window", "tiny-local=1k", "--only", "context"]
    )
    (finding,) = json.loads(result.stdout)[0]["findings"]
    assert finding["pattern"] == "context" and finding["details"]["window"] == 1000


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["diagnose", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad_window = runner.invoke(app, ["diagnose", str(loop_trace(tmp_path)), "--window", "gpt-4o"])
    assert bad_window.exit_code == 2 and "MODEL=TOKENS" in bad_window.stderr
    bad_only = runner.invoke(app, ["diagnose", str(loop_trace(tmp_path)), "--only", "loops"])
    assert bad_only.exit_code == 2 and "known patterns: loop" in bad_only.stderr


def test_subprocess_fail_on_warning_for_ci(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "diagnose",
            str(loop_trace(tmp_path)),
            "--fail-on",
            "warning",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)[0]["findings"][0]["pattern"] == "loop"


def test_trace_text_is_shown_literally(tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    finding = Finding(
        severity="warning",
        pattern="error",
        step=1,
        title="tool \x1b]52;c;ZXZpbA==\x07 [bold]x[/bold]",
        evidence="e",
        fix="f",
    )
    console = Console(file=StringIO(), width=120, color_system=None)
    console.print(render_findings([finding]))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in out and "\\x1b]52" in out and "[bold]x[/bold]" in out


def test_min_severity_hides_info_but_fail_on_still_sees_everything(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    run.user("Weather in Oslo?")
    run.call_tool("get_weather", {"city": "Oslo", "days": 3}, {"forecast": "snow"})  # undeclared 'days': info
    run.llm("Snow.")
    path = run.write(tmp_path / "info.jsonl")
    shown = json.loads(runner.invoke(app, ["diagnose", str(path), "--json"]).stdout)[0]["findings"]
    assert [f["severity"] for f in shown] == ["info"]
    hidden = runner.invoke(app, ["diagnose", str(path), "--json", "--min-severity", "warning"])
    assert json.loads(hidden.stdout)[0]["findings"] == [] and hidden.exit_code == 0
    loop = loop_trace(tmp_path)
    failing = runner.invoke(app, ["diagnose", str(loop), "--min-severity", "error", "--fail-on", "warning"])
    assert failing.exit_code == 1
