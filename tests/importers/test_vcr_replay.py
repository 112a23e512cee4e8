"""A cassette's llm step is replayable: agentdbg replay re-sends the recorded request through the real SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
from tests.importers.corpus import CORPUS

CASSETTE = CORPUS / "cassettes/pydantic-ai_anthropic_tool_with_thinking.yaml"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


def test_replay_resends_the_recorded_request(tmp_path: Path) -> None:
    recorded = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))["interactions"][1]["request"][
        "parsed_body"
    ]
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("The largest city in Mexico is Mexico City."))
        result = CliRunner().invoke(
            app,
            ["replay", str(CASSETTE), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)],
        )
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    assert len(sent) == 1
    assert sent[0]["messages"] == recorded["messages"]
    assert sent[0]["model"] == recorded["model"] and sent[0]["tools"] == recorded["tools"]
    assert sent[0]["thinking"] == recorded["thinking"]
    forked = read_trace(fork)
    assert "Mexico City" in json.dumps(forked.llm_spans[-1].output)


def test_replay_from_the_first_call_answers_the_tool_from_the_cassette(tmp_path: Path) -> None:
    """The tool step rebuilt from the next request lets replay reuse the recorded result (origin: cached)."""
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(tool_call_reply("get_user_country", {}))
        server.enqueue(reply("Mexico City."))
        result = CliRunner().invoke(
            app,
            ["replay", str(CASSETTE), "--from", "first-llm", "--base-url", server.base_url, "-o", str(fork)],
        )
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    assert len(sent) == 2
    tool_results = [
        b
        for m in sent[1]["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result"
    ]
    assert [b["content"] for b in tool_results][-1] in ("Mexico", [{"type": "text", "text": "Mexico"}])
    forked = read_trace(fork)
    assert [s.origin for s in forked.tool_spans] == ["cached"]
