"""OTLP JSON export: document shape, ids, times, status, and the GenAI semantic-convention attributes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentdbg.exporters import export_trace
from agentdbg.exporters.otlp_json import otel_span_id, otel_trace_id, to_otlp_json
from agentdbg.importers import open_trace
from tests.exporters.otlp_helpers import attributes, by_step, spans
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.semconv_schema import assert_follows_semconv
from tests.exporters.traces import travel_trace_file


@pytest.fixture()
def travel(tmp_path: Path) -> dict:
    return to_otlp_json(open_trace(travel_trace_file(tmp_path)))


def test_document_has_one_resource_scope_and_every_step(travel: dict) -> None:
    resource = travel["resourceSpans"][0]
    assert attributes(resource["resource"])["service.name"] == "agentdbg"
    header = json.loads(attributes(resource["resource"])["agentdbg.trace_header"])
    assert header["trace_id"] == "run-7f3a" and header["metadata"] == {"user": "qa"}
    scope = resource["scopeSpans"][0]["scope"]
    assert scope["name"] == "agentdbg"
    assert sorted(by_step(travel)) == [1, 2, 3, 4, 5, 6, 7]


def test_ids_are_hex_stable_and_link_parents(tmp_path: Path, travel: dict) -> None:
    all_spans = spans(travel)
    trace_ids = {span["traceId"] for span in all_spans}
    assert len(trace_ids) == 1 and re.fullmatch(r"[0-9a-f]{32}", trace_ids.pop())
    span_ids = [span["spanId"] for span in all_spans]
    assert all(re.fullmatch(r"[0-9a-f]{16}", sid) for sid in span_ids) and len(set(span_ids)) == 7
    steps = by_step(travel)
    assert "parentSpanId" not in steps[1]
    for child, parent in {2: 1, 3: 1, 4: 1, 5: 1, 6: 5, 7: 5}.items():
        assert steps[child]["parentSpanId"] == steps[parent]["spanId"]
    again = to_otlp_json(open_trace(tmp_path / "travel.jsonl"))
    assert [s["spanId"] for s in spans(again)] == span_ids  # same trace, same ids
    assert otel_trace_id("0af7651916cd43dd8448eb211c80319c") == "0af7651916cd43dd8448eb211c80319c"
    assert otel_span_id("t", "b7ad6b7169203331") == "b7ad6b7169203331"
    assert otel_span_id("t1", "root") != otel_span_id("t2", "root")


def test_times_are_nanosecond_strings_and_kinds_follow_semconv(travel: dict) -> None:
    steps = by_step(travel)
    assert steps[2]["startTimeUnixNano"] == "1764150000100000000"
    assert steps[2]["endTimeUnixNano"] == "1764150001300000000"
    assert [steps[n]["kind"] for n in (1, 2, 3)] == [1, 3, 1]  # INTERNAL agent, CLIENT llm, INTERNAL tool
    assert steps[1]["name"] == "invoke_agent travel-agent"
    assert steps[2]["name"] == "chat gpt-4o"
    assert steps[3]["name"] == "execute_tool get_weather"


def test_llm_span_carries_semconv_request_response_usage_and_messages(travel: dict) -> None:
    attrs = attributes(by_step(travel)[2])
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert attrs["gen_ai.request.temperature"] == 0.2 and attrs["gen_ai.request.max_tokens"] == 400
    assert attrs["gen_ai.usage.input_tokens"] == 82 and attrs["gen_ai.usage.output_tokens"] == 17
    assert attrs["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert attrs["gen_ai.input.messages"] == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a travel assistant."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Should I pack an umbrella for Paris?"}]},
    ]
    assert attrs["gen_ai.output.messages"] == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
            ],
            "finish_reason": "tool_call",
        }
    ]
    definition = attrs["gen_ai.tool.definitions"][0]
    assert definition["type"] == "function" and definition["name"] == "get_weather"
    assert definition["parameters"]["required"] == ["city"]
    assert attrs["agentdbg.ttft"] == 0.42


def test_tool_results_in_history_become_tool_call_response_parts(travel: dict) -> None:
    attrs = attributes(by_step(travel)[4])
    history = attrs["gen_ai.input.messages"]
    assert history[2]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert history[3] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_1", "response": "18°C, light rain"}],
    }
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 64
    assert attrs["gen_ai.output.messages"][0]["finish_reason"] == "stop"


def test_anthropic_system_goes_to_system_instructions_and_errors_set_status(travel: dict) -> None:
    span = by_step(travel)[6]
    attrs = attributes(span)
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.system_instructions"] == [{"type": "text", "content": "You summarise bookings."}]
    roles = [message["role"] for message in attrs["gen_ai.input.messages"]]
    assert roles == ["user", "assistant", "tool"]
    assert attrs["gen_ai.input.messages"][2]["parts"][0] == {
        "type": "tool_call_response",
        "id": "toolu_1",
        "response": "no booking",
        "is_error": True,
    }
    assert span["status"] == {"code": 2, "message": "Error code: 529 - overloaded"}
    assert attrs["error.type"] == "APIStatusError"
    assert json.loads(attrs["agentdbg.error"])["status_code"] == 529
    event = span["events"][0]
    assert (
        event["name"] == "exception"
        and attributes(event)["exception.message"] == "Error code: 529 - overloaded"
    )


def test_tool_and_agent_spans(travel: dict) -> None:
    steps = by_step(travel)
    tool = attributes(steps[3])
    assert tool["gen_ai.operation.name"] == "execute_tool"
    assert tool["gen_ai.tool.name"] == "get_weather" and tool["gen_ai.tool.call.id"] == "call_1"
    assert tool["gen_ai.tool.call.arguments"] == {"city": "Paris"}
    assert tool["gen_ai.tool.call.result"] == "18°C, light rain"
    agent = attributes(steps[5])
    assert agent["gen_ai.operation.name"] == "invoke_agent" and agent["gen_ai.agent.name"] == "booking-agent"
    incomplete = attributes(steps[7])
    assert incomplete["agentdbg.incomplete"] is True and "agentdbg.output" not in incomplete
    assert steps[7]["endTimeUnixNano"] == steps[7]["startTimeUnixNano"]


def test_agentdbg_attributes_keep_the_whole_step(travel: dict, tmp_path: Path) -> None:
    from agentdbg.store.compact import COMPACT_KEY, StreamExpander

    original = open_trace(tmp_path / "travel.jsonl")
    requests = StreamExpander()
    compact = 0
    for number, span in sorted(by_step(travel).items()):
        attrs = attributes(span)
        step = original.step(number)
        assert attrs["agentdbg.kind"] == step.kind and attrs["agentdbg.name"] == step.name
        assert attrs["agentdbg.span_id"] == step.id and attrs.get("agentdbg.parent_id") == step.parent_id
        record = {"type": "span_start", "id": step.id, "kind": step.kind, "input": json.loads(attrs["agentdbg.input"])}
        if "agentdbg.request_ref" in attrs:  # the history is written once, in gen_ai.input.messages
            record[COMPACT_KEY] = json.loads(attrs["agentdbg.request_ref"])
            assert len(record["input"]["request"]["messages"]) < len(step.input["request"]["messages"])
            compact += 1
        assert requests.feed(record) is None
        assert record["input"] == step.input
        if step.ended:
            assert json.loads(attrs["agentdbg.output"]) == step.output
    assert compact >= 1  # a later llm step re-sends an earlier one's history


def test_real_sdk_run_exports_through_the_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    trace_file = record_sdk_run(tmp_path / "sdk.jsonl")
    out = tmp_path / "out" / "sdk.otlp.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "export",
            str(trace_file),
            "--format",
            "otlp-json",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "wrote" in result.stderr
    steps = by_step(json.loads(out.read_text(encoding="utf-8")))
    first = attributes(steps[2])
    call = first["gen_ai.output.messages"][0]["parts"][0]
    assert (
        call["type"] == "tool_call"
        and call["name"] == "get_weather"
        and call["arguments"] == {"city": "Paris"}
    )
    assert attributes(steps[3])["gen_ai.tool.call.id"] == call["id"]
    assert attributes(steps[4])["gen_ai.output.messages"][0]["parts"][0]["content"].startswith(
        "Yes: light rain"
    )
    failed = steps[5]
    assert failed["status"]["code"] == 2 and "roles must alternate" in failed["status"]["message"]
    assert attributes(failed)["error.type"] == "BadRequestError"


def test_export_to_stdout_and_file_match(tmp_path: Path) -> None:
    import subprocess
    import sys

    trace_file = travel_trace_file(tmp_path)
    stdout = subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", str(trace_file), "-f", "otlp-json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stdout.returncode == 0, stdout.stderr
    written = export_trace(open_trace(trace_file), "otlp-json", tmp_path / "t.json")
    assert json.loads(stdout.stdout) == json.loads(written.read_text(encoding="utf-8"))


def test_responses_and_anthropic_answers_map_to_semconv_parts(tmp_path: Path) -> None:
    from tests.exporters.traces import provider_mix_records, write_records

    document = to_otlp_json(open_trace(write_records(tmp_path / "mix.jsonl", provider_mix_records())))
    assert {span["traceId"] for span in spans(document)} == {
        "0af7651916cd43dd8448eb211c80319c"
    }  # already an OTel id
    assert by_step(document)[1]["spanId"] == "a1b2c3d4e5f60718"
    responses = attributes(by_step(document)[1])
    assert responses["gen_ai.system_instructions"] == [{"type": "text", "content": "Answer briefly."}]
    assert responses["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Oslo?"}]}
    ]
    assert responses["gen_ai.output.messages"] == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Need the weather tool."},
                {
                    "type": "tool_call",
                    "id": "call_oslo",
                    "name": "get_weather",
                    "arguments": {"city": "Oslo"},
                },
            ],
            "finish_reason": "tool_call",
        }
    ]
    assert (
        responses["gen_ai.request.max_tokens"] == 300
        and responses["gen_ai.usage.reasoning.output_tokens"] == 10
    )
    claude = attributes(by_step(document)[2])
    assert claude["gen_ai.system_instructions"] == [{"type": "text", "content": "You plan trips."}]
    assert claude["gen_ai.response.finish_reasons"] == ["tool_use"]
    assert claude["gen_ai.request.stop_sequences"] == ["END"]
    assert [part["type"] for part in claude["gen_ai.output.messages"][0]["parts"]] == [
        "reasoning",
        "text",
        "tool_call",
    ]
    assert (
        claude["gen_ai.usage.cache_read.input_tokens"] == 12
        and claude["gen_ai.usage.cache_creation.input_tokens"] == 5
    )
    assert claude["agentdbg.origin"] == "patched"
    custom = by_step(document)[3]
    assert custom["name"] == "checkpoint" and "gen_ai.operation.name" not in attributes(custom)


def test_structured_and_scalar_attributes_follow_the_conventions(tmp_path: Path, travel: dict) -> None:
    from tests.exporters.traces import provider_mix_records, write_records

    mix = to_otlp_json(open_trace(write_records(tmp_path / "mix.jsonl", provider_mix_records())))
    sdk = to_otlp_json(open_trace(record_sdk_run(tmp_path / "sdk.jsonl")))
    assert assert_follows_semconv(travel) + assert_follows_semconv(mix) + assert_follows_semconv(sdk) >= 20


def test_export_is_a_valid_otlp_export_request(travel: dict) -> None:
    """Parsed strictly by the official OTLP protobuf classes, as a collector's OTLP/HTTP JSON receiver does."""
    import base64
    import copy

    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    document = copy.deepcopy(travel)
    for span in spans(document):  # OTLP/JSON ids are hex where protobuf's JSON mapping says base64
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    request = json_format.ParseDict(document, ExportTraceServiceRequest())  # unknown fields raise
    wire = ExportTraceServiceRequest.FromString(
        request.SerializeToString()
    )  # what an OTLP/HTTP protobuf exporter sends
    parsed = list(wire.resource_spans[0].scope_spans[0].spans)
    assert [span.trace_id.hex() for span in parsed] == [span["traceId"] for span in spans(travel)]
    assert [span.parent_span_id.hex() for span in parsed] == [
        span.get("parentSpanId", "") for span in spans(travel)
    ]
    chat = parsed[1]
    assert chat.name == "chat gpt-4o" and chat.kind == chat.SPAN_KIND_CLIENT
    assert chat.start_time_unix_nano == 1764150000100000000
    values = {kv.key: kv.value for kv in chat.attributes}
    assert values["gen_ai.usage.input_tokens"].int_value == 82
    first_message = values["gen_ai.input.messages"].array_value.values[0].kvlist_value.values
    assert {kv.key: kv.value.string_value for kv in first_message if kv.key == "role"} == {"role": "system"}
    failed = parsed[5]
    assert failed.status.code == failed.status.STATUS_CODE_ERROR and failed.events[0].name == "exception"
