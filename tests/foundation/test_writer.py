"""The writer: one whole line per record, append-only, safe under threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from agentdbg.model import TraceHeader
from agentdbg.store import TraceWriter, read_trace, write_trace

from .helpers import healthy_records, write_lines


def test_writer_appends_whole_lines_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    with TraceWriter(path) as writer:
        writer.write_header(TraceHeader(trace_id="abc", name="run", started_at=1.0))
        writer.write({"type": "span_start", "id": "s1", "kind": "tool", "name": "t", "input": {"name": "t", "arguments": {}}})
    with TraceWriter(path) as writer:  # reopening appends
        writer.write({"type": "span_end", "id": "s1", "ended_at": 2.0, "output": "ok"})
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    trace = read_trace(path)
    assert trace.header.trace_id == "abc"
    assert trace.step(1).status == "ok" and trace.step(1).output == "ok"


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "threads.jsonl"
    writer = TraceWriter(path)
    writer.write_header(TraceHeader(trace_id="t", name="threads"))
    payload = "x" * 5000

    def work(n: int) -> None:
        for i in range(200):
            writer.write({"type": "span", "id": f"{n}-{i}", "kind": "custom", "name": "w", "output": payload})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 8 * 200
    assert all(json.loads(line) for line in lines)
    assert read_trace(path).problems == []


def test_write_trace_round_trips_a_loaded_trace(tmp_path: Path) -> None:
    original = read_trace(write_lines(tmp_path / "a.jsonl", healthy_records()))
    copy = read_trace(write_trace(tmp_path / "b.jsonl", original))
    assert [(s.id, s.parent_id, s.kind, s.status, s.output) for s in copy.spans] == [
        (s.id, s.parent_id, s.kind, s.status, s.output) for s in original.spans
    ]
