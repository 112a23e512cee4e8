"""search on a run large enough that its step records go to a steps file: same matches, cached, cleaned up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentdbg.analysis import summary as summary_module
from agentdbg.analysis.search import SearchQuery, search
from agentdbg.analysis.summary import iter_steps, summarize

from .builders import CALCULATOR, SEARCH_DOCS, WEATHER, Run

QUERIES = [
    SearchQuery(text="needle-77"),
    SearchQuery(tool="get_*"),
    SearchQuery(error=True),
    SearchQuery(finding="loop"),
    SearchQuery(model="gpt"),
]


def long_run(path: Path, turns: int = 60, needle: int = 77) -> Path:
    run = Run(provider="openai", model="gpt-4o", tools=[WEATHER, SEARCH_DOCS, CALCULATOR])
    run.user("Plan a trip through many cities.")
    for turn in range(turns):
        tag = f"needle-{needle}" if turn == turns // 2 else f"turn-{turn}"
        error = {"type": "Timeout", "message": "slow"} if turn == 7 else None
        run.call_tool("get_weather", {"city": f"city {turn}"}, f"sunny {tag}", error=error)
    for _ in range(3):
        run.call_tool("search_docs", {"query": "same"}, "No results found.")
    run.llm("Done.")
    return run.write(path)


def matches(result: object) -> list[dict[str, object]]:
    return [match.to_json() for match in result.matches]  # type: ignore[attr-defined]


@pytest.fixture
def spill_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summary_module, "SPILL_CHARS", 500)


def test_a_spilled_summary_read_through_the_index_lists_the_same_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(long_run(tmp_path / "long.jsonl"))
    in_memory = summarize(path)  # a small file: read whole
    monkeypatch.setattr(summary_module, "SPILL_CHARS", 500)
    monkeypatch.setattr(summary_module, "EAGER_MAX_BYTES", 0)  # read through the index, as a large one is
    spilled = summarize(path, tmp_path / "steps")
    assert "steps" not in spilled and Path(spilled["steps_file"]).parent == tmp_path / "steps"
    assert list(iter_steps(spilled)) == in_memory["steps"]
    assert len(in_memory["steps"]) == 2 * 63 + 1  # 63 calls and their tool steps, the answer
    rest = {key: value for key, value in spilled.items() if key != "steps_file"}
    assert rest == {key: value for key, value in in_memory.items() if key != "steps"}


def test_search_of_a_large_run_matches_as_in_memory_and_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    traces = tmp_path / "traces"
    long_run(traces / "long.jsonl")
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "plain-cache"))
    expected = [matches(search([str(traces)], query, jobs=1, use_cache=False)) for query in QUERIES]
    assert all(expected) and expected[0][0]["steps"][0]["snippet"]

    monkeypatch.setattr(summary_module, "SPILL_CHARS", 500)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(cache))
    cold = search([str(traces)], QUERIES[0], jobs=1)
    assert cold.from_cache == 0 and matches(cold) == expected[0]
    (steps_file,) = (cache / "search-steps").iterdir()
    for query, wanted in zip(QUERIES, expected, strict=True):
        warm = search([str(traces)], query, jobs=1)
        assert warm.from_cache == 1 and matches(warm) == wanted

    long_run(traces / "long.jsonl", needle=78)  # changed: read again, its old steps file removed
    os.utime(traces / "long.jsonl", ns=(1, 1))
    again = search([str(traces)], SearchQuery(text="needle-78"), jobs=1)
    assert again.from_cache == 0 and len(again.matches) == 1
    assert not steps_file.exists() and len(list((cache / "search-steps").iterdir())) == 1

    (traces / "long.jsonl").unlink()  # deleted: its entry and steps file go when the folder is searched
    assert search([str(traces)], QUERIES[0], jobs=1).scanned == 0
    assert list((cache / "search-steps").iterdir()) == []


def test_a_removed_steps_file_means_the_trace_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_small: None
) -> None:
    traces = tmp_path / "traces"
    long_run(traces / "long.jsonl")
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    first = search([str(traces)], QUERIES[0], jobs=1)
    for steps_file in (tmp_path / "cache" / "search-steps").iterdir():
        steps_file.unlink()
    second = search([str(traces)], QUERIES[0], jobs=1)
    assert second.from_cache == 0 and matches(second) == matches(first)


def test_no_cache_leaves_the_cache_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_small: None
) -> None:
    traces = tmp_path / "traces"
    long_run(traces / "long.jsonl")
    cache = tmp_path / "cache"
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(cache))
    result = search([str(traces)], QUERIES[0], jobs=1, use_cache=False)
    assert len(result.matches) == 1 and not cache.exists()
