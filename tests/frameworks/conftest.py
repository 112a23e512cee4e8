"""The framework matrix: real agent frameworks drive a two-tool agent against the local fake model server.

Each framework's test runs its agent twice against identically seeded servers, once plain and once under
``agentdbg.instrument()`` + ``trace()``, and ``check_run`` asserts what every framework must give: each llm
call with its full request and response, each tool as a step with arguments and result, streams
assembled, the same outputs with and without capture, ``validate`` clean, ``diagnose`` without false
findings, and replay finishing from a tool step and from an llm step (built-in engine).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import agentdbg
from agentdbg.analysis import diagnose
from agentdbg.cli import app
from agentdbg.model.trace import Trace
from agentdbg.replay import replay
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, Reply, reply, tool_call_reply
from tests.parts import require_part

INSTALL = "pip install -e '.[frameworks]'"
# litellm fetches its model price map from the network on import unless told to use the copy it ships.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
WEATHER = {"city": "Paris"}
# The two tools every framework's agent has, and what they return.
TOOL_RESULTS = {"get_weather": "sunny in Paris", "get_time": "12:00 in Paris"}
FINAL = "Sunny, and it is noon."


def _importable(name: str) -> bool:
    """``find_spec`` of a dotted name imports its parent, which raises when the parent package is missing."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def require(*modules: str) -> None:
    """Skip (developer machine) or fail (CI) unless every module of the framework is importable."""
    missing = [name for name in modules if not _importable(name)]
    require_part("frameworks", not missing, f"{', '.join(missing)} missing; {INSTALL}")


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def get_time(city: str) -> str:
    """The local time in a city."""
    return f"12:00 in {city}"


def script(final: Reply | None = None) -> list[Reply]:
    """The model's side of the run: ask for each tool in turn, then answer."""
    return [
        tool_call_reply("get_weather", WEATHER),
        tool_call_reply("get_time", WEATHER),
        final or reply(FINAL),
    ]


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "auto"))
    monkeypatch.delenv("AGENTDBG_DISABLED", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield
    agentdbg.uninstrument()


@dataclass
class Run:
    """One captured run of a framework's agent and what it returned."""

    path: Path
    output: Any
    server: FakeLLMServer
    trace: Trace = field(init=False)

    def __post_init__(self) -> None:
        self.trace = read_trace(self.path)


def run_both_ways(
    tmp_path: Path, agent: Callable[[FakeLLMServer], Any], replies: list[Reply] | None = None
) -> Run:
    """Run ``agent`` plain, then captured (fresh servers with the same seed); outputs must be equal."""
    with FakeLLMServer(seed=11) as plain_server:
        plain_server.enqueue(*(replies or script()))
        plain = agent(plain_server)
    path = tmp_path / "run.jsonl"
    agentdbg.instrument()
    try:
        with FakeLLMServer(seed=11) as server:
            server.enqueue(*(replies or script()))
            with agentdbg.trace("framework-run", path=path):
                captured = agent(server)
    finally:
        agentdbg.uninstrument()
    assert captured == plain, "the framework's output changed under capture"
    return Run(path, captured, server)


def check_run(
    run: Run,
    *,
    provider: str,
    stream: bool = False,
    tools: list[tuple[str, Any, str]] | None = None,
    llm_steps: int = 3,
) -> None:
    """The common assertions of the matrix (see the module docstring)."""
    trace = run.trace
    assert [str(problem) for problem in trace.problems] == []
    llms = trace.llm_spans
    assert len(llms) == llm_steps == len(run.server.requests)
    for span, sent in zip(llms, run.server.requests, strict=True):
        assert span.input["provider"] == provider and span.ended and span.error is None
        assert span.input["request"] == sent.json, "the recorded request is not the one sent"
        assert isinstance(span.output, dict) and (span.llm.answer_text or span.llm.tool_calls)
        assert span.attributes.get("stream", False) is stream
    expected = (
        tools if tools is not None else [(name, WEATHER, result) for name, result in TOOL_RESULTS.items()]
    )
    recorded = [(s.tool.name, s.tool.arguments, s.output) for s in trace.tool_spans]
    assert recorded == expected
    assert all(s.tool.call_id and s.ended for s in trace.tool_spans)
    verdict = CliRunner().invoke(app, ["validate", str(run.path)])
    assert verdict.exit_code == 0, verdict.output
    findings = [f for f in diagnose(trace) if f.severity in ("error", "warning")]
    assert findings == [], [f.title for f in findings]


def check_replays(
    run: Run, *, base_url: str, replies_after_tool: list[Reply], from_tool: str = "tool:get_weather"
) -> None:
    """Replay from a tool step and from the first llm step; both finish (built-in engine)."""
    with FakeLLMServer(seed=5) as server:
        url = server.base_url + base_url
        server.enqueue(*replies_after_tool)
        fork = run.path.with_name("from-tool.jsonl")
        result = replay(run.trace, from_tool, patch={"result": "foggy in Paris"}, output=fork, base_url=url)
        assert result.status == "finished", result
        assert "foggy in Paris" in str(server.requests[0].json)
        server.enqueue(*script())
        result = replay(run.trace, "step-1", output=run.path.with_name("from-llm.jsonl"), base_url=url)
        assert result.status == "finished", result
        origins = [s.origin for s in read_trace(result.fork_path).tool_spans]
        assert origins == ["cached", "cached"], origins  # the derived results answered the same calls
