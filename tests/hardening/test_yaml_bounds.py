"""Hostile YAML cassettes: alias bombs and self-referential anchors are refused in one line, quickly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.errors import ImportFormatError
from agentdbg.importers import open_trace
from tests.hardening.limits import run_bounded

CASSETTE = """interactions:
- request:
    method: POST
    uri: https://api.openai.com/v1/chat/completions
    parsed_body:
{body}
  response:
    status: {{code: 200, message: OK}}
    parsed_body: {{choices: [{{message: {{role: assistant, content: hi}}, finish_reason: stop}}]}}
version: 1
"""


def cassette(body: str) -> str:
    return CASSETTE.format(body="\n".join("      " + line for line in body.splitlines()))


def laughs(levels: int, width: int = 9) -> str:
    rows = ['model: gpt-4o', 'l0: &l0 "lol"']
    for level in range(1, levels + 1):
        rows.append(f"l{level}: &l{level} [{', '.join(f'*l{level - 1}' for _ in range(width))}]")
    rows.append(f"messages: [{{role: user, content: *l{levels}}}]")
    return "\n".join(rows)


CYCLES = {
    "sequence": "model: gpt-4o\nmessages: &m [*m]",
    "mapping": "model: gpt-4o\nmessages: [&u {role: user, content: hi, again: *u}]",
    "merge": "model: gpt-4o\nmeta: &x {a: 1, b: *x}\nmessages: []",
}


def test_a_billion_laughs_body_is_refused_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(cassette(laughs(9)))
    for command in (("show", "--print"), ("import", "-o", str(tmp_path / "out.jsonl")), ("export", "-f", "otlp-json")):
        figures = run_bounded([sys.executable, "-m", "agentdbg", *command, str(path)])
        assert figures.returncode == 2 and figures.seconds < 30 and figures.max_rss_mib < 1024, (command, figures)
        message = figures.stderr.strip()
        assert len(message.splitlines()) == 1 and str(path) in message and "billion-laughs" in message, message
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("shape", sorted(CYCLES))
def test_a_self_referential_anchor_is_refused(tmp_path: Path, shape: str) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text(cassette(CYCLES[shape]))
    with pytest.raises(ImportFormatError, match="refers to itself"):
        open_trace(path)
    for command in (["import", str(path)], ["export", str(path), "-f", "otlp-json"], ["show", "--print", str(path)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2 and "refers to itself" in result.stderr, (command, result.stderr)


def test_shared_anchors_within_the_bound_still_load(tmp_path: Path) -> None:
    path = tmp_path / "fine.yaml"
    path.write_text(cassette(laughs(3, width=4)))  # 4**3 expanded leaves: an ordinary amount of sharing
    trace = open_trace(path)
    assert trace.format == "vcr" and len(trace.llm_spans) == 1
    assert trace.llm_spans[0].input["request"]["messages"][0]["content"][0][0] == ["lol"] * 4


@settings(max_examples=40, deadline=None)
@given(levels=st.integers(1, 12), width=st.integers(1, 12))
def test_alias_fanout_never_runs_away(tmp_path_factory: pytest.TempPathFactory, levels: int, width: int) -> None:
    path = tmp_path_factory.mktemp("fan") / "c.yaml"
    path.write_text(cassette(laughs(levels, width)))
    expanded = sum(width**level for level in range(levels + 1))
    try:
        trace = open_trace(path)
    except ImportFormatError as exc:
        assert "billion-laughs" in str(exc) and expanded > 100_000
    else:
        assert trace.format == "vcr" and expanded < 2_000_000
