"""Step documents, patches, --set and --from selectors: what users edit and how errors read."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from agentdbg import read_trace
from agentdbg.errors import PatchError, ReplayError, StepNotFoundError
from agentdbg.model.records import TraceHeader
from agentdbg.replay import (
    OutputExistsError,
    ReplayInputError,
    apply_patch,
    document_request,
    parse_set,
    replay,
    request_document,
    select_step,
    step_document,
)
from agentdbg.store.writer import TraceWriter
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import APIS, first_request, record_run, weather
from tests.replay.conftest import base_url


@pytest.fixture
def chat_run(tmp_path, server):
    return record_run(
        tmp_path / "run.jsonl",
        server,
        "openai.chat.completions",
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny in Paris.")],
        {"get_weather": weather},
    )


@pytest.mark.parametrize("api", APIS)
def test_document_has_the_same_shape_for_every_api_and_round_trips(api):
    request = first_request(api, "Be kind.", "Hi", ["get_weather"])
    document = request_document(api, request)
    assert set(document) == {"model", "params", "system", "messages", "tools"}
    assert document["system"] == "Be kind."
    assert document["messages"][0]["content"] == "Hi"
    assert document_request(api, document, request) == request


def test_chat_developer_role_is_kept_and_stream_is_dropped():
    request = {
        "model": "m",
        "messages": [{"role": "developer", "content": "rules"}, {"role": "user", "content": "q"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    document = request_document("openai.chat.completions", request)
    assert document["system"] == "rules" and "stream" not in document["params"]
    patched = apply_patch(document, [{"op": "replace", "path": "/system", "value": "new rules"}])
    rebuilt = document_request("openai.chat.completions", patched, request)
    assert rebuilt["messages"][0] == {"role": "developer", "content": "new rules"}
    assert "stream" not in rebuilt


def test_responses_string_input_becomes_a_message_list():
    document = request_document("openai.responses", {"model": "m", "input": "hello"})
    assert document["messages"] == [{"role": "user", "content": "hello"}] and document["system"] is None


def test_json_patch_merge_patch_and_set():
    document = {"model": "a", "params": {"temperature": 1}, "system": "s", "messages": [], "tools": []}
    assert apply_patch(document, [{"op": "replace", "path": "/model", "value": "b"}])["model"] == "b"
    merged = apply_patch(document, {"params": {"temperature": None, "top_p": 0.5}})
    assert merged["params"] == {"top_p": 0.5}
    assert document["params"] == {"temperature": 1}  # never modified in place
    assert parse_set("/params/temperature=0") == {"op": "add", "path": "/params/temperature", "value": 0}
    assert parse_set("/model=gpt-4o")["value"] == "gpt-4o"  # not JSON: taken as a string


def test_patch_errors_name_op_path_and_reason():
    document = {"model": "a", "messages": []}
    with pytest.raises(PatchError) as error:
        apply_patch(document, [{"op": "replace", "path": "/messages/5/content", "value": "x"}])
    assert "op #1" in error.value.message and "'replace'" in error.value.message
    assert "/messages/5/content" in error.value.message
    with pytest.raises(PatchError, match="test failed"):
        apply_patch(document, [{"op": "test", "path": "/model", "value": "zzz"}])
    with pytest.raises(PatchError, match="needs 'op' and 'path'"):
        apply_patch(document, [{"path": "/model"}])
    with pytest.raises(PatchError, match="list .* or an object"):
        apply_patch(document, "nope")
    with pytest.raises(PatchError, match="PATH=JSON"):
        parse_set("no-equals-sign")


def test_selectors(chat_run):
    trace = read_trace(chat_run)
    assert select_step(trace, "step-2").step == 2
    assert select_step(trace, "3").step == 3
    assert select_step(trace, "first-llm").step == 2
    assert select_step(trace, "last-llm").step == 4
    assert select_step(trace, "tool:get_weather").step == 3
    assert select_step(trace, "tool:get_weather#1").step == 3
    for bad, reason in [
        ("step-9", "valid steps: step-1 … step-4"),
        ("tool:nope", "no call of tool 'nope'"),
        ("tool:get_weather#2", r"1 … 1"),
        ("first-error", "no step failed"),
        ("sideways", "selectors: step-N"),
    ]:
        with pytest.raises(StepNotFoundError, match=reason) as error:
            select_step(trace, bad)
        assert "tool:get_weather" in (error.value.hint or "")


def test_show_document_of_tool_and_llm_steps(chat_run):
    trace = read_trace(chat_run)
    assert step_document(trace, trace.step(3)) == {
        "name": "get_weather",
        "arguments": {"city": "Paris"},
        "result": "18C and sunny",
    }
    assert step_document(trace, trace.step(4))["messages"][-1]["role"] == "tool"
    with pytest.raises(ReplayError, match="agent step"):
        step_document(trace, trace.step(1))


def test_bad_patch_sends_nothing(chat_run, server):
    with pytest.raises(PatchError, match="/nothing/here"):
        replay(
            chat_run,
            "step-2",
            patch=[{"op": "remove", "path": "/nothing/here"}],
            base_url=base_url(server, "openai.chat.completions"),
        )
    assert server.requests == []


def test_patch_that_breaks_tool_pairing_is_refused(chat_run, server):
    # dropping the tool message leaves the assistant's tool call unanswered
    patch = [{"op": "remove", "path": "/messages/2"}]
    with pytest.raises(PatchError, match="no tool message after it"):
        replay(chat_run, "last-llm", patch=patch, base_url=base_url(server, "openai.chat.completions"))
    assert server.requests == []


def test_existing_output_needs_force(chat_run, server, tmp_path):
    out = tmp_path / "fork.jsonl"
    out.write_text("keep me\n")
    url = base_url(server, "openai.chat.completions")
    with pytest.raises(OutputExistsError, match="--force"):
        replay(chat_run, "last-llm", output=out, base_url=url)
    assert out.read_text() == "keep me\n" and server.requests == []
    with pytest.raises(OutputExistsError, match="being replayed"):
        replay(chat_run, "last-llm", output=chat_run, force=True, base_url=url)
    server.enqueue(reply("ok"))
    assert replay(chat_run, "last-llm", output=out, force=True, base_url=url).status == "finished"
    # the default path is next to the trace and never overwrites an earlier fork
    server.enqueue(reply("a"), reply("b"))
    first = replay(chat_run, "last-llm", base_url=url)
    second = replay(chat_run, "last-llm", base_url=url)
    assert first.fork_path.endswith("run.fork.jsonl") and second.fork_path.endswith("run.fork-2.jsonl")


def test_provider_switch_needs_a_model(chat_run, server):
    with pytest.raises(ReplayInputError, match="--provider anthropic needs --model"):
        replay(chat_run, "last-llm", provider="anthropic")
    with pytest.raises(ReplayInputError, match="expected openai or anthropic"):
        replay(chat_run, "last-llm", provider="gemini", model="x")
    assert server.requests == []


def test_model_override(chat_run, server):
    server.enqueue(reply("ok"))
    replay(chat_run, "last-llm", model="gpt-5-test", base_url=base_url(server, "openai.chat.completions"))
    assert server.requests[0].json["model"] == "gpt-5-test"


def _write(path, spans):
    with TraceWriter(path) as writer:
        writer.write_header(TraceHeader(trace_id=uuid.uuid4().hex, name="chain"))
        for span in spans:
            writer.write({"type": "span", "started_at": 1.0, "ended_at": 2.0, **span})
    return path


def _responses_step(span_id, request, response_id, text):
    output = {
        "id": response_id,
        "object": "response",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "m" + response_id,
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
    }
    return {
        "id": span_id,
        "kind": "llm",
        "input": {"provider": "openai", "api": "responses", "request": request},
        "output": output,
    }


def test_previous_response_id_chain_is_rebuilt(tmp_path, server):
    path = _write(
        tmp_path / "chain.jsonl",
        [
            _responses_step(
                "a",
                {"model": "m", "instructions": "sys", "input": "first question"},
                "resp_1",
                "first answer",
            ),
            _responses_step(
                "b",
                {"model": "m", "previous_response_id": "resp_1", "input": "second question"},
                "resp_2",
                "x",
            ),
        ],
    )
    server.enqueue(reply("second answer"))
    result = replay(path, "step-2", base_url=base_url(server, "openai.responses"))
    assert result.status == "finished"
    sent = server.requests[0].json
    assert "previous_response_id" not in sent
    texts = json.dumps(sent["input"])
    assert texts.index("first question") < texts.index("first answer") < texts.index("second question")
    assert any("previous_response_id" in note for note in result.notes)


def test_previous_response_id_outside_the_trace_is_refused(tmp_path, server):
    path = _write(
        tmp_path / "chain.jsonl",
        [_responses_step("b", {"model": "m", "previous_response_id": "resp_gone", "input": "q"}, "r", "x")],
    )
    with pytest.raises(ReplayError, match="resp_gone.*not in this trace"):
        replay(path, "step-1", base_url=base_url(server, "openai.responses"))
    assert server.requests == []


def test_imported_step_without_request_is_refused(tmp_path):
    path = _write(
        tmp_path / "imported.jsonl",
        [
            {
                "id": "x",
                "kind": "llm",
                "input": {"provider": "openai", "api": "chat.completions"},
                "attributes": {"replayable": False},
            }
        ],
    )
    with pytest.raises(ReplayError, match="no complete recorded request"):
        replay(path, "step-1")


def test_credentials_in_a_patch_are_sent_but_never_written(chat_run, server):
    secret = "sk-proj-" + "A1b2C3d4" * 4
    server.enqueue(reply("ok"))
    patch = [
        {"op": "add", "path": "/params/extra_headers", "value": {"X-Api-Key": secret, "X-Trace": "t1"}},
        {"op": "replace", "path": "/messages/0/content", "value": f"my key is {secret}"},
    ]
    result = replay(chat_run, "last-llm", patch=patch, base_url=base_url(server, "openai.chat.completions"))
    assert server.requests[0].headers["x-api-key"] == secret and server.requests[0].headers["x-trace"] == "t1"
    written = Path(result.fork_path).read_text()
    assert secret not in written and "[REDACTED]" in written and '"X-Trace":"t1"' in written


def test_merge_patch_then_set_is_applied_in_order_and_recorded(chat_run, server):
    from agentdbg.replay import apply_any, combine_patch

    combined = combine_patch({"system": "first"}, ['/system="second"', "/params/seed=7"])
    document = {"model": "m", "params": {}, "system": "s", "messages": [], "tools": []}
    assert apply_any(document, combined)["system"] == "second"
    server.enqueue(reply("ok"))
    result = replay(
        chat_run,
        "last-llm",
        patch={"system": "first"},
        sets=["/params/seed=7"],
        base_url=base_url(server, "openai.chat.completions"),
    )
    sent = server.requests[0].json
    assert sent["messages"][0]["content"] == "first" and sent["seed"] == 7
    assert read_trace(result.fork_path).header.fork_of.patch == {
        "merge": {"system": "first"},
        "then": [{"op": "add", "path": "/params/seed", "value": 7}],
    }
