"""A SWE-agent 1.x ``.traj`` holding only its ``trajectory``, each step with the ``query`` it sent (messages
with ``message_type``, content as a list of text parts) and no ``history`` or ``info``: the shape a pipeline
test reads (MANIFEST.tsv). Before, it was "not a trace agentdbg can read" (the sniff wanted ``history`` or a
step opening with ``action``), and even when forced the llm step's request was empty."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import CORPUS, DATA

QUERY_ONLY = DATA / "swe_agent" / "query_steps_only.traj"


def test_each_step_sends_its_query() -> None:
    trace = open_trace(QUERY_ONLY)
    assert detect_format(QUERY_ONLY) == "swe-agent" and trace.problems == []
    assert [(s.kind, s.name) for s in trace.spans] == [("agent", "swe-agent query_steps_only"), ("llm", "model"), ("tool", "ls")]
    llm, tool = trace.spans[1:]
    assert llm.input["request"]["messages"] == [
        {"role": "system", "content": "system prompt"},
        {"role": "user", "content": [{"type": "text", "text": "issue text"}]},
    ]
    assert llm.output["choices"][0]["message"]["content"].startswith("THOUGHT: inspect")
    assert tool.input["arguments"] == {"command": "ls"} and tool.output == "README.md\nsetup.py"


def test_a_real_run_reduced_to_its_trajectory_still_reads(tmp_path: Path) -> None:
    source = CORPUS / "swe_agent" / "marshmallow-1867_function_calling_replace.traj"
    only = tmp_path / "only.traj"
    only.write_text(json.dumps({"trajectory": json.loads(source.read_text("utf-8"))["trajectory"]}), "utf-8")
    assert [s.kind for s in open_trace(only).spans] == [s.kind for s in open_trace(source).spans]
