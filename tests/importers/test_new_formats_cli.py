"""The second-wave formats: detected by content (not by file name), listed by `agentdbg formats`, imported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.importers import detect_format
from agentdbg.store.reader import read_trace
from tests.importers.corpus import DATA

EXPECTED = {
    "aider/web_portfolio/.aider.chat.history.md": "aider",
    "cline/1769053680585/api_conversation_history.json": "cline",
    "cline/jeehunter/ui_messages.json": "cline",
    "copilot_cli/f4539556-b58f-4908-b6a1-67594d6cbd07/events.jsonl": "copilot-cli",
    "gemini_cli/session-01.json": "gemini-cli",
    "gemini_cli/gemini_with_tool_error.jsonl": "gemini-cli",
    "goose/sample_session.jsonl": "goose",
    "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl": "claude-code",
    "openhands/basic_interactions.json": "openhands",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED.items()))
def test_detected_by_content_under_any_file_name(tmp_path: Path, name: str, fmt: str) -> None:
    renamed = tmp_path / "renamed.data"
    shutil.copy(DATA / name, renamed)
    assert detect_format(DATA / name) == fmt
    assert detect_format(renamed) == fmt


def test_formats_lists_the_new_importers() -> None:
    result = CliRunner().invoke(app, ["formats"])
    assert result.exit_code == 0, result.output
    for fmt in ("aider", "aider-llm", "cline", "copilot-cli", "gemini-cli", "goose"):
        assert f"\n{fmt} " in "\n" + result.output or f"\n{fmt}\t" in "\n" + result.output, fmt


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_import_writes_a_valid_trace_with_the_same_steps(tmp_path: Path, name: str) -> None:
    out = tmp_path / "trace.jsonl"
    result = CliRunner().invoke(app, ["import", str(DATA / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = read_trace(out)
    assert written.problems == [] or all(p.severity != "error" for p in written.problems)
    assert len(written.spans) > 0
    assert written.header.metadata["imported_from"] == EXPECTED[name]
