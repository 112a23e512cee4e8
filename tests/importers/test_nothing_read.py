"""Known-format files whose import reads no step and reports why (a real Langfuse export whose ``observations``
is not a list, a real OTLP capture whose ``scopeSpans`` is a string, a JSON document cut short): diagnose names
the file, line and field and exits 2 instead of printing "no findings" with exit 0; validate fails too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import DATA


def _langfuse(tmp_path: Path) -> Path:
    data = json.loads((DATA / "langfuse" / "openai-agents-2025-09-30.reduced.trace.json").read_text("utf-8"))
    data["observations"] = "not exported"
    path = tmp_path / "langfuse.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _otlp(tmp_path: Path) -> Path:
    data = json.loads((DATA / "otlp" / "interlingua" / "openinference_in.json").read_text("utf-8"))
    data["resourceSpans"][0]["scopeSpans"] = "spans"
    path = tmp_path / "otlp.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _cut(tmp_path: Path) -> Path:
    text = (DATA / "langfuse" / "google-adk-2025-08-28.reduced.json").read_text("utf-8")
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(json.loads(text), indent=1)[:3000], encoding="utf-8")
    return path


CASES = {
    "langfuse": (_langfuse, "langfuse", ":1: error [observations]"),
    "otlp": (_otlp, "otlp-json", ":1: warning [resourceSpans[0].scopeSpans]: is a string, not a list"),
    "cut": (_cut, "langfuse", ":38: error: not valid JSON (truncated or corrupt"),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnose_reports_a_file_that_yields_no_step(name: str, tmp_path: Path) -> None:
    make, format_name, named = CASES[name]
    path = make(tmp_path)
    trace = open_trace(path)
    assert trace.format == format_name
    assert not [s for s in trace.spans if s.kind != "agent"] and trace.problems
    assert all(p.line >= 1 for p in trace.problems)
    done = _run("diagnose", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no findings" not in done.stdout and "Traceback" not in done.stderr
    assert f"{path}{named}" in done.stderr
    assert f"error: {path}: no step could be read, nothing to diagnose" in done.stderr
    as_json = _run("diagnose", "--json", str(path))
    assert as_json.returncode == 2 and json.loads(as_json.stdout) == []
    checked = _run("validate", str(path))
    assert checked.returncode != 0 and f"{path}{named}" in checked.stdout + checked.stderr


def test_a_cut_document_names_the_line_where_it_breaks(tmp_path: Path) -> None:
    (problem,) = open_trace(_cut(tmp_path)).problems
    assert problem.line > 1 and f"(line {problem.line}, column " in problem.message


def test_diagnose_still_runs_on_a_readable_file_with_problems(tmp_path: Path) -> None:
    source = DATA / "claude_code_2x" / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
    assert open_trace(source).problems  # a warning, and steps read
    done = _run("diagnose", str(source))
    assert done.returncode == 0 and "nothing to diagnose" not in done.stderr
