"""Fixtures: a fake LLM server, wrapped real SDK clients pointed at it, and a trace reader."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

import agentdbg
from agentdbg.model.trace import Trace
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import FakeLLMServer

# Key-shaped on purpose: the suite-wide scan proves it never reaches a trace file.
OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
ANTHROPIC_KEY = "sk-ant-api03-" + "Z9y8X7w6V5u4T3s2R1q0" * 2


@pytest.fixture(autouse=True)
def _isolated_trace_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "auto"))
    monkeypatch.delenv("AGENTDBG_DISABLED", raising=False)


@pytest.fixture
def server():
    with FakeLLMServer(seed=7) as running:
        yield running


@pytest.fixture
def oai(server):
    return agentdbg.wrap_openai(
        openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY, max_retries=2)
    )


@pytest.fixture
def aoai(server):
    return agentdbg.wrap_openai(
        openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY, max_retries=2)
    )


@pytest.fixture
def ant(server):
    return agentdbg.wrap_anthropic(
        anthropic.Anthropic(base_url=server.base_url, api_key=ANTHROPIC_KEY, max_retries=2)
    )


@pytest.fixture
def aant(server):
    return agentdbg.wrap_anthropic(
        anthropic.AsyncAnthropic(base_url=server.base_url, api_key=ANTHROPIC_KEY, max_retries=2)
    )


@pytest.fixture
def trace_path(tmp_path: Path) -> Path:
    return tmp_path / "run.jsonl"


def load(path: Path) -> Trace:
    """Read a trace written by the capture SDK; it must read without a single problem."""
    trace = read_trace(path)
    assert [str(p) for p in trace.problems] == []
    return trace


def llm_steps(trace: Trace):
    return [span for span in trace.spans if span.kind == "llm"]
