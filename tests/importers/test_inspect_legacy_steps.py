"""inspect_ai logs written before inspect had spans (0.3.4x): ``step`` begin/end events group the solver's
events, as in a real 0.3.43 log (tests/importers/data/MANIFEST.tsv). Before, the groups were dropped and the
sample lasted 0 ms."""

from __future__ import annotations

import json
import subprocess
import sys

from agentdbg.importers import open_trace
from agentdbg.importers._common import parse_time
from tests.importers.corpus import DATA

LOG = DATA / "inspect_ai" / "inspect_0.3.43_input_task_excerpt.json"


def _events() -> list[dict]:
    return json.loads(LOG.read_text())["samples"][0]["events"]


def test_step_events_become_nested_groups() -> None:
    begins = [e for e in _events() if e["event"] == "step" and e["action"] == "begin"]
    trace = open_trace(LOG)
    groups = [s for s in trace.spans if s.attributes.get("inspect_step")]
    assert [g.name for g in groups] == [f"{e['type']}: {e['name']}" for e in begins]
    assert all(g.ended for g in groups)
    (llm,) = trace.llm_spans
    generate = next(g for g in groups if g.name == "solver: generate")
    assert llm.parent_id == generate.id  # the model event sits inside the generate solver
    assert (llm.usage.input_tokens, llm.usage.output_tokens) == (53, 46)
    # the input event (what the user typed) is kept on the solver step it happened in
    input_solver = next(g for g in groups if g.name == "solver: input_solver")
    assert [e["event"] for e in input_solver.attributes["events"]] == ["input", "state"]


def test_sample_lasts_from_first_to_last_event() -> None:
    times = [e["timestamp"] for e in _events()]
    sample = next(s for s in open_trace(LOG).spans if s.name.startswith("sample "))
    assert sample.started_at == parse_time(times[0])
    assert sample.ended_at == parse_time(times[-1])


def test_terminal_escapes_of_input_ansi_never_reach_the_terminal() -> None:
    assert any("\x1b[" in e.get("input_ansi", "") for e in _events())  # the file does hold escapes
    for args in (
        ["show", "--print"],
        ["show", "--step", "3", "--print"],
        ["export", "-f", "md"],
        ["diagnose"],
    ):
        out = subprocess.run(
            [sys.executable, "-m", "agentdbg", *args, str(LOG)], capture_output=True, timeout=120
        )
        assert out.returncode in (0, 1), out.stderr
        assert b"\x1b" not in out.stdout + out.stderr
