"""diff through the offset index: whole spans are parsed only for steps whose lines differ, and the result
equals the in-memory diff (counted, not timed: bench/commands_bench.py shows the speed)."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from agentdbg.analysis import diff_traces
from agentdbg.store import read_indexed, read_trace
from agentdbg.store.index import TraceIndex

from .builders import SEARCH_DOCS, Run

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


def searching_run(searches: int) -> Run:
    run = Run(tools=[SEARCH_DOCS], name="searching")
    run.user("Find the refund policy.")
    for number in range(searches):
        run.call_tool("search_docs", {"query": f"refund {number}"}, f"page {number}")
    run.llm("Refunds take 14 days.")
    return run


def annotated(run: Run, tool_steps: list[int], *, later: bool = False) -> Run:
    """The same run with some tool steps carrying an attribute (or, ``later``, ending later): their lines
    differ, what ``compare_steps`` reads does not."""
    other = copy.deepcopy(run)
    tool_ends = [r for r in other.records if r["type"] == "span_end" and str(r["output"]).startswith("page")]
    for number in tool_steps:
        if later:
            tool_ends[number]["ended_at"] += 0.25
        else:
            tool_ends[number]["attributes"] = {"note": "retried"}
    return other


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts every whole span the offset index parses (read_span and the cached load_span)."""
    counts: Counter[str] = Counter()
    for name in ("read_span", "load_span"):
        original = getattr(TraceIndex, name)

        def counted(self: TraceIndex, position: int, _original=original, _name=name) -> object:
            counts[_name] += 1
            return _original(self, position)

        monkeypatch.setattr(TraceIndex, name, counted)
    return counts


@pytest.mark.parametrize("searches", [20, 120])
def test_parses_grow_with_the_differing_steps_not_with_the_run(
    tmp_path: Path, parses: Counter[str], searches: int
) -> None:
    run = searching_run(searches)
    a = run.write(tmp_path / "a.jsonl")
    b = annotated(run, [3, 7, 11]).write(tmp_path / "b.jsonl")
    diff = diff_traces(read_indexed(a), read_indexed(b))
    assert [s.status for s in diff.steps] == ["identical"] * (2 * searches + 1)
    assert parses["read_span"] == 2 * 3  # both sides of each of the three pairs whose content differs
    assert parses["load_span"] <= 2  # the final answers: the last step of each run
    assert diff.to_json() == diff_traces(read_trace(a), read_trace(b)).to_json()


def test_steps_that_differ_only_in_their_times_are_not_parsed(tmp_path: Path, parses: Counter[str]) -> None:
    run = searching_run(30)
    a = run.write(tmp_path / "a.jsonl")
    b = annotated(run, [3, 7, 11], later=True).write(tmp_path / "b.jsonl")
    diff = diff_traces(read_indexed(a), read_indexed(b))
    assert parses["read_span"] == 0
    slowed = [s for s in diff.steps if s.a_latency != s.b_latency]
    assert [(s.a_step, s.kind, s.status) for s in slowed] == [
        (8, "tool", "identical"),
        (16, "tool", "identical"),
        (24, "tool", "identical"),
    ]
    assert diff.to_json() == diff_traces(read_trace(a), read_trace(b)).to_json()


def test_a_run_against_itself_parses_only_its_final_answer(tmp_path: Path, parses: Counter[str]) -> None:
    path = searching_run(120).write(tmp_path / "a.jsonl")
    trace = read_indexed(path)
    diff = diff_traces(trace, trace)
    assert diff.identical and len(diff.steps) == 241
    assert parses["read_span"] == 0 and parses["load_span"] == 1
    assert diff.to_json() == diff_traces(read_trace(path), read_trace(path)).to_json()
    other = diff_traces(read_indexed(path), read_indexed(path))  # two readings of one file: bytes compared
    assert parses["read_span"] == 0
    assert other.to_json() == diff.to_json()


def test_a_changed_response_is_the_only_pair_parsed(tmp_path: Path, parses: Counter[str]) -> None:
    """Later requests extend this step's request (schema 2): its response is not part of them."""
    a_run = searching_run(50)
    b_run = copy.deepcopy(a_run)
    answers = [r for r in b_run.records if r["type"] == "span_end" and isinstance(r["output"], dict)]
    answers[10]["output"]["choices"][0]["message"]["content"] = "Let me search once more."
    a = a_run.write(tmp_path / "a.jsonl")
    b = b_run.write(tmp_path / "b.jsonl")
    assert b"request_ref" in b.read_bytes()  # the later requests do refer to earlier ones
    diff = diff_traces(read_indexed(a), read_indexed(b))
    assert diff.divergent is not None and diff.divergent.changes == ["response"]
    assert diff.divergent.a_step == 21 and [s.status for s in diff.steps].count("changed") == 1
    assert parses["read_span"] == 2
    assert diff.to_json() == diff_traces(read_trace(a), read_trace(b)).to_json()


def test_a_changed_request_is_parsed_with_every_request_that_extends_it(
    tmp_path: Path, parses: Counter[str]
) -> None:
    a_run = searching_run(30)
    b_run = copy.deepcopy(a_run)
    requests = [r for r in b_run.records if r["type"] == "span_start" and r["kind"] == "llm"]
    requests[-1]["input"]["request"]["temperature"] = 0.9  # the last request only: nothing extends it
    a = a_run.write(tmp_path / "a.jsonl")
    b = b_run.write(tmp_path / "b.jsonl")
    diff = diff_traces(read_indexed(a), read_indexed(b))
    assert [s.a_step for s in diff.steps if s.status == "changed"] == [len(diff.steps)]
    assert parses["read_span"] == 2
    assert diff.to_json() == diff_traces(read_trace(a), read_trace(b)).to_json()


def test_index_diff_equals_the_in_memory_diff_on_every_sample_pair() -> None:
    samples = sorted(SAMPLES.glob("*.jsonl"))
    pairs = [(p, p) for p in samples] + list(zip(samples, samples[1:], strict=False))
    for a, b in pairs:
        lazy = diff_traces(read_indexed(a), read_indexed(b)).to_json()
        assert lazy == diff_traces(read_trace(a), read_trace(b)).to_json(), (a.name, b.name)


def test_a_replay_fork_parses_only_the_steps_from_its_fork_point(
    tmp_path: Path, parses: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork writes its recorded steps anew (one line each, new times, origin: recorded): their content
    is compared without building spans; only the live steps from the fork on are parsed whole."""
    from agentdbg.replay import replay
    from agentdbg.testing.llm_server import FakeLLMServer, reply

    original = searching_run(40).write(tmp_path / "run.jsonl")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeLLMServer(responder=lambda request: reply("Refunds take 14 days.")) as fake:
        result = replay(
            str(original),
            "step-61",
            patch=[{"op": "replace", "path": "/system", "value": "Answer briefly."}],
            base_url=fake.base_url + "/v1",
            output=tmp_path / "fork.jsonl",
        )
    assert result.status == "finished", result.error
    fork = Path(result.fork_path)
    assert b'"origin":"recorded"' in fork.read_bytes()
    parses.clear()
    diff = diff_traces(read_indexed(original), read_indexed(fork))
    assert diff.fork_step == 61 and [s.status for s in diff.steps[:60]] == ["identical"] * 60
    assert diff.divergent is not None and diff.divergent.a_step == 61
    assert parses["read_span"] <= 2 * (len(diff.steps) - 60)  # none of the 60 shared steps
    assert diff.to_json() == diff_traces(read_trace(original), read_trace(fork)).to_json()
