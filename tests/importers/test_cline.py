"""Cline / Roo Code task files: counts checked against the raw JSON with plain json."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors

HISTORY = DATA / "cline/1769053680585/api_conversation_history.json"
UI = DATA / "cline/jeehunter/ui_messages.json"


def test_native_tool_calls_text_results_and_tokens_match_the_history() -> None:
    messages = json.loads(HISTORY.read_text(encoding="utf-8"))
    answers = [m for m in messages if m["role"] == "assistant"]
    uses = [b for m in answers for b in m["content"] if b["type"] == "tool_use"]
    results = [
        b["text"]
        for m in messages
        if m["role"] == "user"
        for b in m["content"]
        if re.match(r"\[\w+ for '", b.get("text", ""))
    ]

    trace = open_trace(HISTORY)

    assert detect_format(HISTORY) == "cline"
    assert len(trace.llm_spans) == len(answers)
    assert [s.id for s in trace.tool_spans] == [b["id"] for b in uses]
    assert [s.tool.arguments for s in trace.tool_spans] == [b["input"] for b in uses]
    assert all(s.ended for s in trace.tool_spans) and len(results) == len(uses)
    assert [s.output for s in trace.tool_spans] == [r.split("] Result:", 1)[1].strip() for r in results]
    tokens = [m["metrics"]["tokens"] for m in answers]
    assert trace.totals()["input_tokens"] == sum(t["prompt"] + t["cached"] for t in tokens)
    assert trace.totals()["cached_input_tokens"] == sum(t["cached"] for t in tokens)
    assert trace.totals()["output_tokens"] == sum(t["completion"] for t in tokens)
    assert {s.name for s in trace.llm_spans} == {answers[0]["modelInfo"]["modelId"]}
    assert all(s.attributes["replayable"] is False for s in trace.llm_spans)
    assert errors(trace) == []


def test_ui_messages_alone_give_the_requests_and_their_tokens() -> None:
    entries = json.loads(UI.read_text(encoding="utf-8"))
    requests = [json.loads(e["text"]) for e in entries if e.get("say") == "api_req_started"]
    tools = [json.loads(e["text"]) for e in entries if e.get("say") == "tool"]

    trace = open_trace(UI)

    assert detect_format(UI) == "cline"
    assert len(trace.llm_spans) == len(requests)
    assert [s.usage.output_tokens for s in trace.llm_spans] == [r["tokensOut"] for r in requests]
    assert trace.totals()["input_tokens"] == sum(
        r["tokensIn"] + r["cacheReads"] + r["cacheWrites"] for r in requests
    )
    assert [s.name for s in trace.tool_spans] == [t["tool"] for t in tools]


def test_ui_messages_beside_the_history_give_its_tokens(tmp_path: Path) -> None:
    task = tmp_path / "tasks" / "1769053680585"
    task.mkdir(parents=True)
    shutil.copy(HISTORY, task / HISTORY.name)
    shutil.copy(UI, task / "ui_messages.json")
    first = json.loads(
        next(
            e["text"] for e in json.loads(UI.read_text(encoding="utf-8")) if e.get("say") == "api_req_started"
        )
    )

    trace = open_trace(task / HISTORY.name)

    step = trace.llm_spans[0]
    assert (
        step.usage.output_tokens == first["tokensOut"]
        and step.usage.cache_creation_input_tokens == first["cacheWrites"]
    )
    assert any("1 api requests for 3 answers" in p.message for p in trace.problems)


def test_xml_tool_calls_of_roo_code_and_older_cline(tmp_path: Path) -> None:
    history = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "<task>\nfix the parser\n</task>"}],
            "ts": 1760000000000,
        },
        {
            "role": "assistant",
            "content": [
                {
                    "type": "text",
                    "text": "Reading it.\n\n<read_file>\n<path>src/parse.py</path>\n</read_file>",
                }
            ],
            "ts": 1760000005000,
        },
        {
            "role": "user",
            "content": [{"type": "text", "text": "[read_file for 'src/parse.py'] Result:\ndef parse(): ..."}],
        },
        {
            "role": "assistant",
            "content": [
                {
                    "type": "text",
                    "text": "<execute_command>\n<command>pytest -q</command>\n</execute_command>",
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "[execute_command for 'pytest -q'] Result:\nThe tool execution failed with the following error:\n<error>\nexit 1\n</error>",
                }
            ],
        },
    ]
    path = tmp_path / "api_conversation_history.json"
    path.write_text(json.dumps(history), encoding="utf-8")

    trace = open_trace(path)

    assert [(s.name, s.tool.arguments) for s in trace.tool_spans] == [
        ("read_file", {"path": "src/parse.py"}),
        ("execute_command", {"command": "pytest -q"}),
    ]
    assert trace.tool_spans[0].output == "def parse(): ..."
    assert [s.name for s in errors(trace)] == ["execute_command"]
