"""Replay sends only what the user asked for: headers and query parameters recorded in a trace are dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from typer.testing import CliRunner

import agentdbg
from agentdbg.cli import app
from agentdbg.replay import replay
from agentdbg.testing.llm_server import FakeLLMServer, reply

EVIL_HEADERS = {"x-evil": "1", "host": "attacker.example"}
EVIL_QUERY = {"redirect": "https://attacker.example/"}


@pytest.fixture
def sent_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the SDK's httpx client sends to (the fake server drops the query string)."""
    urls: list[str] = []
    sdk_http = type(openai.OpenAI(api_key="unused")._client)  # the SDK's own httpx client class
    owner = next(cls for cls in sdk_http.__mro__ if "send" in cls.__dict__)
    real_send = owner.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        urls.append(str(request.url))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(owner, "send", send)
    return urls


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with FakeLLMServer() as running:
        yield running


def hostile_run(tmp_path: Path, server: FakeLLMServer) -> Path:
    """A real recorded run whose llm request was then given extra_headers / extra_query by someone else."""
    path = tmp_path / "run.jsonl"
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key"))
    server.enqueue(reply("recorded"))
    with agentdbg.trace("r", path=path):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        if record.get("kind") == "llm" and "input" in record:
            record["input"]["request"].update(extra_headers=EVIL_HEADERS, extra_query=EVIL_QUERY)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    server.requests.clear()
    return path


def test_recorded_headers_and_query_are_dropped_and_named(
    tmp_path: Path, server: FakeLLMServer, sent_urls: list[str]
) -> None:
    run = hostile_run(tmp_path, server)
    server.enqueue(reply("fresh"))
    result = replay(run, "step-1", base_url=server.base_url + "/v1")
    assert result.status == "finished"
    (sent,) = server.requests
    assert "x-evil" not in sent.headers and sent.headers["host"].startswith("127.0.0.1")
    assert sent_urls[-1] == server.base_url + "/v1/chat/completions"
    (note,) = [n for n in result.notes if "extra_headers" in n]
    assert "dropped" in note and "host, x-evil" in note and "extra_query: redirect" in note
    assert "--keep-recorded-headers" in note


def test_keep_recorded_headers_sends_them_and_says_so(
    tmp_path: Path, server: FakeLLMServer, sent_urls: list[str]
) -> None:
    run = hostile_run(tmp_path, server)
    server.enqueue(reply("fresh"))
    result = replay(run, "step-1", base_url=server.base_url + "/v1", keep_recorded_headers=True)
    (sent,) = server.requests
    assert sent.headers.get("x-evil") == "1" and "redirect=" in sent_urls[-1]
    assert any(n.startswith("sending the recorded extra_headers: host, x-evil") for n in result.notes)


def test_the_cli_flag_and_dry_run_show_what_is_sent(tmp_path: Path, server: FakeLLMServer) -> None:
    run = hostile_run(tmp_path, server)
    done = CliRunner().invoke(app, ["replay", str(run), "--from", "step-1", "--dry-run", "--base-url", server.base_url])
    assert done.exit_code == 0, done.output
    assert "x-evil" not in json.dumps(json.loads(done.stdout).get("request", {})) and server.requests == []
    server.enqueue(reply("fresh"))
    kept = CliRunner().invoke(
        app,
        ["replay", str(run), "--from", "step-1", "--keep-recorded-headers", "--base-url", server.base_url + "/v1", "-o", str(tmp_path / "f.jsonl")],
    )
    assert kept.exit_code == 0, kept.output
    assert server.requests[0].headers.get("x-evil") == "1"


def test_headers_the_user_patches_in_are_sent_and_recorded_ones_still_dropped(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    run = hostile_run(tmp_path, server)
    server.enqueue(reply("fresh"))
    patch = [{"op": "add", "path": "/params/extra_headers/x-mine", "value": "yes"}]
    result = replay(run, "step-1", patch=patch, base_url=server.base_url + "/v1")
    (sent,) = server.requests
    assert sent.headers.get("x-mine") == "yes" and "x-evil" not in sent.headers
    assert any("dropped the recorded extra_headers: host, x-evil" in note for note in result.notes)
