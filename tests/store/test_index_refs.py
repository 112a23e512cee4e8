"""``index_refs``: one compact request rebuilt from the index reads only the lines holding its values,
and gives exactly what the reader's expansion of the whole chain gives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from agentdbg.model.records import TraceHeader
from agentdbg.store import TraceWriter, compact, read_trace
from agentdbg.store.index import TraceIndex
from agentdbg.store.index_refs import rebuild_request

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen import run_records  # noqa: E402


def _write_run(path: Path, steps: int, episode: int) -> Path:
    with TraceWriter(path, overwrite=True) as writer:
        writer.write_header(TraceHeader(trace_id="t-refs", name="refs", started_at=1.0))
        for record in run_records(steps, growth=256, episode=episode):
            writer.write(record)
    return path


class _CountingIndex(TraceIndex):
    """Counts the start lines parsed while payloads are loaded."""

    reads = 0

    def _start_record(self, position: int) -> dict[str, Any]:
        self.reads += 1
        return super()._start_record(position)


def _exact(index: TraceIndex, position: int) -> dict[str, Any]:
    record = index._start_record(position)
    compact.expand_record(record, index._base_parts)
    return record


def test_every_step_equals_the_readers_expansion(tmp_path: Path) -> None:
    path = _write_run(tmp_path / "run.jsonl", 300, episode=12)
    index = TraceIndex(path).scan()
    eager = read_trace(path)
    compacted = 0
    for position in range(len(index)):
        record = index._start_record(position)
        if compact.COMPACT_KEY not in record:
            continue
        compacted += 1
        assert rebuild_request(index._state, position, record, index._start_record)
        assert orjson.dumps(record) == orjson.dumps(_exact(index, position))
        span = index.read_span(position)
        assert orjson.dumps(span.input) == orjson.dumps(eager.spans[position].input)
    assert compacted >= 250


def test_the_last_step_of_a_long_chain_reads_a_few_lines_not_the_chain(tmp_path: Path) -> None:
    path = _write_run(tmp_path / "run.jsonl", 400, episode=10)
    index = _CountingIndex(path).scan()
    last = index.positions_of_kind("llm")[-1]
    assert len(index._state.bases) >= 399  # every request extends the one before: a 399-long chain
    index.read_span(last)
    # the first request (the tools, never rewritten) + this episode's steps (the messages)
    assert index.reads <= 1 + 10
    assert index.read_span(last).input == read_trace(path).spans[last].input


def test_an_unusual_chain_takes_the_exact_path(tmp_path: Path) -> None:
    path = _write_run(tmp_path / "run.jsonl", 30, episode=0)
    lines = path.read_bytes().splitlines(keepends=True)
    # a hand-edited count in the middle of the chain ("messages": 4.0 is not a plain int)
    target = next(i for i, line in enumerate(lines) if b'"messages":4,' in line)
    lines[target] = lines[target].replace(b'"messages":4,', b'"messages":4.0,')
    path.write_bytes(b"".join(lines))
    index = TraceIndex(path).scan()
    eager = read_trace(path)
    for position in index.positions_of_kind("llm"):
        assert orjson.dumps(index.read_span(position).input) == orjson.dumps(eager.spans[position].input)
        assert index.read_span(position).attributes == eager.spans[position].attributes
    later = index.positions_of_kind("llm")[-1]
    record = index._start_record(later)
    assert not rebuild_request(index._state, later, record, index._start_record)
    assert compact.COMPACT_KEY in record  # untouched: the caller expands it the exact way


class _CountingKeys(dict):  # type: ignore[type-arg]
    """The scan's ``ref_keys``, counting each request looked at while a value is followed back."""

    looks = 0

    def get(self, key: Any, default: Any = None) -> Any:
        type(self).looks += 1
        return super().get(key, default)


def _looks_per_step(tmp_path: Path, steps: int) -> float:
    path = _write_run(tmp_path / f"run{steps}.jsonl", steps, episode=10)
    index = TraceIndex(path).scan()
    _CountingKeys.looks = 0
    index._state.ref_keys = _CountingKeys(index._state.ref_keys)
    llm = index.positions_of_kind("llm")
    for position in llm:  # one step at a time, as a lazy trace's llm_spans or diff's read_span do
        index.read_span(position)
    return _CountingKeys.looks / len(llm)


def test_reading_every_step_one_at_a_time_is_linear(tmp_path: Path) -> None:
    # ``tools: -1`` at every step points back to the first request: without the kept ends of such
    # runs each read walked the whole chain (looks per step grew with the step number)
    small, large = _looks_per_step(tmp_path, 200), _looks_per_step(tmp_path, 2000)
    assert large <= small * 1.5, (small, large)
    path = tmp_path / "run2000.jsonl"
    index, eager = TraceIndex(path).scan(), read_trace(path)
    for position in index.positions_of_kind("llm")[::97]:
        assert orjson.dumps(index.read_span(position).input) == orjson.dumps(eager.spans[position].input)
