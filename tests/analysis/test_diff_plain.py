"""``agentdbg diff`` on a pipe writes the step table without rich rows: the text must equal rich's rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.analysis import diff_traces
from agentdbg.cli import app
from agentdbg.cli.output import pipe_lines
from agentdbg.render.diff import render_diff
from agentdbg.store import read_trace

from .builders import SEARCH_DOCS, WEATHER, Run

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
ODD_NAMES = [
    "tab\tname",
    "天気を調べる" * 12,
    "esc \x1b[31mred",
    "",
    "x" * 90,
    "trailing space ",
    "new\nline",
]


def odd_run(changed: bool) -> Run:
    """Names rich measures differently from len(): wide characters, escapes, tabs, empty, long; a fork marker."""
    run = Run(tools=[WEATHER, SEARCH_DOCS])
    run.user("Weather in Kyoto?")
    for number, name in enumerate(ODD_NAMES):
        run.tool(name, {"n": number}, f"result {number}" + (" changed" if changed and number == 3 else ""))
    run.call_tool("get_weather", {"city": "Kyoto"}, {"forecast": "sun"}, tokens=(123_456, 7))
    if changed:
        run.call_tool("search_docs", {"query": "umbrella"}, "none")
    run.llm("Sunny." if not changed else "Sunny and warm.")
    return run


def rich_text(a: Path, b: Path) -> str:
    """What ``print_result(render_diff(...))`` writes to a pipe: every row laid out by rich."""
    return "".join(line + "\n" for line in pipe_lines(render_diff(diff_traces(read_trace(a), read_trace(b)))))


def pairs(tmp_path: Path) -> list[tuple[Path, Path]]:
    a = odd_run(False).write(tmp_path / "a.jsonl")
    b = odd_run(True).write(tmp_path / "b.jsonl")
    empty = Run(tools=[]).write(tmp_path / "empty.jsonl")
    samples = sorted(SAMPLES.glob("*.jsonl"))
    found = [(a, b), (b, a), (a, a), (empty, empty), (empty, a)]
    found.extend(zip(samples, samples[1:], strict=False))
    return found


def test_plain_table_equals_rich_rendering(tmp_path: Path) -> None:
    checked = 0
    for a, b in pairs(tmp_path):
        shown = runner.invoke(app, ["diff", str(a), str(b)])
        assert shown.exit_code == 0, shown.output
        assert shown.stdout == rich_text(a, b), (a, b)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("name", ODD_NAMES)
def test_each_odd_name_reaches_the_table_escaped(tmp_path: Path, name: str) -> None:
    run = Run(tools=[])
    run.tool(name, {}, "ok")
    path = run.write(tmp_path / "one.jsonl")
    shown = runner.invoke(app, ["diff", str(path), str(path)])
    assert "\x1b" not in shown.stdout and "\t" not in shown.stdout
    assert shown.stdout == rich_text(path, path)


def test_json_written_step_by_step_equals_one_dump(tmp_path: Path) -> None:
    """``diff --json`` streams its steps; the document is the one ``json.dumps(to_json(), indent=2)`` gives."""
    import json

    checked = 0
    for a, b in pairs(tmp_path):
        shown = runner.invoke(app, ["diff", str(a), str(b), "--json"])
        assert shown.exit_code == 0, shown.output
        whole = diff_traces(read_trace(a), read_trace(b)).to_json()
        assert shown.stdout == json.dumps(whole, indent=2, ensure_ascii=True, default=str) + "\n", (a, b)
        checked += 1
    assert checked >= 10
