"""Claude Code 2.1.197 files written here by a real ``claude -p`` against agentdbg's fake server.

Session transcripts (``~/.claude/projects/<cwd>/<session>.jsonl``, a sub-agent under
``<session>/subagents/``) and the matching ``--output-format stream-json --verbose`` stdout. In
stream-json an ``assistant`` record is written before the API's ``message_delta``, so its
``usage.output_tokens`` is message_start's count (1), not the answer's: only ``stream_event``
records (``--include-partial-messages``) or the ``result`` total hold the real one. Expectations come
from the files and from the fake server's scripted counts (45, 30, 20 output tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors, jsonl

SESSION = DATA / "claude_code_2.1.197/7803af64-1006-41b9-8366-3fbf4e60fcdf.jsonl"
TASK_SESSION = DATA / "claude_code_2.1.197/64b9622f-7635-4e42-a3ec-4b650730c4bc.jsonl"
ERROR_SESSION = DATA / "claude_code_2.1.197/45763afd-6942-4c51-852b-b15245c594d1.jsonl"
STREAM = DATA / "claude_code_stream/stream_2.1.197_fake_server.jsonl"
PARTIAL = DATA / "claude_code_stream/stream_2.1.197_fake_server_partial_messages.jsonl"
TASK_STREAM = DATA / "claude_code_stream/stream_2.1.197_fake_server_task.jsonl"
ERROR_STREAM = DATA / "claude_code_stream/stream_2.1.197_fake_server_api_error.jsonl"


def _outputs(path: Path) -> list[int | None]:
    return [s.usage.output_tokens if s.usage else None for s in open_trace(path).spans_of_kind("llm")]


def test_session_calls_tools_and_usage() -> None:
    assert detect_format(SESSION) == "claude-code"
    trace = open_trace(SESSION)
    assert [p for p in trace.problems if p.severity != "info"] == []
    llm = trace.spans_of_kind("llm")
    assert [s.name for s in llm] == ["claude-opus-4-8"] * 3
    assert _outputs(SESSION) == [45, 30, 20]
    first = llm[0].usage
    assert first is not None
    assert (first.input_tokens, first.cached_input_tokens, first.cache_creation_input_tokens) == (
        3200,
        2048,
        512,
    )
    tools = trace.spans_of_kind("tool")
    assert [(t.input["call_id"], t.input["arguments"]["command"]) for t in tools] == [
        ("toolu_bash_1", "printf 'hello\\n' > hello.txt && cat hello.txt"),
        ("toolu_bash_2", "cat missing.txt"),
    ]
    assert [s.input["call_id"] for s in errors(trace)] == ["toolu_bash_2"]
    assert [m["role"] for m in llm[2].input["request"]["messages"]] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]


def test_stream_json_output_tokens_are_the_results_not_message_starts() -> None:
    records = jsonl(STREAM)
    result = records[-1]
    starts = [r["message"]["usage"]["output_tokens"] for r in records if r["type"] == "assistant"]
    assert set(starts) == {1} and result["usage"]["output_tokens"] == 95
    trace = open_trace(STREAM)
    assert trace.totals()["output_tokens"] == 95  # was 3: the message_start counts
    assert _outputs(STREAM) == [None, None, None]
    assert [s.attributes["output_tokens_at_message_start"] for s in trace.spans_of_kind("llm")] == [1, 1, 1]
    assert trace.spans[0].usage is not None and trace.spans[0].usage.output_tokens == 95
    assert trace.totals()["input_tokens"] == open_trace(SESSION).totals()["input_tokens"]
    assert any("as of message_start" in p.message for p in trace.problems)


def test_stream_events_give_each_call_its_final_usage() -> None:
    trace = open_trace(PARTIAL)
    assert not [p for p in trace.problems if "unknown record" in p.message], trace.problems
    assert _outputs(PARTIAL) == [45, 30, 20]
    assert trace.totals()["output_tokens"] == 95
    assert [s.attributes.get("finish_reason") for s in trace.spans_of_kind("llm")] == [
        "tool_use",
        "tool_use",
        "end_turn",
    ]
    counted = trace.spans[0].attributes["other_records"]
    assert counted["stream_event.message_delta"] == 3


def test_sub_agent_session_and_its_stream() -> None:
    trace = open_trace(TASK_SESSION)
    sub = next(s for s in trace.spans if s.name == "sub-agent: Count files")
    task = next(s for s in trace.spans if s.name == "Task")
    assert sub.parent_id == task.id
    inside = [s for s in trace.spans if s.parent_id == sub.id]
    assert [(s.kind, s.usage.output_tokens if s.usage else None) for s in inside] == [
        ("llm", 25),
        ("tool", None),
        ("llm", 8),
    ]
    stream = open_trace(TASK_STREAM)
    assert stream.totals()["output_tokens"] == 69  # the result's total: the main thread's 60 + 9
    bash = next(s for s in stream.spans if s.name == "Bash")
    assert stream.by_id[str(bash.parent_id)].name == "Task"


def test_api_error_session_and_stream() -> None:
    record = next(r for r in jsonl(ERROR_SESSION) if r.get("isApiErrorMessage"))
    failed = open_trace(ERROR_SESSION).spans_of_kind("llm")[0]
    assert failed.error is not None
    assert (failed.error.type, failed.error.status_code) == ("invalid_request", 400)
    assert failed.error.body == json.loads(record["errorDetails"].split(" ", 1)[1])
    session = open_trace(ERROR_STREAM).spans[0]
    assert session.error is not None
    assert (session.error.type, session.error.status_code) == ("api_error", 400)  # was type 'success'


PARALLEL = DATA / "claude_code_2.1.197/3f695f15-8240-4372-a3c1-8cb078d08f6c.jsonl"
PARALLEL_STREAM = DATA / "claude_code_stream/stream_2.1.197_fake_server_parallel_thinking.jsonl"


def test_parallel_calls_and_thinking_in_session_and_stream() -> None:
    """One answer (thinking, text, two Write calls over four records) is one llm step; both results pair."""
    for path in (PARALLEL, PARALLEL_STREAM):
        trace = open_trace(path)
        first = trace.spans_of_kind("llm")[0]
        assert [b["type"] for b in first.output["content"]] == ["thinking", "text", "tool_use", "tool_use"]
        tools = trace.spans_of_kind("tool")
        assert [(t.name, t.input["call_id"], t.ended) for t in tools] == [
            ("Write", "toolu_write_a", True),
            ("Write", "toolu_write_b", True),
            ("Read", "toolu_read_a", True),
        ]
        assert str(tools[2].output).startswith("1\talpha")
    assert _outputs(PARALLEL) == [120, 30, 15]
    assert open_trace(PARALLEL_STREAM).totals()["output_tokens"] == 165
    counted = open_trace(PARALLEL_STREAM).spans[0].attributes["other_records"]
    assert counted["system.thinking_tokens"] == 6
