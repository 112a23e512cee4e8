"""diagnose, diff and the search summary never raise on odd shapes: any field of a real trace replaced by any JSON."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentdbg.analysis import diagnose, diff_traces
from agentdbg.analysis.detectors.schema import _problems
from agentdbg.analysis.summary import summarize
from agentdbg.store import read_trace

from .builders import Run, healthy_run

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "name",
                    "arguments",
                    "type",
                    "text",
                    "tool_calls",
                    "function",
                    "id",
                    "messages",
                    "tools",
                    "parameters",
                    "properties",
                    "required",
                    "query",
                    "choices",
                    "message",
                    "usage",
                    "$ref",
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)


def base_run() -> Run:
    run = healthy_run()
    run.user("Search the docs for the password reset")
    run.call_tool(
        "search_docs", {"query": "reset password"}, [{"text": "Reset your password from the login page"}]
    )
    run.retrieval("reset password", ["Reset password from the login page"])
    run.llm("Use the login page.")
    return run


BASE = base_run()


def field_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.extend(field_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.extend(field_paths(item, (*prefix, index)))
    return paths


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), JSON), min_size=1, max_size=4)
)
def test_any_field_replaced_by_any_json(tmp_path: Path, edits: list[tuple[int, int, Any]]) -> None:
    records = copy.deepcopy(BASE.records)
    for record_index, path_index, value in edits:
        record = records[record_index % len(records)]
        paths = [p for p in field_paths(record) if p[0] not in ("type", "id")]
        *parents, last = paths[path_index % len(paths)]
        target = record
        for part in parents:
            target = target[part]
        target[last] = value
    run = Run()
    run.records = records
    path = run.write(tmp_path / "mutated.jsonl")
    original = BASE.write(tmp_path / "original.jsonl")
    trace = read_trace(path)
    for finding in diagnose(trace):
        assert finding.step >= 1 and finding.evidence
    diff_traces(trace, read_trace(original))
    diff_traces(read_trace(original), trace)
    summary = summarize(str(path))
    assert summary["ok"] or summary["error"]


def test_unresolvable_schema_refs_are_reported_not_fetched() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/remote.json"}}}
    (problem,) = _problems({"a": 1}, schema)
    assert problem[0] == "schema" and "cannot be applied" in problem[2]
