"""inspect_ai logs (.json from the corpus, .eval zipped here from the same log): counts from the raw JSON."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import CORPUS, errors

BROWSER = CORPUS / "inspect_ai/2025-05-12T20-27-36-04-00_browser.json"
TOOL_ERRORS = CORPUS / "inspect_ai/log_tool_call_error.json"


def _walk_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk_strings(v)]
    return []


def _eval_zip(log: dict, path: Path) -> Path:
    """The same log in inspect's zipped .eval layout: header.json + samples/<id>_epoch_<n>.json."""
    header = {k: v for k, v in log.items() if k != "samples"}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", json.dumps(header))
        for sample in log["samples"]:
            archive.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", json.dumps(sample))
        archive.writestr("summaries.json", "[]")
    return path


def _check_browser(trace_path: Path) -> None:
    log = json.loads(BROWSER.read_text(encoding="utf-8"))
    events = [e for s in log["samples"] for e in s["events"]]
    model_events = [e for e in events if e["event"] == "model"]
    tool_events = [e for e in events if e["event"] == "tool"]
    usage = log["stats"]["model_usage"]["openai/gpt-4o-mini"]

    trace = open_trace(trace_path)
    assert trace.format == "inspect-ai"
    assert len(trace.llm_spans) == len(model_events) == 5
    assert [s.tool.call_id for s in trace.tool_spans] == [e["id"] for e in tool_events]
    assert len(errors(trace)) == sum(1 for e in tool_events if e.get("error")) == 0
    assert (
        trace.totals()["input_tokens"]
        == sum(e["output"]["usage"]["input_tokens"] for e in model_events)
        == usage["input_tokens"]
    )
    assert trace.totals()["output_tokens"] == usage["output_tokens"]
    for span in trace.llm_spans:  # attachment:// references resolved everywhere
        assert not any(s.startswith("attachment://") for s in _walk_strings([span.input, span.output]))
        assert span.llm.replayable is True  # call.request is the provider request as sent
        assert span.input["request"]["model"] == "gpt-4o-mini"
    first = trace.llm_spans[0].llm
    assert first.prompt[0].text.startswith("Use the web browser tool")
    assert first.tool_calls[0].name == "web_browser_go"
    samples = [s for s in trace.spans if s.name.startswith("sample ")]
    assert len(samples) == len(log["samples"])
    solver = next(s for s in trace.spans if s.name == "solver: generate")
    assert all(s.parent_id == solver.id for s in trace.llm_spans + trace.tool_spans)


def test_browser_json_log() -> None:
    _check_browser(BROWSER)


def test_zipped_eval_log(tmp_path: Path) -> None:
    path = _eval_zip(json.loads(BROWSER.read_text(encoding="utf-8")), tmp_path / "run.eval")
    assert detect_format(path) == "inspect-ai"
    _check_browser(path)


def test_tool_messages_with_every_error_type() -> None:
    log = json.loads(TOOL_ERRORS.read_text(encoding="utf-8"))
    messages = [m for s in log["samples"] for m in s["messages"]]
    tool_messages = [m for m in messages if m["role"] == "tool"]

    trace = open_trace(TOOL_ERRORS)
    assert len(trace.tool_spans) == len(tool_messages) == 11
    assert [s.error.type for s in trace.tool_spans] == [m["error"]["type"] for m in tool_messages]
    assert len(errors(trace)) == sum(1 for m in tool_messages if m.get("error"))
    assert trace.totals()["input_tokens"] == sum(
        u["input_tokens"] for u in log["stats"]["model_usage"].values()
    )


def test_broken_zip_and_bad_sample_are_problems(tmp_path: Path) -> None:
    good = _eval_zip(json.loads(BROWSER.read_text(encoding="utf-8")), tmp_path / "ok.eval")
    cut = tmp_path / "cut.eval"
    cut.write_bytes(good.read_bytes()[:2000])
    trace = open_trace(cut)
    assert trace.format == "inspect-ai" and trace.problems and trace.problems[0].severity == "error"
    odd = tmp_path / "odd.eval"
    with zipfile.ZipFile(odd, "w") as archive:
        archive.writestr("header.json", json.dumps({"version": 2, "eval": {"task": "t"}, "status": "error"}))
        archive.writestr("samples/1_epoch_1.json", "{broken")
        archive.writestr(
            "samples/2_epoch_1.json", json.dumps({"id": 2, "epoch": 1, "events": [3, {"event": "mystery"}]})
        )
    trace = open_trace(odd)
    text = " | ".join(p.message for p in trace.problems)
    assert (
        "samples/1_epoch_1.json" in text
        and "not an object" in text
        and "kept 1 unknown record(s) of type event mystery" in text
    )
    assert trace.roots[0].error is not None  # log status "error"


@pytest.mark.parametrize(
    "content",
    [
        '{"version": 2, "eval": {}, "plan": {}, "samples": "no"}',
        '{"version": 2, "eval": 5, "plan": 1, "samples": [{"id": 1, "events": "x", "messages": [7, {"role": "tool"}]}]}',
    ],
)
def test_wrong_types_do_not_crash(tmp_path: Path, content: str) -> None:
    path = tmp_path / "log.json"
    path.write_text(content, encoding="utf-8")
    trace = open_trace(path, format="inspect-ai")
    assert trace.format == "inspect-ai"


def test_model_calls_with_call_request_replay_through_the_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inspect keeps the provider request as sent (``call.request``): replay re-sends it, tools answered from the log."""
    from typer.testing import CliRunner

    from agentdbg.cli import app
    from agentdbg.store.reader import read_trace
    from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    log = json.loads(BROWSER.read_text(encoding="utf-8"))
    model_events = [e for s in log["samples"] for e in s["events"] if e["event"] == "model"]
    attachments = log["samples"][0]["attachments"]
    recorded = model_events[0]["call"]["request"]
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(tool_call_reply("web_browser_go", {"url": "https://www.aisi.gov.uk/"}))
        server.enqueue(reply("AISI researches AI security."))
        result = CliRunner().invoke(
            app,
            [
                "replay",
                str(BROWSER),
                "--from",
                "first-llm",
                "--base-url",
                server.base_url + "/v1",
                "-o",
                str(fork),
            ],
        )
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    first_user = recorded["messages"][0]["content"]
    assert sent[0]["messages"][0]["content"] == attachments[first_user.removeprefix("attachment://")]
    assert sent[0]["model"] == recorded["model"] and [t["function"]["name"] for t in sent[0]["tools"]] == [
        t["function"]["name"] for t in recorded["tools"]
    ]
    assert sent[1]["messages"][-1]["role"] == "tool"  # the recorded browser result, reused
    assert [s.origin for s in read_trace(fork).tool_spans] == ["cached"]
