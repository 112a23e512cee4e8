"""Claude Code transcripts: counts checked against the raw JSONL, parsed here with plain json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, descendants, errors, jsonl

FILES = sorted((CORPUS / "claude_code").glob("*.jsonl"))


def _blocks(record: dict) -> list:
    content = (record.get("message") or {}).get("content")
    return content if isinstance(content, list) else []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:12])
def test_steps_tool_calls_errors_and_tokens_match_the_source(path: Path) -> None:
    records = jsonl(path)
    assistant = [r for r in records if r.get("type") == "assistant"]
    message_ids = {r["message"]["id"] for r in assistant}
    tool_uses = [b for r in assistant for b in _blocks(r) if b.get("type") == "tool_use"]
    tool_results = [
        b for r in records if r.get("type") == "user" for b in _blocks(r) if b.get("type") == "tool_result"
    ]
    error_results = [b for b in tool_results if b.get("is_error")]
    last_usage = {
        r["message"]["id"]: r["message"]["usage"] for r in assistant
    }  # the last line of a split response wins
    input_tokens = sum(u["input_tokens"] for u in last_usage.values())
    output_tokens = sum(u["output_tokens"] for u in last_usage.values())

    trace = open_trace(path)

    assert trace.format == "claude-code"
    assert len(trace.llm_spans) == len(message_ids)
    assert {s.id for s in trace.llm_spans} == message_ids
    assert len(trace.tool_spans) == len(tool_uses)
    assert {s.tool.call_id for s in trace.tool_spans} == {b["id"] for b in tool_uses}
    assert all(s.ended for s in trace.tool_spans)  # every tool_use has its tool_result
    assert len(tool_results) == len(tool_uses)
    assert len(errors(trace)) == len(error_results)
    assert {s.id for s in errors(trace)} == {b["tool_use_id"] for b in error_results}
    assert sum(s.usage.input_tokens for s in trace.llm_spans) == input_tokens
    assert sum(s.usage.output_tokens for s in trace.llm_spans) == output_tokens
    assert trace.totals()["output_tokens"] == output_tokens


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:12])
def test_tool_results_pair_by_tool_use_id_not_parent_uuid(path: Path) -> None:
    records = jsonl(path)
    result_by_id = {
        b["tool_use_id"]: b
        for r in records
        if r.get("type") == "user"
        for b in _blocks(r)
        if b.get("type") == "tool_result"
    }
    trace = open_trace(path)
    for span in trace.tool_spans:
        assert span.output == result_by_id[span.id]["content"]


def test_split_responses_are_merged_into_one_step_with_all_blocks() -> None:
    path = CORPUS / "claude_code/ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
    records = jsonl(path)
    blocks_by_id: dict[str, list] = {}
    for r in records:
        if r.get("type") == "assistant":
            blocks_by_id.setdefault(r["message"]["id"], []).extend(_blocks(r))
    split = [mid for mid, blocks in blocks_by_id.items() if len(blocks) > 1]
    assert split, "the corpus file has split responses"
    trace = open_trace(path)
    for mid in split:
        step = trace.by_id[mid]
        assert step.output["content"] == blocks_by_id[mid]
        assert len(step.llm.tool_calls) == sum(1 for b in blocks_by_id[mid] if b.get("type") == "tool_use")


def test_sidechains_nest_under_their_task_call() -> None:
    path = CORPUS / "claude_code/ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
    records = jsonl(path)
    roots = [r for r in records if r.get("isSidechain") and r.get("parentUuid") is None]
    tasks = {
        b["input"]["prompt"].strip(): b["id"]
        for r in records
        if r.get("type") == "assistant"
        for b in _blocks(r)
        if b.get("type") == "tool_use" and b.get("name") == "Task"
    }
    side_ids = {r["message"]["id"] for r in records if r.get("type") == "assistant" and r.get("isSidechain")}
    main_ids = {
        r["message"]["id"] for r in records if r.get("type") == "assistant" and not r.get("isSidechain")
    }

    trace = open_trace(path)
    agents = [s for s in trace.spans if s.kind == "agent" and s.id.startswith("sidechain-")]
    assert len(agents) == len(roots) == 5
    for agent in agents:
        prompt = agent.input["prompt"]
        assert agent.parent_id == tasks[prompt]
        assert trace.by_id[agent.parent_id].name == "Task"
    nested_llm = {s.id for a in agents for s in descendants(trace, a) if s.kind == "llm"}
    assert nested_llm == side_ids
    session = trace.roots[0]
    top_llm = {s.id for s in trace.children_of(session) if s.kind == "llm"}
    assert top_llm == main_ids


def test_llm_request_is_the_history_so_far_in_anthropic_shape() -> None:
    path = CORPUS / "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"
    trace = open_trace(path)
    first, second = trace.llm_spans[0], trace.llm_spans[1]
    assert first.input["provider"] == "anthropic" and first.input["api"] == "messages"
    assert first.llm.replayable is True
    assert "system prompt and tool definitions are not in the file" in first.attributes["replay_note"]
    assert first.input["request"]["model"] == first.name and first.input["request"]["max_tokens"] > 0
    assert first.llm.prompt[0].role == "user"
    roles = [m["role"] for m in second.input["request"]["messages"]]
    assert roles == [
        r for i, r in enumerate(roles) if i == 0 or roles[i - 1] != r
    ]  # alternating, as the API requires
    answered = {m.tool_call_id for m in second.llm.prompt if m.role == "tool"}
    assert {c.id for c in first.llm.tool_calls} <= answered


def test_bookkeeping_records_are_counted_and_unknown_ones_kept_and_reported(tmp_path: Path) -> None:
    source = CORPUS / "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"
    snapshot = {
        "type": "file-history-snapshot",
        "messageId": "m1",
        "snapshot": {"files": 3},
        "sessionId": "x",
    }
    novel = {"type": "brand-new-kind", "sessionId": "x", "value": 1}
    path = tmp_path / "session.jsonl"
    path.write_text(
        source.read_text(encoding="utf-8")
        + "".join(json.dumps(r) + "\n" for r in (snapshot, snapshot, novel)),
        encoding="utf-8",
    )
    trace = open_trace(path)
    assert [s for s in trace.spans if s.kind == "custom"] == []  # no step per bookkeeping record
    session = trace.roots[0]
    assert session.attributes["other_records"] == {"brand-new-kind": 1, "file-history-snapshot": 2}
    assert session.attributes["unknown_records"] == [novel]
    assert [p.message for p in trace.problems] == [
        "kept 1 unknown record(s) of type brand-new-kind (raw JSON in the step attributes)"
    ]


def test_bad_lines_become_problems_and_the_rest_loads(tmp_path: Path) -> None:
    lines = (
        (CORPUS / "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    lines.insert(3, "{not json")
    lines.insert(5, '{"type": "assistant", "message": 5, "uuid": "u"}')
    lines.insert(6, "[1, 2]")
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines)[:-40], encoding="utf-8")  # and a truncated last line
    trace = open_trace(path, format="claude-code")
    messages = " | ".join(p.message for p in trace.problems)
    assert (
        "not valid JSON" in messages
        and "unexpected shape" in messages
        and "expected a JSON object" in messages
    )
    assert "truncated last line" in messages
    assert len(trace.llm_spans) >= 6


def test_synthetic_api_error_messages_are_errors(tmp_path: Path) -> None:
    source = CORPUS / "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"
    last = jsonl(source)[-1]
    synthetic = {
        "parentUuid": last["uuid"],
        "isSidechain": False,
        "sessionId": last["sessionId"],
        "type": "assistant",
        "uuid": "synthetic-1",
        "timestamp": "2025-09-03T00:48:00.000Z",
        "isApiErrorMessage": True,
        "message": {
            "id": "synthetic-msg",
            "model": "<synthetic>",
            "role": "assistant",
            "type": "message",
            "content": [{"type": "text", "text": "API Error: 529 Overloaded"}],
            "usage": {"input_tokens": 0, "output_tokens": 0},
        },
    }
    path = tmp_path / "session.jsonl"
    path.write_text(source.read_text(encoding="utf-8") + json.dumps(synthetic) + "\n", encoding="utf-8")
    trace = open_trace(path)
    assert trace.by_id["synthetic-msg"].error.message == "API Error: 529 Overloaded"


def test_sidechain_with_a_rewritten_prompt_is_matched_by_timing(tmp_path: Path) -> None:
    source = CORPUS / "claude_code/ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
    records = jsonl(source)
    roots = [r for r in records if r.get("isSidechain") and r.get("parentUuid") is None]
    target = max(roots, key=lambda r: r["timestamp"])  # the last sub-agent started
    target["message"]["content"] = "(prompt rewritten by a newer CLI) " + target["message"]["content"]
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    trace = open_trace(path)
    agent = trace.by_id[f"sidechain-{target['uuid']}"]
    assert agent.attributes["matched_by"] == "timing"
    assert trace.by_id[agent.parent_id].name == "Task"
    matched = [s.parent_id for s in trace.spans if s.id.startswith("sidechain-")]
    assert len(set(matched)) == len(matched) == 5  # each Task call starts one sub-agent


def test_summary_and_meta_records_are_kept() -> None:
    path = CORPUS / "claude_code/ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
    records = jsonl(path)
    summaries = [r for r in records if r.get("type") == "summary"]
    meta = [r for r in records if r.get("isMeta")]
    trace = open_trace(path)
    assert trace.header.name == summaries[0]["summary"]
    assert trace.roots[0].attributes["summaries"] == [
        {"summary": r["summary"], "leafUuid": r["leafUuid"]} for r in summaries
    ]
    first_prompt = json.dumps(trace.llm_spans[0].input["request"]["messages"])
    assert all(
        json.dumps(m["message"]["content"])[1:60] in first_prompt for m in meta
    )  # meta text is part of the prompt
    assert trace.problems == []
