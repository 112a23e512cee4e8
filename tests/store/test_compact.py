"""Schema-2 compact requests: written once, rebuilt exactly by every reader, safe to cut anywhere."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.model.records import SCHEMA_VERSION, TraceHeader
from agentdbg.store import TraceWriter, read_trace
from agentdbg.store.compact import COMPACT_KEY, expand_lines
from agentdbg.store.index import TraceIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen import run_records, unique_bytes  # noqa: E402

HEADER = TraceHeader(trace_id="t-compact", name="compact", started_at=1764150000.0)


def llm_start(span_id: str, request: dict[str, Any], api: str = "chat.completions") -> dict[str, Any]:
    return {
        "type": "span_start",
        "id": span_id,
        "kind": "llm",
        "name": "chat",
        "started_at": 1764150000.0,
        "input": {"provider": "openai", "api": api, "request": request},
    }


def write(path: Path, records: list[dict[str, Any]], compact: bool = True) -> Path:
    with TraceWriter(path, overwrite=True, compact=compact) as writer:
        writer.write_header(HEADER)
        for record in records:
            writer.write(record)
    return path


def requests_of(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r["input"]["request"] for r in records if r.get("kind") == "llm"}


def assert_rebuilt(path: Path, expected: dict[str, dict[str, Any]]) -> None:
    """Every reader sees each request exactly as it was sent: equal as JSON and as bytes."""
    trace = read_trace(path)
    assert [p for p in trace.problems if p.severity == "error"] == []
    index = TraceIndex(path).scan()
    expanded = [json.loads(line) for line in expand_lines(path.read_bytes().splitlines(keepends=True))]
    from_cat = {r["id"]: r["input"]["request"] for r in expanded if r.get("kind") == "llm"}
    assert all(COMPACT_KEY not in r for r in expanded)
    for span_id, request in expected.items():
        rebuilt = trace.by_id[span_id].input["request"]
        assert rebuilt == request
        assert orjson.dumps(rebuilt) == orjson.dumps(request)
        from_index = index.load_span(index.find(span_id)).input["request"]
        assert orjson.dumps(from_index) == orjson.dumps(request)
        assert orjson.dumps(from_cat[span_id]) == orjson.dumps(request)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
messages = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "tool"]), "content": values})
# One action per llm call: which conversation speaks, what it appends, and whether it rewrites its history.
actions = st.tuples(
    st.integers(0, 2),
    st.lists(messages, max_size=3),
    st.sampled_from(["extend", "extend", "trim", "edit", "same"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(actions, min_size=1, max_size=25),
    tools=st.lists(st.dictionaries(texts, values, max_size=3), max_size=3),
    system=texts,
    extra=st.dictionaries(
        st.sampled_from(["temperature", "metadata", "seed", "tool_choice"]), values, max_size=2
    ),
)
def test_generated_runs_rebuild_exactly(
    tmp_path: Path, steps: list[Any], tools: list[Any], system: str, extra: dict[str, Any]
) -> None:
    histories: list[list[dict[str, Any]]] = [[{"role": "system", "content": system * 20}] for _ in range(3)]
    records: list[dict[str, Any]] = []
    for number, (conversation, new, action) in enumerate(steps):
        history = histories[conversation]
        if action == "trim" and len(history) > 2:
            del history[1]
        elif action == "edit" and len(history) > 1:
            history[-1] = {**history[-1], "content": "edited"}
        elif action == "extend":
            history.extend(new)
        request = {"model": f"m{conversation}", "messages": [dict(m) for m in history], **extra}
        if tools:
            request["tools"] = tools
        records.append(
            llm_start(f"s{number}", request, api="responses" if conversation == 2 else "chat.completions")
        )
    path = write(tmp_path / "run.jsonl", records)
    assert_rebuilt(path, requests_of(records))


def test_a_200_step_run_is_linear_not_quadratic(tmp_path: Path) -> None:
    records = list(run_records(200, growth=2048))
    compact = write(tmp_path / "compact.jsonl", records)
    naive = write(tmp_path / "naive.jsonl", records, compact=False)
    unique = unique_bytes(200, growth=2048)
    assert compact.stat().st_size < 3 * unique
    assert naive.stat().st_size > 30 * unique
    assert_rebuilt(compact, requests_of(records))


def test_version_1_files_still_read(tmp_path: Path) -> None:
    records = list(run_records(12, growth=512))
    v1 = write(tmp_path / "v1.jsonl", records, compact=False)
    first = json.loads(v1.read_bytes().splitlines()[0])
    assert first["schema_version"] == 1 and b"request_ref" not in v1.read_bytes()
    assert_rebuilt(v1, requests_of(records))
    compact = write(tmp_path / "v2.jsonl", records)
    assert json.loads(compact.read_bytes().splitlines()[0])["schema_version"] == SCHEMA_VERSION == 2
    assert [s.model_dump() for s in read_trace(v1).spans] == [
        s.model_dump() for s in read_trace(compact).spans
    ]


def test_a_cut_file_keeps_every_whole_line(tmp_path: Path) -> None:
    records = list(run_records(30, growth=1024, episode=8))
    data = write(tmp_path / "full.jsonl", records).read_bytes()
    expected = requests_of(records)
    for cut in range(len(data) // 7, len(data), len(data) // 7):
        cut_path = tmp_path / "cut.jsonl"
        cut_path.write_bytes(data[:cut])
        trace = read_trace(cut_path)
        assert [p for p in trace.problems if p.severity == "error"] == []
        for span in trace.llm_spans:
            assert orjson.dumps(span.input["request"]) == orjson.dumps(expected[span.id])


def test_a_missing_base_is_a_named_problem(tmp_path: Path) -> None:
    records = list(run_records(3, growth=1024))
    path = write(tmp_path / "run.jsonl", records)
    lines = path.read_bytes().splitlines(keepends=True)
    first_llm = next(i for i, line in enumerate(lines) if b'"kind":"llm"' in line)
    del lines[first_llm]
    path.write_bytes(b"".join(lines))
    trace = read_trace(path)
    broken = [p for p in trace.problems if p.field == COMPACT_KEY]
    assert broken and "not an earlier llm request" in broken[0].message
    span = trace.by_id[json.loads(lines[broken[0].line - 1])["id"]]
    assert span.attributes["replayable"] is False
    index = TraceIndex(path).scan()
    assert [p.line for p in index.problems if p.field == COMPACT_KEY] == [p.line for p in broken]


def test_threads_writing_at_once_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "threads.jsonl"
    expected: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    with TraceWriter(path, overwrite=True) as writer:
        writer.write_header(HEADER)

        def agent(worker: int) -> None:
            history = [{"role": "system", "content": f"agent {worker} " * 50}]
            for step in range(40):
                history.append({"role": "user", "content": f"w{worker} step {step} " * 10})
                request = {"model": "m", "messages": list(history)}
                with lock:
                    expected[f"w{worker}-{step}"] = request
                writer.write(llm_start(f"w{worker}-{step}", request))

        threads = [threading.Thread(target=agent, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert path.read_bytes().count(b"request_ref") > 100
    assert_rebuilt(path, expected)


def test_cat_expand_writes_whole_requests(tmp_path: Path) -> None:
    records = list(run_records(10, growth=1024))
    path = write(tmp_path / "run.jsonl", records)
    out = tmp_path / "expanded.jsonl"
    result = CliRunner().invoke(app, ["cat", str(path), "--expand", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert lines[0]["schema_version"] == 1 and all(COMPACT_KEY not in line for line in lines)
    assert requests_of([r for r in lines if r.get("kind") == "llm"]) == requests_of(records)
    assert [s.model_dump() for s in read_trace(out).spans] == [s.model_dump() for s in read_trace(path).spans]
    stdout = CliRunner().invoke(app, ["cat", str(path), "--expand"])
    assert stdout.exit_code == 0 and stdout.stdout_bytes == out.read_bytes()
    plain = CliRunner().invoke(app, ["cat", str(path)])
    assert plain.stdout_bytes == path.read_bytes()


def test_cat_names_bad_input(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["cat", str(tmp_path / "nope.jsonl"), "--expand"])
    assert missing.exit_code == 2 and "cannot open" in missing.stderr
    directory = CliRunner().invoke(app, ["cat", str(tmp_path), "--expand"])
    assert directory.exit_code == 2 and "directory" in directory.stderr
    path = write(tmp_path / "run.jsonl", list(run_records(2)))
    same = CliRunner().invoke(app, ["cat", str(path), "--expand", "-o", str(path)])
    assert same.exit_code == 2 and "--output is the input" in same.stderr
