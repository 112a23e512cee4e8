"""The reader never gives up: every bad line is named, every good step still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdbg.errors import StepNotFoundError, TraceReadError
from agentdbg.store import read_trace

from .helpers import HEADER, healthy_records, write_lines


def test_healthy_trace_loads_as_a_tree(tmp_path: Path) -> None:
    trace = read_trace(write_lines(tmp_path / "t.jsonl", healthy_records()))
    assert trace.problems == []
    assert [s.address for s in trace.spans] == ["step-1", "step-2", "step-3"]
    assert [s.id for s, _ in trace.walk()] == ["root", "llm-1", "tool-1"]
    assert [d for _, d in trace.walk()] == [0, 1, 1]
    assert trace.step("step-3").output == "18°C, light rain"
    assert trace.totals()["input_tokens"] == 82


def test_every_kind_of_bad_line_is_reported_and_skipped(tmp_path: Path) -> None:
    lines = [
        *healthy_records(),
        "this is not json",                                                    # 7
        "[1, 2, 3]",                                                           # 8
        {"type": "span_start", "id": 5},                                       # 9: id must be a string
        {"type": "span_start", "id": "root", "name": "dup"},                   # 10: duplicate id
        {"type": "span_end", "id": "ghost"},                                   # 11: end without start
        {"type": "span_start", "id": "orphan", "parent_id": "missing", "kind": "tool"},  # 12
        {"type": "span_start", "id": "c1", "parent_id": "c2"},                 # 13: cycle
        {"type": "span_start", "id": "c2", "parent_id": "c1"},                 # 14
        {"type": "bogus"},                                                     # 15
        {"type": "span_start", "id": "x", "kind": "nonsense"},                 # 16
    ]
    trace = read_trace(write_lines(tmp_path / "bad.jsonl", lines))
    by_line = {p.line: p for p in trace.problems}
    assert "not valid JSON" in by_line[7].message
    assert "expected a JSON object" in by_line[8].message
    assert by_line[9].field == "id"
    assert "duplicate span id 'root'" in by_line[10].message
    assert "unknown span id 'ghost'" in by_line[11].message
    assert by_line[12].field == "parent_id" and by_line[12].severity == "warning"
    assert "cycle" in by_line[13].message
    assert by_line[15].field == "type"
    assert by_line[16].field == "kind"
    # every good step still loads, re-attached spans sit at the root
    ids = [s.id for s in trace.spans]
    assert ids == ["root", "llm-1", "tool-1", "orphan", "c1", "c2"]
    assert trace.by_id["orphan"].parent_id is None
    assert trace.by_id["orphan"].status == "incomplete"
    assert len(list(trace.walk())) == len(trace.spans)
    assert all(p.path.endswith("bad.jsonl") for p in trace.problems)


def test_truncated_last_line_is_tolerated_and_reported(tmp_path: Path) -> None:
    lines = [*healthy_records()[:4], '{"type": "span_end", "id": "tool-1", "ended_at": 17641']
    trace = read_trace(write_lines(tmp_path / "torn.jsonl", lines, trailing_newline=False))
    assert len(trace.spans) == 3
    assert trace.step(3).status == "incomplete"
    assert len(trace.problems) == 1
    assert trace.problems[0].severity == "warning" and "truncated last line" in trace.problems[0].message


def test_missing_header_gets_a_default(tmp_path: Path) -> None:
    trace = read_trace(write_lines(tmp_path / "nohead.jsonl", healthy_records()[1:]))
    assert trace.header.name == "nohead"
    assert len(trace.spans) == 3
    assert any("no trace header" in p.message for p in trace.problems)


def test_newer_schema_version_warns_but_loads(tmp_path: Path) -> None:
    trace = read_trace(write_lines(tmp_path / "v9.jsonl", [{**HEADER, "schema_version": 99, "new": 1}, *healthy_records()[1:]]))
    assert len(trace.spans) == 3
    assert any(p.field == "schema_version" for p in trace.problems)


def test_unknown_step_names_the_valid_range(tmp_path: Path) -> None:
    trace = read_trace(write_lines(tmp_path / "t.jsonl", healthy_records()))
    with pytest.raises(StepNotFoundError, match=r"step-1 … step-3"):
        trace.step("step-9")
    assert trace.step("2").id == "llm-1"
    assert trace.step("tool-1").step == 3


def test_unreadable_file_raises_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(TraceReadError, match="cannot open"):
        read_trace(tmp_path / "missing.jsonl")
    with pytest.raises(TraceReadError, match="directory"):
        read_trace(tmp_path)


def test_invalid_utf8_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    lines = [*healthy_records(), b'{"type": "span_start", "id": "\xff\xfe"}']
    trace = read_trace(write_lines(tmp_path / "bin.jsonl", lines))
    assert len(trace.spans) == 3
    assert trace.problems and trace.problems[0].line == 7
