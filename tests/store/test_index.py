"""TraceIndex: same spans, tree and problems as ``read_trace``, incrementally, with payloads on demand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentdbg.model.records import TraceHeader
from agentdbg.store import TraceWriter, read_trace
from agentdbg.store.index import TraceIndex
from tests.foundation.helpers import healthy_records, write_lines


def problem_keys(problems: list[Any]) -> list[tuple[int, str, str | None, str]]:
    return sorted((p.line, p.message, p.field, p.severity) for p in problems)


def assert_same_as_reader(path: Path, batch_bytes: int = 1 << 16) -> TraceIndex:
    """Index ``path`` and compare every span, the tree and the problems with ``read_trace``."""
    trace = read_trace(path)
    index = TraceIndex(path).scan(batch_bytes=batch_bytes)
    assert len(index) == len(trace.spans)
    assert problem_keys(index.problems) == problem_keys(trace.problems)
    for position, span in enumerate(trace.spans):
        row = index.summary(position)
        assert (row.step, row.id, row.parent_id, row.kind, row.name) == (
            span.step,
            span.id,
            span.parent_id,
            span.kind,
            span.name,
        )
        assert (row.started_at, row.ended_at, row.status) == (span.started_at, span.ended_at, span.status)
        assert (row.input_tokens, row.output_tokens) == (span.input_tokens, span.output_tokens)
        assert (row.line, row.end_line) == (span.line, span.end_line)
        assert row.error_type == (span.error.type if span.error else None)
        assert [index.summary(c).id for c in index.children(position)] == span.children
        assert index.load_span(position).model_dump() == span.model_dump()
    assert [index.summary(r).id for r in index.roots] == [s.id for s in trace.roots]
    assert index.totals() == trace.totals()
    assert index.header.trace_id == trace.header.trace_id or trace.header.trace_id != "t-1"
    return index


def test_healthy_trace_matches_reader(tmp_path: Path) -> None:
    index = assert_same_as_reader(write_lines(tmp_path / "ok.jsonl", healthy_records()))
    assert index.problems == []
    assert index.complete
    assert index.header.name == "weather-bot"
    assert index.summary(1).model == "gpt-4o"
    assert index.find("step-2") == 1 and index.find("tool-1") == 2 and index.depth(2) == 1


def test_broken_lines_are_named_like_the_reader_names_them(tmp_path: Path) -> None:
    records = healthy_records()
    lines: list[Any] = [
        records[0],
        "{not json",
        "[1, 2]",
        {"type": "mystery"},
        {"type": "span_start", "id": 5},
        records[1],
        {"type": "span_start", "id": "root", "name": "dup"},
        records[2],
        {"type": "span_end", "id": "ghost"},
        {"type": "span_start", "id": "orphan", "parent_id": "nowhere", "kind": "tool"},
        {"type": "span_start", "id": "c1", "parent_id": "c2"},
        {"type": "span_start", "id": "c2", "parent_id": "c1"},
        {"type": "span_start", "id": "late-child", "parent_id": "late-parent", "started_at": "12.5"},
        {"type": "span_start", "id": "late-parent"},
        {
            "type": "span_end",
            "id": "root",
            "ended_at": 1.0,
            "error": {"type": "Boom", "message": "line one\nline two"},
        },
        {"type": "span_end", "id": "root", "ended_at": 2.0},
        {"type": "span_start", "id": "odd", "step": 99},
        "",
        "   ",
        b'{"type": "span_start", "id": "bad-utf8", "input": "\xff\xfe"}',
        '{"type": "span_start", "id": "caf\u00e9", "input": "d\u00e9j\u00e0 vu \u2014 ok"}',
        {"type": "span_start", "id": "extra", "future_field": [1, 2]},
        {"type": "span", "id": "whole", "kind": "llm", "ended_at": 3.0, "usage": {"input_tokens": 5}},
        {"type": "span_end", "id": "extra", "input": "misplaced"},
        {"type": "trace", "trace_id": "second"},
        '{"type": "span_start", "id": "cut", "na',
    ]
    index = assert_same_as_reader(
        write_lines(tmp_path / "broken.jsonl", lines, trailing_newline=False), batch_bytes=64
    )
    messages = " | ".join(p.message for p in index.problems)
    for expected in (
        "not valid JSON",
        "expected a JSON object",
        "unknown record type",
        "duplicate span id",
        "unknown span id",
        "does not exist",
        "parent cycle",
        "ended twice",
        "second trace header",
        "truncated last line",
        "does not belong",
    ):
        assert expected in messages
    assert index.summary(0).error_message == "line one"
    late = index.find("late-child")
    assert index.summary(late).started_at == 12.5 and index.summary(late).parent_id == "late-parent"


def test_no_header_gets_a_default_one(tmp_path: Path) -> None:
    index = assert_same_as_reader(write_lines(tmp_path / "headless.jsonl", healthy_records()[1:]))
    assert index.header.name == "headless"
    assert any("no trace header" in p.message for p in index.problems)


def test_scan_is_incremental(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with TraceWriter(path) as writer:
        writer.write_header(TraceHeader(trace_id="t", name="run"))
        for step in range(300):
            writer.write(
                {
                    "type": "span",
                    "id": f"s{step}",
                    "kind": "tool",
                    "name": "t",
                    "started_at": float(step),
                    "ended_at": step + 0.5,
                    "output": "x" * 200,
                }
            )
    index = TraceIndex(path)
    batches = list(index.scan_iter(batch_bytes=1 << 16))
    assert len(batches) > 1
    first = batches[0]
    assert 0 < first.spans < 300 and first.new == range(0, first.spans) and first.fraction < 1
    assert [b.done_bytes for b in batches] == sorted(b.done_bytes for b in batches)
    assert batches[-1].fraction == 1.0 and batches[-1].spans == len(index) == 300
    assert [n for b in batches for n in b.new] == list(range(300))


def test_a_line_longer_than_a_batch_is_still_indexed(tmp_path: Path) -> None:
    records = healthy_records()
    records[4] = {**records[4], "output": "y" * 300_000}
    assert_same_as_reader(write_lines(tmp_path / "long.jsonl", records), batch_bytes=1 << 16)


def test_load_span_cache_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    rows = [healthy_records()[0]] + [
        {"type": "span", "id": f"s{i}", "kind": "tool", "name": "t", "output": "z" * 10_000}
        for i in range(50)
    ]
    write_lines(path, rows)
    index = TraceIndex(path, cache_bytes=40_000).scan()
    for position in range(50):
        assert index.load_span(position).output == "z" * 10_000
    assert len(index._cache) <= 4 and index._cached_bytes <= 40_000
    assert index.load_span(49) is index.load_span(49)


def test_refresh_follows_appended_lines(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    records = healthy_records()
    write_lines(path, records[:4])  # header, root start, llm span, tool start (tool + root incomplete)
    index = TraceIndex(path).scan()
    assert [index.summary(i).status for i in range(len(index))] == ["incomplete", "ok", "incomplete"]
    before = index.load_span(2)
    assert not before.ended
    with path.open("ab") as handle:
        handle.write(json.dumps(records[4]).encode() + b"\n")
        handle.write(b'{"type": "span_end", "id": "root", "ended_at": 17')  # a writer mid-line
    progress = index.refresh()
    assert progress.changed == (2,) and len(progress.new) == 0
    assert index.summary(2).status == "ok" and index.load_span(2).output == records[4]["output"]
    assert index.summary(0).status == "incomplete"
    with path.open("ab") as handle:
        handle.write(b"64000003.0}\n")
        handle.write(json.dumps({"type": "span_start", "id": "next", "parent_id": "root"}).encode() + b"\n")
    progress = index.refresh()
    assert progress.changed == (0,) and list(progress.new) == [3]
    assert index.summary(0).ended_at == 1764000003.0 and index.summary(3).line == 7
    assert index.children(0) == [1, 2, 3]
    assert problem_keys(index.problems) == problem_keys(read_trace(path).problems)


def test_unterminated_complete_last_line_then_more_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "tail.jsonl", healthy_records()[:3], trailing_newline=False)
    index = TraceIndex(path).scan()
    assert len(index) == 2 and index.problems == []
    with path.open("ab") as handle:
        handle.write(b"\n" + json.dumps(healthy_records()[3]).encode() + b"\n")
    index.refresh()
    assert len(index) == 3 and index.summary(2).line == 4


def test_truncated_file_is_rescanned(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    index = TraceIndex(path).scan()
    write_lines(path, healthy_records()[:2])
    index.refresh()
    assert len(index) == 1


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "type",
    "id",
    "parent_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "usage",
    "error",
    "attributes",
    "origin",
    "input",
    "output",
    "step",
    "request_ref",
    "x-extra",
]
TYPES = st.sampled_from(["span", "span_start", "span_end", "trace", "other"])
IDS = st.sampled_from(["root", "llm-1", "tool-1", "x", "y"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutations=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(FIELDS), st.one_of(json_values, TYPES, IDS)), max_size=6
    ),
    order=st.permutations(list(range(6))),
    cut=st.integers(0, 40),
)
def test_mutated_files_index_like_the_reader(
    tmp_path: Path, mutations: list[Any], order: list[int], cut: int
) -> None:
    records = [dict(r) for r in healthy_records()]
    for position, field, value in mutations:
        records[position][field] = value
    lines = [json.dumps(records[i]) for i in order]
    lines[-1] = lines[-1][: len(lines[-1]) - cut] if cut else lines[-1]
    assert_same_as_reader(
        write_lines(tmp_path / "m.jsonl", lines, trailing_newline=cut == 0), batch_bytes=128
    )


def test_a_cut_line_in_the_middle_reads_the_same_column_as_the_reader(tmp_path: Path) -> None:
    records = healthy_records()
    lines: list[Any] = [records[0], '{"type": "span_start", "id": 5', records[1], records[2]]
    index = assert_same_as_reader(write_lines(tmp_path / "cut.jsonl", lines))
    [problem] = index.problems
    # one line of JSONL: the column within it, not "line 2 column 1" of a JSON document
    assert (problem.line, problem.message) == (2, "not valid JSON at column 31: unexpected end of data")


def test_find_reads_step_addresses_like_the_trace_does(tmp_path: Path) -> None:
    """``-1`` or ``step--2`` are no steps, and ``²`` (str.isdigit but no int) was a ValueError traceback."""
    import pytest

    from agentdbg.errors import StepNotFoundError

    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    index = TraceIndex(path).scan()
    trace = read_trace(path)
    for address in ("2", "step-2", "STEP2", " step-2 "):
        assert index.find(address) == 1 and trace.step(address).step == 2
    for address in ("-1", "step--2", "²", "0", "3.0", ""):
        with pytest.raises(StepNotFoundError):
            index.find(address)
        with pytest.raises(StepNotFoundError):
            trace.step(address)


def test_a_compact_request_without_a_request_object_is_named_like_the_reader_names_it(tmp_path: Path) -> None:
    """The fast path took a ``request_ref`` line whose input holds no request (the reader's error) as plain."""
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    base_input = {"provider": "openai", "api": "chat.completions", "request": request}
    records: list[Any] = [
        {"type": "trace", "schema_version": 2, "trace_id": "t-1", "name": "n", "started_at": 1.0, "metadata": {}},
        {"type": "span_start", "id": "a", "kind": "llm", "name": "x", "started_at": 1.0, "input": base_input},
        {"type": "span_end", "id": "a", "ended_at": 2.0, "output": {}},
    ]
    for number, llm_input in enumerate(({"provider": "openai"}, {"provider": "openai", "request": "text"}, None), 1):
        span_id = f"b{number}"
        start = {"type": "span_start", "id": span_id, "kind": "llm", "name": "x", "started_at": 3.0}
        start |= {"input": llm_input} if llm_input is not None else {}
        start["request_ref"] = {"base": "a", "keys": {"messages": 1}}
        records += [start, {"type": "span_end", "id": span_id, "ended_at": 4.0, "output": {}}]
    index = assert_same_as_reader(write_lines(tmp_path / "refs.jsonl", records))
    assert [p.line for p in index.problems] == [4, 6, 8]
