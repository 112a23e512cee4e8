"""``agentdbg export -f md``: compact Markdown of a run, checked against snapshots of every sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.exporters.markdown import CUT_AT, spans_markdown, trace_markdown
from agentdbg.importers import open_trace

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample_traces").glob("*.jsonl"))
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "markdown"
UPDATE = os.environ.get("AGENTDBG_UPDATE_SNAPSHOTS") == "1"


def _export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_each_sample_matches_its_snapshot_and_stays_small(sample: Path) -> None:
    result = _export(str(sample.relative_to(ROOT)), "-f", "md")
    assert result.returncode == 0, result.stderr
    snapshot = SNAPSHOTS / f"{sample.stem}.md"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(result.stdout)
    assert result.stdout == snapshot.read_text(), f"regenerate with AGENTDBG_UPDATE_SNAPSHOTS=1 after reading {snapshot}"
    assert len(result.stdout.encode()) < 20_000
    assert result.stdout.startswith("# Trace `") and "## Steps" in result.stdout and "## Findings" in result.stdout


def test_repeated_history_is_named_not_repeated() -> None:
    text = trace_markdown(open_trace(ROOT / "sample_traces" / "03_tool_loop.jsonl"))
    assert text.count("You are the IT helpdesk bot of Northwind") == 1
    assert "_(messages 1–3 as in step-2)_" in text and "_(messages 1–11 as in step-10)_" in text


def test_step_and_range_selection_and_bad_steps(tmp_path: Path) -> None:
    one = _export("sample_traces/03_tool_loop.jsonl", "-f", "md", "--step", "4")
    assert one.returncode == 0, one.stderr
    assert "### step-4 · llm" in one.stdout and "### step-3" not in one.stdout and "(steps 4–4 of 13)" in one.stdout
    span = _export("sample_traces/03_tool_loop.jsonl", "-f", "md", "--from", "step-2", "--to", "step-3", "-o", str(tmp_path / "r.md"))
    assert span.returncode == 0 and "wrote" in span.stderr
    written = (tmp_path / "r.md").read_text()
    assert "### step-2" in written and "### step-3" in written and "### step-4" not in written
    bad = _export("sample_traces/03_tool_loop.jsonl", "-f", "md", "--step", "99")
    assert bad.returncode == 2 and "--step '99' is not a step of this trace" in bad.stderr and "Traceback" not in bad.stderr
    wrong = _export("sample_traces/03_tool_loop.jsonl", "-f", "html", "--full")
    assert wrong.returncode == 2 and "go with --format md" in wrong.stderr


@pytest.mark.writes_secrets("the input trace quotes a key on purpose; the export must mask it")
def test_long_texts_are_cut_fences_hold_and_keys_are_masked(tmp_path: Path) -> None:
    long_result = "line\n" * 1000 + "```\n# not a heading of ours\n```"
    key = "sk-proj-" + "A1b2C3d4" * 4
    records = [
        {"type": "trace", "schema_version": 1, "trace_id": "t", "name": "hostile", "started_at": 1.0},
        {
            "type": "span", "id": "a", "kind": "tool", "name": "fetch", "started_at": 1.0, "ended_at": 2.0,
            "input": {"name": "fetch", "arguments": {"token": key}}, "output": long_result,
        },
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    cut = _export(str(path), "-f", "md")
    assert cut.returncode == 0, cut.stderr
    assert key not in cut.stdout and "sk-proj-[REDACTED]" in cut.stdout
    assert "more characters; export with --full to keep them]" in cut.stdout
    full = _export(str(path), "-f", "md", "--full")
    assert full.stdout.count("line\n") >= 1000 and "cut:" not in full.stdout
    # the result's own ``` cannot close our fence: it is wrapped in a longer one
    assert "````\n" in full.stdout
    assert len(cut.stdout) < len(full.stdout) and CUT_AT < 2000


def test_spans_markdown_gives_a_subtree_without_the_run_header() -> None:
    trace = open_trace(ROOT / "sample_traces" / "09_nested_subagents.jsonl")
    root = trace.step("step-2")
    children = [span for span in trace.spans if span.parent_id == root.id]
    text = spans_markdown([root, *children])
    assert text.startswith("### step-2 · agent · researcher:API") and "# Trace" not in text
    assert [line.split(" ·")[0] for line in text.splitlines() if line.startswith("### ")] == [
        "### step-2", "### step-4", "### step-8", "### step-9"
    ]


@pytest.mark.writes_secrets("the input trace holds a key; the export is checked for it below")
def test_a_big_run_streams_through_the_index_each_piece_masked(tmp_path: Path, monkeypatch) -> None:
    """``export -f md`` of our format reads the steps through the offset index, one at a time (the
    whole-trace reader is never called), writes the document piece by piece, each masked, and gives
    the document the whole in-memory trace gives."""
    from typer.testing import CliRunner

    from agentdbg import importers as importer_registry
    from agentdbg.cli import app
    from agentdbg.secrets import mask_secrets
    from agentdbg.store.reader import read_trace

    secret = "sk-proj-" + "A1b2C3d4E5f6G7h8J9k0" * 2
    trace_file = tmp_path / "run.jsonl"
    sample = ROOT / "sample_traces" / "01_healthy_openai.jsonl"
    trace_file.write_text(sample.read_text().replace("My order A-1042", f"My order A-1042 (key {secret})"))
    whole = mask_secrets(trace_markdown(read_trace(trace_file)))
    assert secret not in whole and "[REDACTED]" in whole

    def whole_read(path):  # pragma: no cover - reached only if the export reads the trace whole
        raise AssertionError(f"read_trace({path}) called: the export read the trace whole")

    monkeypatch.setattr(importer_registry, "read_trace", whole_read)
    out = tmp_path / "run.md"
    result = CliRunner().invoke(app, ["export", str(trace_file), "-f", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert secret not in text and "(key sk-proj-[REDACTED])" in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    tree = text.split("## Steps")[1].split("## Findings")[0]
    assert tree == whole.split("## Steps")[1].split("## Step details")[0] and tree.count("- step-") == 6
    assert text.split("## Step details")[1] == whole.split("## Step details")[1]
