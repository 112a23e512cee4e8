"""The MCP tools' bodies (``Queries``) on real files, without the SDK: paging, filters, diff, search, roots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentdbg.errors import PathOutsideRootsError, QueryError
from agentdbg.mcp_server.queries import Queries
from agentdbg.mcp_server.roots import Roots
from tests.importers.corpus import CORPUS

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


def _big_trace(path: Path, steps: int) -> None:
    """A run of ``steps`` tool steps under one agent step; every 10th tool fails."""
    lines = [{"type": "trace", "schema_version": 1, "trace_id": "big", "name": "big", "started_at": 1.0}]
    lines.append({"type": "span", "id": "root", "kind": "agent", "name": "agent", "started_at": 1.0, "ended_at": 9.0})
    for n in range(1, steps):
        record = {
            "type": "span", "id": f"s{n}", "parent_id": "root", "kind": "tool", "name": f"tool_{n % 3}",
            "started_at": 1.0 + n / steps, "ended_at": 1.0 + n / steps, "input": {"name": f"tool_{n % 3}", "arguments": {"n": n}},
            "output": "x" * 10,
        }
        if n % 10 == 0:
            record["error"] = {"type": "ToolFailed", "message": f"failure {n}"}
        lines.append(record)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_pages_filters_and_reads_one_step_of_a_long_trace(tmp_path: Path) -> None:
    _big_trace(tmp_path / "big.jsonl", 3000)
    queries = Queries(Roots.of([str(tmp_path)]))
    first = queries.list_steps("big.jsonl", limit=100)
    assert first["total"] == 3000 and first["next_offset"] == 100 and len(first["steps"]) == 100
    assert first["steps"][0] == {"step": "step-1", "kind": "agent", "name": "agent", "status": "ok", "depth": 0, "seconds": 8.0}
    seen = [row["step"] for row in first["steps"]]
    offset = first["next_offset"]
    while offset is not None:
        page = queries.list_steps("big.jsonl", offset=offset, limit=500)
        seen += [row["step"] for row in page["steps"]]
        offset = page.get("next_offset")
    assert seen == [f"step-{n}" for n in range(1, 3001)]

    errors = queries.list_steps("big.jsonl", status="error", name="TOOL_1", limit=5)
    assert errors["total"] == len([n for n in range(10, 3000, 10) if n % 3 == 1])
    assert all(row["error"] == "ToolFailed" and row["name"] == "tool_1" for row in errors["steps"])

    step = queries.get_step("big.jsonl", "step-2991", parts=["tool", "error"])
    assert step["tool"]["arguments"] == {"n": 2990} and step["error"]["type"] == "ToolFailed"
    assert "prompt" not in step and "raw" not in step

    with pytest.raises(QueryError, match="limit 1–500"):
        queries.list_steps("big.jsonl", limit=501)


def test_diff_and_search_answer_for_files_under_the_root(tmp_path: Path) -> None:
    for name in ("03_tool_loop.jsonl", "01_healthy_openai.jsonl"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    queries = Queries(Roots.of([str(tmp_path)]))
    same = queries.diff("03_tool_loop.jsonl", "03_tool_loop.jsonl")
    assert same["first_divergence"] is None and same["steps_compared"] == 13
    found = queries.search(".", tool="search_kb")
    assert [Path(match["path"]).name for match in found["matches"]] == ["03_tool_loop.jsonl"]
    with pytest.raises(PathOutsideRootsError):
        queries.diff("03_tool_loop.jsonl", str(SAMPLES / "01_healthy_openai.jsonl"))


def test_a_foreign_format_is_read_through_its_importer(tmp_path: Path) -> None:
    source = sorted((CORPUS / "claude_code").glob("*.jsonl"))[0]
    target = tmp_path / "session.jsonl"
    shutil.copy(source, target)
    queries = Queries(Roots.of([str(tmp_path)]))
    summary = queries.trace_summary("session.jsonl")
    assert summary["format"] == "claude-code" and summary["totals"]["steps"] > 0
    tools = queries.list_steps("session.jsonl", kind="tool", limit=500)
    assert tools["total"] == summary["steps_by_kind"]["tool"]


def test_the_first_page_of_a_big_file_comes_before_the_whole_file_is_read(tmp_path: Path) -> None:
    _big_trace(tmp_path / "big.jsonl", 40_000)  # ~9 MB: more than one read batch
    queries = Queries(Roots.of([str(tmp_path)]))
    first = queries.list_steps("big.jsonl", limit=10)
    assert [row["step"] for row in first["steps"]] == [f"step-{n}" for n in range(1, 11)]
    assert first["total"] is None and first["next_offset"] == 10 and 10 < first["steps_so_far"] < 40_000
    assert queries.trace_summary("big.jsonl")["totals"]["steps"] == 40_000
    last = queries.list_steps("big.jsonl", offset=39_990, limit=10)
    assert last["total"] == 40_000 and "next_offset" not in last and last["steps"][-1]["step"] == "step-40000"
