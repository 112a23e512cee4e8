"""diff's rows are held as step positions and built on access: equal to the in-memory diff row for row,
a few bytes a pair (counted with tracemalloc, not timed)."""

from __future__ import annotations

import copy
import tracemalloc
from pathlib import Path

from agentdbg.analysis import diff_traces
from agentdbg.analysis.diff_result import StepRows
from agentdbg.store import read_indexed, read_trace

from .test_diff_linear import searching_run


def rows(result: object) -> list[dict[str, object]]:
    return [step.model_dump() for step in result.steps]  # type: ignore[attr-defined]


def held_by_diff(path: Path) -> tuple[object, int]:
    """A diff of the run at ``path`` against itself and the bytes diff's own code holds once done (what the
    index holds, such as the last request's chain, is the store's)."""
    trace = read_indexed(path)
    tracemalloc.start()
    try:
        result = diff_traces(trace, trace)
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*analysis*diff*.py")])
        return result, sum(stat.size for stat in snapshot.statistics("filename"))
    finally:
        tracemalloc.stop()


def test_a_run_against_itself_holds_positions_not_rows(tmp_path: Path) -> None:
    small, small_held = held_by_diff(searching_run(100).write(tmp_path / "small.jsonl"))
    path = searching_run(400).write(tmp_path / "long.jsonl")  # the builder is slow on long runs
    result, held = held_by_diff(path)
    assert isinstance(result.steps, StepRows) and len(result.steps) == 801
    per_row = (held - small_held) / (len(result.steps) - len(small.steps))  # type: ignore[attr-defined]
    assert per_row < 120, per_row  # a StepDiff per pair held ~450 bytes
    eager = read_trace(path)
    expected = diff_traces(eager, eager)
    assert rows(result) == rows(expected)
    assert result.steps[-1].model_dump() == expected.steps[-1].model_dump()
    assert [s.a_step for s in result.steps[10:13]] == [11, 12, 13]
    assert list(result.changed_steps()) == [] and result.first_divergence is None


def test_rows_of_differing_runs_equal_the_in_memory_diff(tmp_path: Path) -> None:
    run = searching_run(40)
    other = copy.deepcopy(run)
    other.records = [
        r for r in other.records if "page 7" not in str(r.get("output"))
    ]  # a tool step ends no more
    for record in other.records:
        if record["type"] == "span_end" and str(record.get("output")) == "page 9":
            record["output"] = "page nine"
    a, b = run.write(tmp_path / "a.jsonl"), other.write(tmp_path / "b.jsonl")
    lazy = diff_traces(read_indexed(a), read_indexed(b))
    eager = diff_traces(read_trace(a), read_trace(b))
    assert rows(lazy) == rows(eager) and lazy.first_divergence == eager.first_divergence
    assert {s.status for s in lazy.steps} >= {"identical", "changed"}
    changed = list(lazy.changed_steps())
    assert changed and [s.model_dump() for s in changed] == [
        s.model_dump() for s in eager.steps if s.status == "changed"
    ]
