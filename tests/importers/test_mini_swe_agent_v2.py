"""mini-swe-agent 2.x trajectories (``trajectory_format`` mini-swe-agent-1.1) in its two tool-calling shapes,
as the 2.x model classes write them (fixtures built from SWE-agent/mini-swe-agent's code; MANIFEST.tsv): the
chat model's ``tool_calls`` + ``tool`` messages, and the Responses model's Response objects +
``function_call_output`` items. Before, the first lost every tool call and the second every step."""

from __future__ import annotations

import subprocess
import sys

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

CHAT = DATA / "mini_swe_agent" / "v2_toolcall_fixture.traj.json"
RESPONSES = DATA / "mini_swe_agent" / "v2_response_toolcall_fixture.traj.json"


def test_chat_tool_calls_become_tool_steps_paired_by_call_id() -> None:
    trace = open_trace(CHAT)
    assert detect_format(CHAT) == "mini-swe-agent" and trace.problems == []
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "tool", "llm", "tool", "llm", "tool"]
    first, failed = trace.spans[2], trace.spans[3]
    assert first.input["call_id"] == "toolu_01A" and first.input["arguments"]["command"].startswith("grep -n")
    assert first.output.startswith("<returncode>0</returncode>") and first.error is None
    assert failed.input["call_id"] == "toolu_01B" and failed.attributes["returncode"] == 2
    assert failed.error is not None and "returncode 2" in failed.error.message
    submit = trace.spans[-1]  # the submit command's result is the exit message (Submitted is raised)
    assert submit.ended and submit.output.startswith("diff --git") and submit.attributes["exit"] == "Submitted"
    llm = trace.spans[1]
    assert llm.llm is not None and [c.name for c in llm.llm.tool_calls] == ["bash", "bash"]
    assert llm.usage is not None and (llm.usage.input_tokens, llm.usage.output_tokens) == (1520, 95)
    later = trace.spans[4].input["request"]["messages"]
    assert [m["role"] for m in later] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert later[3] == {"role": "tool", "tool_call_id": "toolu_01A", "content": first.output}
    assert "extra" not in later[2] and later[2]["tool_calls"][0]["id"] == "toolu_01A"
    assert trace.totals()["input_tokens"] == 1520 + 1811 + 1960
    assert trace.roots[0].attributes["exit_status"] == "Submitted"


def test_responses_answers_are_responses_steps_with_their_outputs() -> None:
    trace = open_trace(RESPONSES)
    assert detect_format(RESPONSES) == "mini-swe-agent" and trace.problems == []
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm", "tool", "llm", "tool"]
    llm = trace.spans[1]
    assert llm.input["api"] == "responses" and llm.output["object"] == "response" and "extra" not in llm.output
    assert llm.llm is not None and [c.name for c in llm.llm.tool_calls] == ["bash"]
    assert llm.usage is not None and llm.usage.output_tokens == 310
    second = trace.spans[3]
    sent = second.input["request"]["input"]
    assert [i.get("type", i.get("role")) for i in sent] == ["system", "user", "reasoning", "function_call", "function_call_output"]
    failed = trace.spans[4]
    assert failed.input["call_id"] == "call_x2" and failed.error is not None
    assert "ModuleNotFoundError" in failed.output
    assert trace.spans[-1].ended and trace.spans[-1].attributes["exit"] == "Submitted"


def test_the_cli_reads_both() -> None:
    for path in (CHAT, RESPONSES):
        for command in (["show", "--print"], ["validate"], ["diagnose"]):
            done = subprocess.run(
                [sys.executable, "-m", "agentdbg", *command, str(path)], capture_output=True, text=True, timeout=120
            )
            assert "Traceback" not in done.stderr and done.returncode in (0, 1), (command, done.stderr)
        shown = subprocess.run(
            [sys.executable, "-m", "agentdbg", "show", "--print", str(path)], capture_output=True, text=True, timeout=120
        )
        assert "tool      bash" in shown.stdout and "1 error(s)" in shown.stdout
