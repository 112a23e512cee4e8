"""mini-swe-agent 2.4.6 trajectories written here by a real ``mini`` run against agentdbg's fake server.

Three runs (local environment, litellm ``openai/gpt-4o``): the default tool-calling model with an unknown
tool ('bsh') in the middle and a submitted end; the same model answering text only until
``RepeatedFormatError``; the text-based model (``mini_textbased.yaml``) with a two-action answer. Since
2.4 a call whose answer cannot be parsed leaves no assistant message: only a ``user`` message with
``extra.interrupt_type: FormatError`` and the answer in ``extra.response``. The interactive ``mini``
answers the submit call "action was not executed" before the ``Submitted`` exit.

An answer without an action is an llm step failing with ``format_error``, a ``RepeatedFormatError`` exit
the run's error, and the submit call's "not executed" no failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors

TOOLCALL = DATA / "mini_swe_agent/v2.4.6_fake_server_toolcall.traj.json"
FORMAT_ERRORS = DATA / "mini_swe_agent/v2.4.6_fake_server_repeated_format_error.traj.json"
TEXTBASED = DATA / "mini_swe_agent/v2.4.6_fake_server_textbased.traj.json"
# not strict: mini_swe_agent.py is being changed by its owner; an XPASS says the marker can go


def _log(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _billed(path: Path) -> list[tuple[int, int]]:
    """(prompt, completion) tokens of every call the run made, from the responses kept in the file."""
    counts = []
    for message in _log(path)["messages"]:
        usage = (message.get("extra") or {}).get("response", {}).get("usage")
        if usage:
            counts.append((usage["prompt_tokens"], usage["completion_tokens"]))
    return counts


def test_tool_calls_results_and_usage() -> None:
    assert detect_format(TOOLCALL) == "mini-swe-agent"
    trace = open_trace(TOOLCALL)
    assert trace.problems == []
    tools = trace.spans_of_kind("tool")
    assert [(t.input["call_id"], t.input["arguments"]["command"]) for t in tools] == [
        ("call_bash_1", "printf 'hello\\n' > hello.txt && cat hello.txt"),
        ("call_bash_2", "cat missing.txt"),
        ("call_bash_3", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"),
    ]
    assert [t.attributes["returncode"] for t in tools] == [0, 1, -1]
    assert tools[1].error is not None and tools[1].error.type == "returncode"
    first = trace.spans_of_kind("llm")[0]
    assert first.usage is not None and (first.usage.input_tokens, first.usage.cached_input_tokens) == (
        1500,
        512,
    )


def test_textbased_actions_and_observations() -> None:
    trace = open_trace(TEXTBASED)
    tools = trace.spans_of_kind("tool")
    assert [t.input["arguments"]["command"] for t in tools] == [
        "printf 'hello\\n' > hello.txt && cat hello.txt",
        "cat missing.txt",
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT",
    ]
    assert [s.input["arguments"]["command"] for s in errors(trace) if s.kind == "tool"] == ["cat missing.txt"]


@pytest.mark.parametrize("path", [TOOLCALL, FORMAT_ERRORS, TEXTBASED], ids=lambda p: p.name)
def test_every_billed_call_is_an_llm_step(path: Path) -> None:
    """info.model_stats.api_calls calls were made; a FormatError one is an llm step too, marked as refused."""
    trace = open_trace(path)
    llm = trace.spans_of_kind("llm")
    assert len(llm) == _log(path)["info"]["model_stats"]["api_calls"]
    assert [(s.usage.input_tokens, s.usage.output_tokens) for s in llm if s.usage] == _billed(path)
    interrupts = [m for m in _log(path)["messages"] if (m.get("extra") or {}).get("interrupt_type")]
    refused = [s for s in llm if s.attributes.get("refused") or (s.error and s.error.type == "format_error")]
    assert len(refused) == len(interrupts)


def test_submitted_run_ends_with_its_submit_call() -> None:
    """The submit call answered "action was not executed" before the Submitted exit is no failure."""
    trace = open_trace(TOOLCALL)
    submit = trace.spans_of_kind("tool")[-1]
    assert submit.error is None and submit.attributes.get("exit") == "Submitted"
    # the run's own exit status says it submitted: diagnose takes the submit call as the final answer
    # (a header naming bash a final tool would end every replay at its first bash call)
    from agentdbg.analysis import diagnose

    assert not [f for f in diagnose(trace) if f.details.get("kind") == "no-final-answer"]


def test_repeated_format_error_exit_fails_the_run() -> None:
    root = open_trace(FORMAT_ERRORS).spans[0]
    assert root.error is not None and root.error.type == "RepeatedFormatError"
