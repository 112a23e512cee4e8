"""Exports of a run that re-sends its history: each message converted once, written once per step, masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentdbg.exporters import export_trace, render_trace
from agentdbg.importers import open_trace
from agentdbg.wire import openai_chat
from tests.conftest import scan_for_secrets
from tests.exporters.otlp_helpers import attributes, spans
from tests.exporters.traces import write_records

# Built from pieces so this source file itself holds no key-shaped literal.
KEY = "sk-" + "proj-" + "Q7w8E9r0T1y2U3i4O5p6A7s8"


def tools(description: str = "look things up") -> list[dict[str, Any]]:
    parameters = {"type": "object", "properties": {"q": {"type": "string"}}}
    return [{"type": "function", "function": {"name": "lookup", "description": description, "parameters": parameters}}]


def growing_run(
    calls: int, system: str = "You are a careful agent.", offered: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """``calls`` llm steps (each re-sending the whole history, as an agent does) with a tool step between."""
    records: list[dict[str, Any]] = [
        {"type": "trace", "schema_version": 1, "trace_id": "grow", "name": "grow", "started_at": 1.0e9}
    ]
    history: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": "go"}]
    clock = 1.0e9
    for n in range(calls):
        call = {"id": f"call_{n}", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
        answer = {"role": "assistant", "content": f"step {n}", "tool_calls": [call]}
        request = {"model": "gpt-4o", "messages": list(history), "tools": offered or tools()}
        records.append(
            {
                "type": "span",
                "id": f"l{n}",
                "kind": "llm",
                "name": "chat",
                "started_at": clock,
                "ended_at": clock + 0.5,
                "input": {"provider": "openai", "api": "chat.completions", "request": request},
                "output": {"id": f"r{n}", "model": "gpt-4o", "choices": [{"finish_reason": "tool_calls", "message": answer}]},
            }
        )
        records.append(
            {
                "type": "span",
                "id": f"t{n}",
                "kind": "tool",
                "name": "lookup",
                "started_at": clock + 0.5,
                "ended_at": clock + 0.6,
                "input": {"name": "lookup", "arguments": {"q": "x"}, "call_id": f"call_{n}"},
                "output": f"result {n}",
            }
        )
        history += [answer, {"role": "tool", "tool_call_id": f"call_{n}", "content": f"result {n}"}]
        clock += 1
    return records


@pytest.mark.parametrize("format", ["otlp-json", "html"])
def test_each_distinct_message_is_converted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, format: str) -> None:
    """A 60-call run re-sends ~3,600 messages in all; the exporter converts each distinct one once (not per step)."""
    calls = 60
    trace = open_trace(write_records(tmp_path / "grow.jsonl", growing_run(calls)), lazy=True)
    converted = 0
    original = openai_chat._message

    def counting(raw: Any) -> dict[str, Any]:
        nonlocal converted
        converted += 1
        return original(raw)

    monkeypatch.setattr(openai_chat, "_message", counting)
    render_trace(trace, format, None if format == "otlp-json" else _no_findings)
    sent = sum(2 + 2 * n for n in range(calls))  # messages in all requests: quadratic in the run
    distinct = 2 + 2 * calls  # system, user, then an answer and a tool result per call
    assert sent > 3_000
    assert converted <= distinct + calls  # + each response's answer, converted for its own step


def _no_findings(trace: Any) -> str:
    from agentdbg.exporters.html import page_chunks

    return "".join(page_chunks(trace, findings=[]))


def test_otlp_writes_the_history_once_per_step_and_imports_back(tmp_path: Path) -> None:
    """The history is in ``gen_ai.input.messages`` of each step (the conventions' place) and not again as
    ``agentdbg.input``, which refers to the earlier request it extends; the import rebuilds the exact input."""
    calls = 12
    marker = "SYSTEM-PROMPT-MARKER"
    source = write_records(tmp_path / "grow.jsonl", growing_run(calls, system=marker))
    out = export_trace(open_trace(source), "otlp-json", tmp_path / "grow.otlp.json")
    text = out.read_text(encoding="utf-8")
    assert text.count(marker) == calls + 1  # once per step's input messages, once in the first agentdbg.input
    llm = [attributes(span) for span in spans(json.loads(text)) if attributes(span)["agentdbg.kind"] == "llm"]
    assert "agentdbg.request_ref" not in llm[0]
    assert all(json.loads(attrs["agentdbg.request_ref"])["keys"]["messages"] > 0 for attrs in llm[1:])
    original, imported = open_trace(source), open_trace(out)
    assert imported.problems == []
    assert [s.input for s in imported.spans] == [s.input for s in original.spans]
    assert [s.output for s in imported.spans] == [s.output for s in original.spans]


def test_otlp_import_of_a_step_whose_base_is_gone_says_so(tmp_path: Path) -> None:
    """A backend that dropped the step a request refers to: the import warns, naming the span, and keeps the rest."""
    source = write_records(tmp_path / "grow.jsonl", growing_run(3))
    out = export_trace(open_trace(source), "otlp-json", tmp_path / "grow.otlp.json")
    document = json.loads(out.read_text(encoding="utf-8"))
    scope = document["resourceSpans"][0]["scopeSpans"][0]
    scope["spans"] = [span for span in scope["spans"] if attributes(span)["agentdbg.span_id"] != "l0"]
    cut = tmp_path / "cut.otlp.json"
    cut.write_text(json.dumps(document), encoding="utf-8")
    imported = open_trace(cut)
    assert len(imported.spans) == 5
    assert any("l1" in p.message and "request_ref" in p.message for p in imported.problems)


@pytest.mark.writes_secrets(reason="the input trace deliberately quotes a key; the exports are scanned")
@pytest.mark.parametrize("format", ["otlp-json", "html"])
def test_a_key_in_a_resent_message_or_a_tool_definition_never_reaches_the_export(tmp_path: Path, format: str) -> None:
    """What is encoded once and reused (history items, tool definitions) is masked as everything else is."""
    source = write_records(tmp_path / "leaky.jsonl", growing_run(8, f"use {KEY} for the api", tools(f"the service key is {KEY}")))
    assert scan_for_secrets(tmp_path), "the input must really hold the key for this test to mean anything"
    out = tmp_path / "out"
    path = export_trace(open_trace(source, lazy=True), format, out / f"export.{format}")
    assert scan_for_secrets(out) == []
    shown = path.read_text(encoding="utf-8").count("sk-proj-[REDACTED]")
    assert shown >= (8 * 2 if format == "otlp-json" else 2)  # the page writes a repeated value once


def test_an_output_that_is_a_fifo_is_written_in_place_not_replaced(tmp_path) -> None:
    """``-o /dev/null`` or a FIFO: the export writes into it; replacing it (as root) clobbered /dev/null."""
    import os
    import stat
    import subprocess
    import sys
    import threading

    fifo = tmp_path / "out.fifo"
    sample = Path(__file__).resolve().parents[2] / "sample_traces" / "03_tool_loop.jsonl"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", str(sample), "-f", "otlp-json", "-o", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and b"resourceSpans" in received[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]  # no temporary file left beside it
