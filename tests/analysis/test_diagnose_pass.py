"""diagnose reads a run in one pass: each line parsed once, each llm view built once, lexical work per
step bounded, so the work grows with the run, counted here, not timed (bench/commands_bench.py times it);
and a trace read through the offset index gives the same findings as one read whole."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentdbg.analysis import diagnose, lexical
from agentdbg.analysis.detectors import truncation
from agentdbg.model import views
from agentdbg.model.records import TraceHeader
from agentdbg.store import TraceWriter, read_indexed, read_trace
from agentdbg.store.index import TraceIndex

from .builders import SEARCH_DOCS, WEATHER, Run

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen import run_records  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


def write_generated(path: Path, steps: int, episode: int) -> Path:
    """A schema-2 (compact) agent run from the bench generator: episodes whose history grows each step."""
    with TraceWriter(path, overwrite=True, compact=True) as writer:
        writer.write_header(TraceHeader(trace_id=f"gen-{steps}", name=path.stem, started_at=1_700_000_000.0))
        for record in run_records(steps, growth=300, episode=episode):
            writer.write(record)
    return path


def looping_run(rounds: int) -> Run:
    """A conversation that loops on a search and gets a failing tool each round: findings at every size."""
    run = Run(tools=[SEARCH_DOCS, WEATHER], name="looping")
    for number in range(rounds):
        run.user(f"What is the refund policy for order {number} in Paris?")
        for _ in range(3):
            run.call_tool("search_docs", {"query": "refund policy"}, "no results")
        run.call_tool("get_weather", {"city": "Paris"}, "Error: service down")
        run.llm("I could not find it.")
    return run


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts lines decoded, llm views built, message keys made and texts split into terms."""
    counts: Counter[str] = Counter()

    def counting(module: Any, name: str) -> None:
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    from agentdbg.store import index_spans

    counting(index_spans, "decode_line")  # every payload line the index parses whole
    counting(truncation, "message_key")
    monkeypatch.setattr(lexical, "_WORD", _CountingPattern(lexical._WORD, counts))
    original_of = views.LLMView.of.__func__  # type: ignore[attr-defined]

    def view_of(cls: type[views.LLMView], span: Any, *converters: Any) -> views.LLMView:
        counts["views"] += 1
        return original_of(cls, span, *converters)

    monkeypatch.setattr(views.LLMView, "of", classmethod(view_of))
    from agentdbg.wire import openai_chat

    counting(openai_chat, "_message")  # chat messages converted to the neutral form (re-sent ones: once)
    return counts


class _CountingPattern:
    def __init__(self, pattern: Any, counts: Counter[str]) -> None:
        self.pattern, self.counts = pattern, counts

    def findall(self, text: str) -> list[str]:
        self.counts["terms"] += 1
        return self.pattern.findall(text)  # type: ignore[no-any-return]


def _cold_memos() -> None:
    """Empty the lexical memos, so texts an earlier test in this process saw (the same generator, the same
    seed) are counted here too."""
    from agentdbg.analysis.detectors import loop, retrieval

    lexical._TERM_OF.clear()
    lexical._cached_terms.cache_clear()
    retrieval._key_terms.cache_clear()
    loop._letters.cache_clear()


def _diagnosed(path: Path, counts: Counter[str]) -> tuple[list[dict[str, Any]], Counter[str]]:
    _cold_memos()
    counts.clear()
    trace = read_indexed(path)
    counts.clear()  # the scan's own decoding is the index's business; count the analysis
    findings = [finding.to_json() for finding in diagnose(trace)]
    counts["spans"] = len(trace.spans)
    return findings, Counter(counts)


@pytest.mark.parametrize("episode", [20, 0])
def test_work_per_step_is_bounded(tmp_path: Path, work: Counter[str], episode: int) -> None:
    small = write_generated(tmp_path / "small.jsonl", 60, episode)
    large = write_generated(tmp_path / "large.jsonl", 600, episode)
    _, at_small = _diagnosed(small, work)
    _, at_large = _diagnosed(large, work)
    for what in ("decode_line", "views", "terms"):
        assert at_large[what] <= 11 * at_small[what], (what, at_small, at_large)
    # a compact request's facts are carried from its base (analysis/llm_facts.py): whole views only where
    # a request is written whole (the run's first), not one per llm step
    assert at_large["views"] <= 2
    assert at_large["decode_line"] <= 2 * at_large["spans"]  # each span's start and end line, once
    # each message is converted once, where a request adds it: a step adds 2 and answers with 1, whatever
    # its history (20 messages, or all 1,200 of one conversation)
    assert at_large["_message"] <= 3 * 600, (at_small, at_large)
    assert at_large["message_key"] <= 11 * at_small["message_key"]


def test_findings_through_the_index_equal_the_whole_read(tmp_path: Path) -> None:
    paths = [*sorted(SAMPLES.glob("*.jsonl")), looping_run(12).write(tmp_path / "looping.jsonl")]
    paths.append(write_generated(tmp_path / "gen.jsonl", 120, 30))
    seen = 0
    for path in paths:
        eager = [finding.to_json() for finding in diagnose(read_trace(path))]
        lazy = [finding.to_json() for finding in diagnose(read_indexed(path))]
        assert lazy == eager, path.name
        seen += len(eager)
    assert seen > 20  # the comparison covered real findings, not empty lists


def test_looping_findings_scale_with_the_rounds(tmp_path: Path) -> None:
    few = diagnose(read_indexed(looping_run(3).write(tmp_path / "few.jsonl")))
    many = diagnose(read_indexed(looping_run(30).write(tmp_path / "many.jsonl")))
    by_pattern_few = Counter(finding.pattern for finding in few)
    by_pattern_many = Counter(finding.pattern for finding in many)
    assert by_pattern_few["loop"] >= 1 and by_pattern_few["error"] >= 3
    assert by_pattern_many["loop"] == 10 * by_pattern_few["loop"]


def _spans(index: TraceIndex) -> Iterator[dict[str, Any]]:
    for span in index.iter_spans():
        yield span.model_dump()


def test_one_pass_reads_every_step_as_a_single_read_does(tmp_path: Path) -> None:
    paths = [*sorted(SAMPLES.glob("*.jsonl")), write_generated(tmp_path / "gen.jsonl", 90, 25)]
    for path in paths:
        with TraceIndex(path).scan() as index:
            assert list(_spans(index)) == [index.read_span(i).model_dump() for i in range(len(index))], (
                path.name
            )


@pytest.mark.parametrize(
    "arguments",
    [
        {"query": "weather in Paris", "unit": "celsius"},
        {"query": "naïve café ☕"},
        {"limit": 3, "query": "x"},
        float("nan"),
        {"ratio": 1.5},
        {"nested": {"query": "x"}},
        "raw text",
        None,
        {"bad": "\ud800"},
    ],
)
def test_packed_arguments_come_back_equal(arguments: Any) -> None:
    from agentdbg.analysis.call_records import pack, unpack

    back = unpack(pack(arguments))
    if arguments == arguments:  # NaN is never equal to itself: then the very object must come back
        assert back == arguments and type(back) is type(arguments)
    else:
        assert back is arguments
    if isinstance(arguments, dict):
        assert list(back) == list(arguments)  # key order kept (it shows in evidence)
