"""Langfuse observations exported without their trace: the UI's observations table (a JSON array), the public
API's ``{data, meta}`` page and the blob-storage export (JSON lines, snake_case, ``YYYY-MM-DD HH:MM:SS.ffffff``
UTC, fields as its field reference lists them; several traces per file). The rows are langfuse/langfuse's
openai-agents-2025-09-30 run (MANIFEST.tsv). Before, every shape was "not a trace agentdbg can read"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

TRACE = DATA / "langfuse" / "openai-agents-2025-09-30.reduced.trace.json"
ROWS = DATA / "langfuse" / "openai-agents-2025-09-30.blob_export_rows.jsonl"


def _shape(trace: object) -> list[tuple[object, ...]]:
    return [
        (s.kind, s.name, s.parent_id, s.usage and (s.usage.input_tokens, s.usage.output_tokens), s.started_at)
        for s in trace.spans  # type: ignore[attr-defined]
    ]


def _variants(tmp_path: Path) -> dict[str, Path]:
    observations = json.loads(TRACE.read_text("utf-8"))["observations"]
    array, page = tmp_path / "observations.json", tmp_path / "page.json"
    array.write_text(json.dumps(observations, indent=2), encoding="utf-8")
    meta = {"page": 1, "limit": 50, "totalItems": len(observations), "totalPages": 1}
    page.write_text(json.dumps({"data": observations, "meta": meta}), encoding="utf-8")
    return {"array": array, "page": page, "blob": ROWS}


@pytest.mark.parametrize("variant", ["array", "page", "blob"])
def test_observation_lists_read_as_the_trace_export_does(variant: str, tmp_path: Path) -> None:
    path = _variants(tmp_path)[variant]
    trace, whole = open_trace(path), open_trace(TRACE)
    assert detect_format(path) == "langfuse" and trace.problems == []
    assert _shape(trace) == _shape(whole)
    assert trace.header.trace_id == "fee618f96dc31e0ca38b2f7b26eb8b29"
    (tool,) = trace.tool_spans
    assert tool.name == "get_weather" and tool.input["call_id"] == whole.tool_spans[0].input["call_id"]
    assert trace.totals() == whole.totals()


def test_a_blob_file_with_two_traces_keeps_each_under_its_own_step(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in ROWS.read_text("utf-8").splitlines()]
    other = [{**r, "id": f"x{r['id']}", "trace_id": "0" * 32, "trace_name": "second run",
              "parent_observation_id": r["parent_observation_id"] and f"x{r['parent_observation_id']}"} for r in rows]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows + other) + "not json\n", encoding="utf-8")
    trace = open_trace(path)
    runs = [s for s in trace.spans if s.parent_id is None]
    assert [r.name for r in runs] == ["Agent workflow", "second run"]
    assert [p.line for p in trace.problems] == [11]
    second = {s.id for s in trace.spans if s.id.startswith("x")}
    assert all(trace.by_id[i].parent_id in second | {runs[1].id} for i in second)
    assert trace.totals()["input_tokens"] == 2 * 140
