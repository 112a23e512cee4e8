"""The committed sample traces are real recorder output that loads, renders, and whose fixes apply."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.store import read_trace

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
NAMES = [
    "01_healthy_openai",
    "02_anthropic_research",
    "03_tool_loop",
    "04_wrong_tool",
    "05_bad_arguments",
    "06_context_overflow",
    "07_irrelevant_retrieval",
    "08_crashed_run",
    "09_nested_subagents",
]
FIXES = {
    "03_tool_loop": "step-4",
    "04_wrong_tool": "step-4",
    "05_bad_arguments": "step-2",
    "06_context_overflow": "step-12",
}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _shape(path: Path) -> list[tuple[str, str, str]]:
    return [(s.kind, s.name, s.status) for s in read_trace(path).spans]


@pytest.mark.parametrize("name", NAMES)
def test_sample_loads_renders_and_is_small(name):
    path = SAMPLES / f"{name}.jsonl"
    assert path.stat().st_size < 200_000
    trace = read_trace(path)
    expected_problems = 1 if name == "08_crashed_run" else 0  # the simulated torn last line
    assert len(trace.problems) == expected_problems
    assert len(trace.spans) >= 4 and any(s.kind == "llm" for s in trace.spans)
    shown = subprocess.run(
        [sys.executable, "-m", "agentdbg", "show", str(path), "--print"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0 and "step-4" in shown.stdout


def test_samples_show_the_failures_the_readme_describes():
    loop = read_trace(SAMPLES / "03_tool_loop.jsonl")
    assert [s.input["arguments"] for s in loop.tool_spans] == [{"query": "VPN error 809 on Windows 11"}] * 6
    assert loop.spans[0].error.type == "MaxStepsExceeded"
    wrong = read_trace(SAMPLES / "04_wrong_tool.jsonl")
    assert wrong.step("step-5").name == "delete_account" and wrong.step("step-5").input["call_id"]
    overflow = read_trace(SAMPLES / "06_context_overflow.jsonl")
    assert overflow.step("step-10").llm.prompt[0].role == "system"
    assert overflow.step("step-12").llm.prompt[0].role != "system"
    assert overflow.step("step-10").usage.input_tokens > 0.9 * 8192
    crashed = read_trace(SAMPLES / "08_crashed_run.jsonl")
    assert [s.status for s in crashed.spans] == ["incomplete", "ok", "ok", "ok", "incomplete"]
    nested = read_trace(SAMPLES / "09_nested_subagents.jsonl")
    researchers = {s.id for s in nested.spans if s.name.startswith("researcher:")}
    assert len(researchers) == 2
    assert sum(s.parent_id in researchers for s in nested.spans) == 6
    retried = read_trace(SAMPLES / "02_anthropic_research.jsonl").step("step-4")
    assert retried.attributes["attempt"] == 2 and retried.attributes["retries"][0]["status_code"] == 529


@pytest.mark.parametrize(("name", "step"), sorted(FIXES.items()))
def test_fix_patches_apply_to_their_step(name, step, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(SAMPLES / f"{name}.jsonl"),
            "--from",
            step,
            "--patch",
            str(SAMPLES / "fixes" / f"{name}.json"),
            "--dry-run",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "unused", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)["request"]
    for op in json.loads((SAMPLES / "fixes" / f"{name}.json").read_text()):
        assert op["value"] in _strings(sent)  # the patched text is in the request that would go out


def test_generator_reproduces_the_committed_shapes(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "stray"))  # generate() sets it; restored after the test
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.generate(["03", "08"], out_dir=tmp_path)
    assert [p.name for p in written] == ["03_tool_loop.jsonl", "08_crashed_run.jsonl"]
    for path in written:
        assert _shape(path) == _shape(SAMPLES / path.name)
