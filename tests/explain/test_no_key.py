"""No key: a clear message naming the variable to set, the offline findings, exit 2, nothing sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.explain import NoApiKeyError, explain
from agentdbg.testing.llm_server import FakeLLMServer

from .conftest import base_url
from .helpers import write_loop

runner = CliRunner()


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_cli_names_the_variable_and_prints_offline_findings(
    tmp_path: Path, server: FakeLLMServer, no_keys: None
) -> None:
    trace_path = write_loop(tmp_path)

    result = runner.invoke(
        app, ["explain", str(trace_path), "--base-url", base_url(server, "openai")], env={"COLUMNS": "160"}
    )

    assert result.exit_code == 2
    assert "error: OPENAI_API_KEY is not set" in result.stderr
    assert "export OPENAI_API_KEY=" in result.stderr and "--provider anthropic" in result.stderr
    assert "offline diagnose findings" in result.stderr
    assert (
        "loop" in result.stdout
        and "step-2" in result.stdout
        and "search_docs called 3 times" in result.stdout
    )
    assert "Traceback" not in result.output
    assert server.requests == []


def test_json_and_anthropic(tmp_path: Path, server: FakeLLMServer, no_keys: None) -> None:
    trace_path = write_loop(tmp_path)
    result = runner.invoke(app, ["explain", str(trace_path), "--provider", "anthropic", "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["missing_variable"] == "ANTHROPIC_API_KEY"
    assert [finding["pattern"] for finding in data["findings"]] == ["loop"]
    assert "ANTHROPIC_API_KEY is not set" in result.stderr


def test_python_api_carries_the_findings(tmp_path: Path, no_keys: None) -> None:
    with pytest.raises(NoApiKeyError) as caught:
        explain(write_loop(tmp_path, provider="anthropic"))
    assert caught.value.variable == "ANTHROPIC_API_KEY" and caught.value.exit_code == 2
    assert [finding.address for finding in caught.value.findings] == ["step-2"]


def test_bad_input_is_a_clear_error(tmp_path: Path, no_keys: None) -> None:
    trace_path = write_loop(tmp_path)
    bad_step = runner.invoke(app, ["explain", str(trace_path), "--step", "step-42"])
    assert bad_step.exit_code == 2 and "--step 'step-42': no such step" in bad_step.stderr
    bad_provider = runner.invoke(app, ["explain", str(trace_path), "--provider", "mistral"])
    assert bad_provider.exit_code == 2 and "--provider 'mistral' is not supported" in bad_provider.stderr
    missing = runner.invoke(app, ["explain", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "error:" in missing.stderr and "Traceback" not in missing.output
