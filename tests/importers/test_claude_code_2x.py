"""Claude Code CLI 2.x: sub-agent files beside the session, bookkeeping records, API errors, cache tokens.

The fixture is an excerpt of a real 2.1.39 session (whole lines, see data/MANIFEST.tsv): the Task call,
its ``agent_progress`` record and the first lines of ``subagents/agent-a2898e3.jsonl``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from agentdbg.importers import open_trace
from tests.importers.corpus import DATA, descendants, jsonl

SESSION = DATA / "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
AGENT = DATA / "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-a2898e3.jsonl"


def test_sub_agent_file_hangs_under_the_task_call_named_by_its_agent_progress_record() -> None:
    main, agent_records = jsonl(SESSION), jsonl(AGENT)
    progress = next(
        r for r in main if r.get("type") == "progress" and r["data"].get("type") == "agent_progress"
    )
    agent_messages = {r["message"]["id"] for r in agent_records if r["type"] == "assistant"}
    agent_tools = {
        b["id"]
        for r in agent_records
        if r["type"] == "assistant"
        for b in r["message"]["content"]
        if b["type"] == "tool_use"
    }

    trace = open_trace(SESSION)

    agent = trace.by_id[f"agent-{progress['data']['agentId']}"]
    assert agent.parent_id == progress["parentToolUseID"]
    assert trace.by_id[agent.parent_id].name == "Task"
    assert agent.attributes["matched_by"] == "agent id"
    assert agent.name == "sub-agent: Explore transcript rendering codebase"
    inside = descendants(trace, agent)
    assert {s.id for s in inside if s.kind == "llm"} == agent_messages
    assert {s.id for s in inside if s.kind == "tool"} == agent_tools
    assert agent.input["prompt"] == agent_records[0]["message"]["content"]


def test_bookkeeping_records_are_not_steps_and_counts_match_the_raw_files() -> None:
    records = jsonl(SESSION) + jsonl(AGENT)
    kinds = [r["type"] for r in records if r["type"] not in ("user", "assistant")]
    trace = open_trace(SESSION)
    assert not [s for s in trace.spans if s.kind == "custom"]
    counted = trace.roots[0].attributes["other_records"]
    assert sum(counted.values()) == len(kinds)
    assert counted == {k: kinds.count(k) for k in set(kinds)}
    message_ids = {r["message"]["id"] for r in records if r["type"] == "assistant"}
    assert {s.id for s in trace.llm_spans} == message_ids


def test_cached_input_tokens_are_kept_apart_and_in_the_total_read() -> None:
    from agentdbg.model.usage import input_incl_cache

    records = jsonl(SESSION) + jsonl(AGENT)
    last = {r["message"]["id"]: r["message"]["usage"] for r in records if r["type"] == "assistant"}
    trace = open_trace(SESSION)
    for span in trace.llm_spans:
        raw = last[span.id]
        assert span.usage.input_tokens == raw["input_tokens"]
        assert span.usage.cached_input_tokens == raw["cache_read_input_tokens"]
        assert span.usage.cache_creation_input_tokens == raw["cache_creation_input_tokens"]
        total = raw["input_tokens"] + raw["cache_read_input_tokens"] + raw["cache_creation_input_tokens"]
        assert input_incl_cache(span.usage) == total
    assert trace.totals()["input_tokens"] == sum(
        u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
        for u in last.values()
    )
    assert trace.totals()["cached_input_tokens"] == sum(u["cache_read_input_tokens"] for u in last.values())


def test_api_error_and_compaction_system_records_are_steps(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(SESSION.parent, folder)
    session = folder / SESSION.name
    base = jsonl(SESSION)[-1]
    extra = [
        {
            **{k: base[k] for k in ("sessionId", "version", "cwd")},
            "type": "system",
            "subtype": "api_error",
            "level": "error",
            "error": {"status": 529, "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "retryAttempt": 1,
            "maxRetries": 10,
            "uuid": "sys-1",
            "timestamp": "2026-02-12T16:03:00.000Z",
        },
        {
            **{k: base[k] for k in ("sessionId", "version", "cwd")},
            "type": "system",
            "subtype": "compact_boundary",
            "content": "Conversation compacted",
            "compactMetadata": {"trigger": "auto", "preTokens": 160000},
            "uuid": "sys-2",
            "timestamp": "2026-02-12T16:04:00.000Z",
        },
        {"type": "system", "subtype": "turn_duration", "durationMs": 1200, "uuid": "sys-3"},
    ]
    with open(session, "a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in extra))

    trace = open_trace(session)

    error = trace.by_id["sys-1"]
    assert error.error.type == "api_error"
    assert error.error.message == "Overloaded (attempt 1 of 10)"
    assert trace.by_id["sys-2"].name == "context compacted" and trace.by_id["sys-2"].error is None
    assert "sys-3" not in trace.by_id
    assert trace.roots[0].attributes["other_records"]["system.turn_duration"] == 1


def test_cli_2_0_agent_files_next_to_the_session_are_found_by_session_id(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(SESSION, project / SESSION.name)
    shutil.copy(AGENT, project / AGENT.name)  # the 2.0 layout: agent-<id>.jsonl beside <session>.jsonl
    other = jsonl(AGENT)
    for record in other:
        record["sessionId"] = "another-session"
    (project / "agent-elsewhere.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in other), encoding="utf-8"
    )

    trace = open_trace(project / SESSION.name)

    agents = [s for s in trace.spans if s.id.startswith("agent-")]
    assert [a.attributes["source_file"] for a in agents] == [str(project / AGENT.name)]
    assert trace.by_id[agents[0].parent_id].name == "Task"


def test_retries_of_one_failed_call_are_one_error_step(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(SESSION.parent, folder)
    session = folder / SESSION.name
    base = {k: jsonl(SESSION)[-1][k] for k in ("sessionId", "version", "cwd")}
    retries = [
        {
            **base,
            "type": "system",
            "subtype": "api_error",
            "level": "error",
            "error": {"status": 529, "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "retryAttempt": n,
            "maxRetries": 10,
            "uuid": f"retry-{n}",
            "timestamp": f"2026-02-12T16:03:0{n}.000Z",
        }
        for n in (1, 2, 3)
    ]
    with open(session, "a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in retries))

    trace = open_trace(session)

    steps = [s for s in trace.spans if s.name == "claude-code api_error"]
    assert len(steps) == 1 and steps[0].attributes["attempts"] == [1, 2, 3]
    assert steps[0].error.message == "Overloaded (attempt 3 of 10)"
