"""A replay of a trace read through the index parses the steps it uses, not every step of the run."""

from __future__ import annotations

from typing import Any

import pytest

from agentdbg.replay import replay
from agentdbg.store import read_indexed, read_trace
from agentdbg.store.index import TraceIndex
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import APIS, record_run, weather
from tests.replay.conftest import base_url

TURNS = 30


@pytest.mark.parametrize("api", APIS)
def test_a_lazy_replay_reads_few_steps_and_equals_the_eager_one(tmp_path, server, api, monkeypatch) -> None:
    path = record_run(
        tmp_path / "run.jsonl",
        server,
        api,
        [*(tool_call_reply("get_weather", {"city": f"City {turn}"}) for turn in range(TURNS)), reply("Done.")],
        {"get_weather": weather},
        max_turns=TURNS + 2,
    )
    parsed: list[int] = []

    def counted(read: Any) -> Any:
        return lambda self, position: (parsed.append(position), read(self, position))[1]

    results = []
    for name, trace in (("eager", read_trace(path)), ("lazy", None)):
        if trace is None:
            monkeypatch.setattr(TraceIndex, "load_span", counted(TraceIndex.load_span))
            monkeypatch.setattr(TraceIndex, "read_span", counted(TraceIndex.read_span))
            trace = read_indexed(path)
        server.enqueue(reply("Still done."))
        result = replay(trace, "last-llm", base_url=base_url(server, api), output=tmp_path / f"{name}.jsonl")
        assert result.status == "finished", result.error
        results.append(result)
    eager, lazy = results
    assert (lazy.new_answer, lazy.old_answer, lazy.divergence, lazy.signatures) == (
        eager.new_answer,
        eager.old_answer,
        eager.divergence,
        eager.signatures,
    )
    assert len(read_trace(tmp_path / "lazy.jsonl").spans) == len(read_trace(tmp_path / "eager.jsonl").spans)
    spans = read_trace(path).spans
    llm_positions = {span.step - 1 for span in spans if span.kind == "llm"}
    assert len(llm_positions) > TURNS
    # of the llm steps: the fork step and the last one (the old answer); before, every llm step was parsed
    assert len(llm_positions & set(parsed)) <= 3, sorted(llm_positions & set(parsed))
    # the recorded tool results are read once each, to answer the fork's tool calls
    assert max(parsed.count(position) for position in set(parsed) - llm_positions) == 1
