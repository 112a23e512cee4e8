"""More real sessions of other versions (tests/importers/data/MANIFEST.tsv): Claude Code 2.1.7 through Bedrock
(``msg_bdrk_``/``toolu_bdrk_`` ids) with a sub-agent file, and a Codex Desktop 0.104 rollout whose arguments
and outputs the source repository redacted (arguments that are not JSON)."""

from __future__ import annotations

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, descendants, jsonl

CLAUDE_BEDROCK = DATA / "claude_code_2x" / "codemie_2.1.7" / "turn-2.jsonl"
CODEX_DESKTOP = DATA / "codex" / "localpush_codex_desktop_0.104_excerpt.jsonl"


def test_claude_code_bedrock_session_with_sub_agent() -> None:
    trace = open_trace(CLAUDE_BEDROCK)
    assert detect_format(CLAUDE_BEDROCK) == "claude-code"
    main = [s for s in trace.spans if s.kind == "llm" and s.parent_id == trace.roots[0].id]
    # two API responses, each split over several lines: merged by message.id, usage counted once
    assert [s.output["id"] for s in main] == [
        "msg_bdrk_01VM4thvLD5XPnExh4wMDu8Z",
        "msg_bdrk_01H6rnyXXn1Fox3wgvYzMBaE",
    ]
    assert main[0].usage is not None and main[0].usage.output_tokens == 511
    assert (main[0].usage.input_tokens, main[0].usage.cache_creation_input_tokens) == (10, 29367)
    task = next(s for s in trace.spans if s.kind == "tool" and s.name == "Task")
    assert task.input["call_id"] == "toolu_bdrk_019PUUtqzQg8U5ogfuyQ7yLV"
    assert task.input["arguments"]["subagent_type"] == "solution-architect"
    assert "agentId: a485154" in str(task.output)
    nested = descendants(trace, task)
    sub_tools = sorted(s.name for s in nested if s.kind == "tool")
    assert sub_tools == ["Glob", "Glob", "Read", "Read"]  # from subagents/agent-a485154.jsonl
    assert all(not s.ended for s in nested if s.kind == "tool")  # their results are past the excerpt's end
    bash = next(s for s in trace.spans if s.name == "Bash")
    assert bash.error is None and "tech-spec-remove-codex-deepagent.md" in str(bash.output)


def test_codex_desktop_rollout_with_redacted_arguments() -> None:
    records = jsonl(CODEX_DESKTOP)
    calls = [r["payload"] for r in records if r["payload"].get("type") == "function_call"]
    trace = open_trace(CODEX_DESKTOP)
    assert detect_format(CODEX_DESKTOP) == "codex" and trace.problems == []
    tools = [s for s in trace.spans if s.kind == "tool"]
    assert [s.input["call_id"] for s in tools] == [c["call_id"] for c in calls]
    # arguments that are not JSON are kept as the text the file holds
    assert [s.input["arguments"] for s in tools] == [c["arguments"] for c in calls]
    assert all(s.ended and s.error is None and str(s.output).startswith("[REDACTED_OUTPUT") for s in tools)
    (llm,) = [s for s in trace.spans if s.kind == "llm"]
    assert llm.usage is not None
    assert (llm.usage.input_tokens, llm.usage.output_tokens, llm.usage.cached_input_tokens) == (
        17091,
        463,
        3456,
    )
    assert llm.attributes.get("model", llm.name) == "gpt-5.3-codex"
