"""``agentdbg mcp`` driven by the official MCP SDK's own client over stdio, as Claude Code or Cursor would."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from agentdbg.testing.llm_server import FakeLLMServer, reply
from tests.parts import require_part

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_traces"
TOOLS = {"trace_summary", "list_steps", "get_step", "diagnose", "show_document", "replay", "diff", "search", "explain"}


@pytest.fixture(autouse=True)
def _needs_mcp() -> None:
    require_part("the mcp SDK (agentdbg mcp)", importlib.util.find_spec("mcp") is not None, "pip install -e '.[mcp]'")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root holding copies of two samples (forks get written beside them)."""
    for name in ("03_tool_loop.jsonl", "01_healthy_openai.jsonl"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def _session(root: Path, calls: list[tuple[str, dict[str, Any]]], env: dict[str, str] | None = None) -> list[Any]:
    """Start ``agentdbg mcp --root ROOT`` as a subprocess, list its tools, make ``calls``; results in order."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    server_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), **(env or {})}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "agentdbg", "mcp", "--root", str(root)], env=server_env, cwd=str(root)
    )

    async def run() -> list[Any]:
        async with Client(params) as client:
            results: list[Any] = [await client.list_tools()]
            for name, arguments in calls:
                results.append(await client.call_tool(name, arguments))
            return results

    return asyncio.run(asyncio.wait_for(run(), timeout=120))


def _json(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_tools_are_listed_with_schemas_and_a_sample_reads_and_diagnoses(root: Path) -> None:
    listed, summary, page, step, findings, bad_part, missing_step = _session(
        root,
        [
            ("trace_summary", {"path": "03_tool_loop.jsonl"}),
            ("list_steps", {"path": "03_tool_loop.jsonl", "kind": "tool", "offset": 1, "limit": 2}),
            ("get_step", {"path": "03_tool_loop.jsonl", "step": "step-2", "max_chars": 40}),
            ("diagnose", {"path": "03_tool_loop.jsonl"}),
            ("get_step", {"path": "03_tool_loop.jsonl", "step": "2", "parts": ["nonsense"]}),
            ("get_step", {"path": "03_tool_loop.jsonl", "step": "step-99"}),
        ],
    )
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"
    assert tools["list_steps"].input_schema["properties"]["limit"]["default"] == 50

    data = _json(summary)
    assert data["format"] == "agentdbg" and data["name"] == "helpdesk-bot"
    assert data["totals"]["steps"] == 13 and data["steps_by_kind"] == {"agent": 1, "llm": 6, "tool": 6}

    data = _json(page)
    assert data["total"] == 6 and data["offset"] == 1 and data["next_offset"] == 3
    assert [row["step"] for row in data["steps"]] == ["step-5", "step-7"]
    assert all(row["kind"] == "tool" and row["name"] == "search_kb" for row in data["steps"])

    data = _json(step)
    assert data["kind"] == "llm" and data["model"] == "gpt-4o"
    system = data["prompt"][0]
    assert system["role"] == "system" and system["text"].startswith("You are the IT helpdesk bot")
    assert "[cut: " in system["text"] and "max_chars=0" in system["text"]
    assert data["response"][0]["tool_calls"][0]["name"] == "search_kb"
    assert data["tools_offered"] == ["search_kb", "create_ticket"]

    data = _json(findings)
    assert any(f["pattern"] == "loop" and f["step"] == "step-3" for f in data["findings"])

    assert bad_part.is_error and "unknown part(s) nonsense" in bad_part.content[0].text
    assert missing_step.is_error and "no step 'step-99'" in missing_step.content[0].text
    assert "Traceback" not in missing_step.content[0].text


def test_paths_outside_the_roots_are_refused(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.jsonl"
    shutil.copy(SAMPLES / "01_healthy_openai.jsonl", outside)
    (root / "link.jsonl").symlink_to(outside)
    results = _session(
        root,
        [
            ("trace_summary", {"path": str(outside)}),
            ("trace_summary", {"path": "../" + outside.parent.name + "/secret.jsonl"}),
            ("trace_summary", {"path": "link.jsonl"}),
            ("search", {"directory": "/"}),
        ],
    )
    for refused in results[1:]:
        assert refused.is_error
        assert "outside the server's roots" in refused.content[0].text


def test_replay_dry_runs_by_default_and_runs_live_only_when_asked(root: Path) -> None:
    patch = [{"op": "replace", "path": "/system", "value": "Search once; if nothing is found, open a ticket."}]
    with FakeLLMServer(seed=3) as server:
        server.enqueue(reply("I opened ticket 42 for you."))
        env = {"OPENAI_API_KEY": "test-key"}
        url = server.base_url + "/v1"
        _, document, dry, live = _session(
            root,
            [
                ("show_document", {"path": "03_tool_loop.jsonl", "step": "step-2"}),
                ("replay", {"path": "03_tool_loop.jsonl", "from_step": "step-2", "patch": patch, "base_url": url}),
                (
                    "replay",
                    {"path": "03_tool_loop.jsonl", "from_step": "step-2", "patch": patch, "base_url": url, "dry_run": False},
                ),
            ],
            env=env,
        )
        sent = [json.loads(request.body) for request in server.requests]
    data = _json(document)
    assert data["kind"] == "llm" and set(data["document"]) >= {"model", "system", "messages", "tools"}

    data = _json(dry)
    assert data["status"] == "dry-run" and data["fork_path"] is None
    assert data["request"]["messages"][0]["content"] == patch[0]["value"]

    data = _json(live)
    assert data["status"] == "finished", data
    assert data["new_answer"] == "I opened ticket 42 for you."
    assert Path(data["fork_path"]) == root / "03_tool_loop.fork.jsonl"
    assert (root / "03_tool_loop.fork.jsonl").exists()
    assert len(sent) == 1, "the dry run sent nothing; the live run sent exactly the patched request"
    assert sent[0]["messages"][0]["content"] == patch[0]["value"]
