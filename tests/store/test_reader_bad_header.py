"""A header line that does not validate is reported once, for what is wrong with it; the reader does not
add "no trace header line" for the same line on top (store/reader.py)."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.store.reader import read_trace


def _write(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


SPAN = {"type": "span", "id": "a", "kind": "tool", "name": "t", "started_at": 1.0, "ended_at": 2.0}


def test_invalid_header_is_reported_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", {"type": "trace", "schema_version": "x", "trace_id": "t-1"}, SPAN)
    trace = read_trace(path)
    assert [(p.line, p.field, p.severity) for p in trace.problems] == [(1, "schema_version", "error")]
    assert [s.id for s in trace.spans] == ["a"]  # the rest still reads, under a default header


def test_missing_header_is_still_named(tmp_path: Path) -> None:
    trace = read_trace(_write(tmp_path / "t.jsonl", SPAN))
    assert [(p.line, p.message) for p in trace.problems] == [
        (1, "no trace header line; using a default header")
    ]
