"""inspect_ai 0.3.285 logs written here by a real ``inspect eval`` against agentdbg's fake server.

The default ``.eval`` zip stores its members Zstandard-compressed (zip method 93), and the
model events keep their inputs and provider requests in the sample's ``events_data`` pools
(``input_refs`` / ``call.call_refs`` ranges): every expectation below comes from the files.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from agentdbg.importers import _inspect_log, detect_format, open_trace
from tests.importers.corpus import errors

DATA = Path(__file__).parent / "data" / "inspect_ai"
EVAL = DATA / "inspect_0.3.285_fake_server.eval"
JSON_LOG = DATA / "inspect_0.3.285_fake_server_tool_error.json"


def _roles(request: dict) -> list[str]:
    return [m["role"] for m in request["messages"]]


def test_zstd_eval_zip_reads_every_step() -> None:
    with zipfile.ZipFile(EVAL) as archive:
        assert {info.compress_type for info in archive.infolist()} == {_inspect_log.ZSTD_METHOD}
    assert detect_format(EVAL) == "inspect-ai"
    trace = open_trace(EVAL)
    assert not [p for p in trace.problems if p.severity != "info"], trace.problems
    llm = trace.spans_of_kind("llm")
    tools = trace.spans_of_kind("tool")
    assert [s.name for s in llm] == ["openai/gpt-4o", "openai/gpt-4o"]
    assert [(s.usage.input_tokens, s.usage.output_tokens) for s in llm if s.usage] == [(61, 17), (92, 6)]
    assert [(t.name, t.input["arguments"], t.input["call_id"], t.output) for t in tools] == [
        ("add", {"x": 1, "y": 1}, "call_add_1", "2")
    ]
    assert errors(trace) == []


def test_pooled_inputs_and_requests_are_the_prompt() -> None:
    """Each model event has ``input: []`` and a request without messages; the refs give them back."""
    sample = json.loads(JSON_LOG.read_text(encoding="utf-8"))["samples"][0]
    pool = sample["events_data"]["calls"]
    model_events = [e for e in sample["events"] if e["event"] == "model"]
    assert all(e["input"] == [] and "messages" not in e["call"]["request"] for e in model_events)
    trace = open_trace(JSON_LOG)
    llm = trace.spans_of_kind("llm")
    assert len(llm) == len(model_events) == 3
    for span, event in zip(llm, model_events, strict=True):
        ((start, end),) = event["call"]["call_refs"]
        assert span.input["request"]["messages"] == pool[start:end]
    assert [_roles(s.input["request"]) for s in llm] == [
        ["user"],
        ["user", "assistant", "tool"],
        ["user", "assistant", "tool", "assistant", "tool"],
    ]
    assert llm[1].input["request"]["messages"][2]["content"].startswith("Error: Found 1 validation errors")
    assert [(s.usage.input_tokens, s.usage.output_tokens) for s in llm if s.usage] == [
        (61, 15),
        (110, 17),
        (140, 6),
    ]
    failed = errors(trace)
    assert [(s.kind, s.input["call_id"], s.error.type) for s in failed if s.error] == [
        ("tool", "call_add_bad", "parsing")
    ]


def test_eval_zip_pooled_prompt_matches_its_json_twin() -> None:
    """The .eval run (one tool call) has the same pooled layout: its second call sees user, call, result."""
    second = open_trace(EVAL).spans_of_kind("llm")[1]
    assert _roles(second.input["request"]) == ["user", "assistant", "tool"]
    assert second.input["request"]["model"] == "gpt-4o"


def test_bad_refs_are_a_problem_naming_the_field(tmp_path: Path) -> None:
    log = json.loads(JSON_LOG.read_text(encoding="utf-8"))
    events = log["samples"][0]["events"]
    index = next(i for i, e in enumerate(events) if e["event"] == "model")
    events[index]["call"]["call_refs"] = [[0, 99]]
    events[index]["input_refs"] = "nonsense"
    bad = tmp_path / "bad_refs.json"
    bad.write_text(json.dumps(log), encoding="utf-8")
    trace = open_trace(bad)
    fields = [p.field for p in trace.problems]
    assert f"events[{index}].call.call_refs" in fields
    message = next(p.message for p in trace.problems if p.field == f"events[{index}].call.call_refs")
    assert "[0] = [0, 99] is outside the pool of 5 entries" in message
    assert len(trace.spans_of_kind("llm")) == 3


def test_damaged_zstd_member_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    data = bytearray(EVAL.read_bytes())
    with zipfile.ZipFile(EVAL) as archive:
        info = archive.getinfo("samples/1_epoch_1.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 20 : start + 60] = b"\x00" * 40
    damaged = tmp_path / "damaged.eval"
    damaged.write_bytes(bytes(data))
    trace = open_trace(damaged)
    messages = [p.message for p in trace.problems if p.severity == "error"]
    assert any(m.startswith("samples/1_epoch_1.json: cannot be read") for m in messages), messages
    assert trace.spans_of_kind("llm") == []


def test_zstd_without_the_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_zstandard(name: str, *args: object, **kwargs: object) -> object:
        if name == "zstandard":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_zstandard)
    trace = open_trace(EVAL)
    messages = [p.message for p in trace.problems if p.severity == "error"]
    assert messages and all("pip install zstandard" in m for m in messages), messages


ANTHROPIC = DATA / "inspect_0.3.285_fake_server_anthropic.eval"
MOCK_ERROR = DATA / "inspect_0.3.285_mockllm_model_error.eval"


def test_anthropic_provider_requests_from_the_call_pool() -> None:
    """anthropic/claude-sonnet-4-5: call.request is a Messages request; the pooled messages are its own."""
    llm = open_trace(ANTHROPIC).spans_of_kind("llm")
    assert [s.input["api"] for s in llm] == ["messages"] * 3
    assert [_roles(s.input["request"]) for s in llm] == [
        ["user"],
        ["user", "assistant", "user"],
        ["user", "assistant", "user", "assistant", "user"],
    ]
    (result,) = llm[1].input["request"]["messages"][2]["content"]
    assert (result["type"], result["tool_use_id"], result["is_error"]) == (
        "tool_result",
        "call_add_bad",
        True,
    )


def test_model_event_without_call_takes_its_prompt_from_input_refs() -> None:
    """mockllm/model failed (tiktoken could not fetch its encoding offline): no call, input only by refs."""
    trace = open_trace(MOCK_ERROR)
    assert trace.problems == []
    (llm,) = trace.spans_of_kind("llm")
    assert llm.input["request"]["messages"] == [{"role": "user", "content": "What is 1 + 1?"}]
    assert llm.error is not None and llm.error.message.startswith("ConnectionError(")
    assert [s.kind for s in trace.spans if s.error] == ["agent", "agent", "llm", "custom"]


CONTEXT_ERROR = DATA / "inspect_0.3.285_fake_server_context_length.eval"


def test_refused_call_is_an_llm_error_with_the_providers_body() -> None:
    """HTTP 400 context_length_exceeded: inspect marks call.error, keeps the error body as call.response
    and turns it into an output with stop_reason model_length (the sample itself succeeds)."""
    trace = open_trace(CONTEXT_ERROR)
    (llm,) = trace.spans_of_kind("llm")
    assert llm.error is not None
    assert (llm.error.type, llm.error.message) == (
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens.",
    )
    assert llm.error.body["type"] == "invalid_request_error"
    assert llm.output is None
    assert llm.attributes["inspect_output"]["choices"][0]["stop_reason"] == "model_length"
