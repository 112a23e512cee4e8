"""Hostile input never wins: the reader and the print views only ever yield a trace and named problems."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.render import render_step, render_tree
from agentdbg.store import read_trace

VALID = [
    {"type": "trace", "schema_version": 1, "trace_id": "t", "name": "fuzz", "started_at": 1764150000.0},
    {"type": "span_start", "id": "a", "kind": "agent", "name": "run", "started_at": 1764150000.0},
    {
        "type": "span",
        "id": "b",
        "parent_id": "a",
        "kind": "llm",
        "name": "chat",
        "started_at": 1764150000.1,
        "ended_at": 1764150001.0,
        "input": {
            "provider": "openai",
            "api": "chat.completions",
            "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        },
        "output": {"choices": [{"message": {"role": "assistant", "content": "hello"}}]},
        "usage": {"input_tokens": 3, "output_tokens": 1},
    },
    {"type": "span_end", "id": "a", "ended_at": 1764150002.0},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "type",
    "id",
    "parent_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "input",
    "output",
    "usage",
    "error",
    "attributes",
]


def _exercise(path: Path) -> None:
    """Load, then render everything a user could look at; none of it may raise."""
    started = time.monotonic()
    trace = read_trace(path)
    console = Console(file=io.StringIO(), width=100)
    console.print(render_tree(trace))
    for span in trace.spans:
        console.print(render_step(span))
    assert time.monotonic() - started < 20
    for problem in trace.problems:
        assert problem.line >= 1 and problem.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(data)
    _exercise(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(FIELDS), json_values), max_size=6))
def test_mutated_valid_traces(tmp_path: Path, mutations: list[tuple[int, str, object]]) -> None:
    records = [dict(r) for r in VALID]
    for index, field, value in mutations:
        records[index][field] = value
    path = tmp_path / "mutated.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    _exercise(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=2000))
def test_torn_files(tmp_path: Path, cut: int) -> None:
    data = ("\n".join(json.dumps(r) for r in VALID) + "\n").encode()
    path = tmp_path / "torn.jsonl"
    path.write_bytes(data[: cut % (len(data) + 1)])
    _exercise(path)


def test_pathological_lines(tmp_path: Path) -> None:
    header = json.dumps(VALID[0]).encode()
    span = json.dumps(VALID[2]).encode()
    deep = (
        b'{"type": "span", "id": "deep", "kind": "custom", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    deep_output = (
        b'{"type": "span", "id": "deep2", "kind": "custom", "output": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    lines = [
        header,
        b"\xff\xfe\x00garbage",
        b'{"type": "span", "id": "nan", "kind": "custom", "started_at": NaN}',
        b'{"type": "span", "id": "inf", "kind": "custom", "started_at": Infinity}',
        b'{"type": "span", "id": "dup", "id": "dup2", "kind": "tool", "name": "x"}',
        b'{"type": "span", "id": "huge", "kind": "custom", "started_at": 1e308, "ended_at": -1e308, "usage": {"input_tokens": 123456789012345678901234567890}}',
        b'{"type": "span", "id": "bigint", "kind": "custom", "output": 123456789012345678901234567890123}',
        deep,
        deep_output,
        b'{"type": "span", "id": "fartime", "kind": "custom", "started_at": 1e308, "ended_at": -1e308}',
        b'{"type": "span", "id": "nested1000", "kind": "tool", "input": {"name": "t", "arguments": '
        + b"[" * 1000
        + b"]" * 1000
        + b'}, "output": '
        + b'{"a":' * 1000
        + b"1"
        + b"}" * 1000
        + b"}",
        span,
    ]
    path = tmp_path / "patho.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _exercise(path)
    trace = read_trace(path)
    assert {"b", "fartime", "nested1000"} <= set(trace.by_id)
    result = CliRunner().invoke(app, ["show", str(path), "--print"])
    assert result.exit_code == 0 and "Traceback" not in result.output


def test_one_200mb_line_loads_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as handle:
        handle.write(json.dumps(VALID[0]).encode() + b"\n")
        handle.write(b'{"type": "span", "id": "big", "kind": "tool", "name": "dump", "output": "')
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            handle.write(chunk)
        handle.write(b'"}\n')
    started = time.monotonic()
    trace = read_trace(path)
    assert time.monotonic() - started < 30
    assert len(trace.spans[0].output) == 200 << 20
