"""llm steps of Claude Code, Codex and Gemini CLI sessions fork with the built-in engine.

The request is rebuilt from the session file; ``replay --dry-run`` prints it and a real fork sends it
through the official SDK to FakeLLMServer. Steps that cannot be re-sent say why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply
from tests.importers.corpus import CORPUS, DATA, jsonl

CLAUDE = DATA / "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
CODEX = CORPUS / "codex/kvsankar_real_session-01_redacted.jsonl"
GEMINI = DATA / "gemini_cli/gemini_with_tool_error.jsonl"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC", "OPENAI"):
        monkeypatch.setenv(f"{name}_API_KEY", "test-key")
        monkeypatch.delenv(f"{name}_BASE_URL", raising=False)


def _dry_run(path: Path, step: str) -> dict:
    result = CliRunner().invoke(app, ["replay", str(path), "--from", step, "--dry-run"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{") :])


def test_claude_code_step_rebuilt_as_a_messages_request() -> None:
    records = jsonl(CLAUDE)
    prompt = next(r for r in records if r["type"] == "user")["message"]["content"]
    planned = _dry_run(CLAUDE, "step-2")
    assert planned["api"] == "anthropic.messages"
    assert planned["request"]["model"] == "claude-opus-4-6"
    assert planned["request"]["messages"] == [{"role": "user", "content": prompt}]
    assert any("system prompt and tool definitions are not in the file" in n for n in planned["notes"])


def test_codex_step_rebuilt_as_a_responses_request_with_the_session_instructions() -> None:
    records = jsonl(CODEX)
    meta = records[0]["payload"]
    items = [
        r["payload"]
        for r in records
        if r["type"] == "response_item" and r["payload"].get("role") != "assistant"
    ]
    planned = _dry_run(CODEX, "first-llm")
    assert planned["api"] == "openai.responses"
    assert planned["request"]["instructions"] == meta["base_instructions"]["text"]
    assert [i.get("role") for i in planned["request"]["input"]] == [i.get("role") for i in items]


def test_gemini_step_rebuilt_as_a_chat_request() -> None:
    planned = _dry_run(GEMINI, "step-4")  # the second answer, after a tool call and its result
    messages = planned["request"]["messages"]
    assert planned["api"] == "openai.chat.completions" and planned["request"]["model"] == "gemini-2.5-pro"
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "user"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "edit_file"


@pytest.mark.parametrize(
    ("path", "step", "queue_reply"),
    [(CLAUDE, "step-2", "anthropic"), (CODEX, "first-llm", "responses"), (GEMINI, "step-4", "chat")],
    ids=["claude-code", "codex", "gemini-cli"],
)
def test_fork_sends_the_rebuilt_request_through_the_sdk(
    tmp_path: Path, path: Path, step: str, queue_reply: str
) -> None:
    planned = _dry_run(path, step)["request"]
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("A different answer."))
        result = CliRunner().invoke(
            app,
            [
                "replay",
                str(path),
                "--from",
                step,
                "--base-url",
                server.base_url,
                "-o",
                str(fork),
                "--max-steps",
                "1",
            ],
        )
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    assert len(sent) == 1
    key = "input" if queue_reply == "responses" else "messages"
    assert sent[0][key] == planned[key] and sent[0]["model"] == planned["model"]
    forked = read_trace(fork)
    assert "A different answer." in json.dumps(forked.llm_spans[-1].output)


def test_steps_that_cannot_be_re_sent_say_why() -> None:
    aider = DATA / "aider/web_portfolio/.aider.chat.history.md"
    result = CliRunner().invoke(app, ["replay", str(aider), "--from", "first-llm", "--dry-run"])
    assert result.exit_code == 2
    assert "cannot be re-sent: the chat history shows what was said" in result.output
