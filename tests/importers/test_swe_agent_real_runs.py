"""SWE-agent and mini-swe-agent files as long real runs write them: detected when the keys that say what
they are (``history``/``info``, ``trajectory_format``) lie past the sniffed head; mini-swe-agent 1.x keeps
the provider's responses in ``extra.response``, which give each llm step its usage
(tests/importers/data/MANIFEST.tsv)."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import SNIFF_BYTES, detect_format, open_trace
from tests.importers.corpus import CORPUS, DATA

RUN = DATA / "mini_swe_agent" / "gemini3_django-11099_excerpt.traj.json"


def test_usage_from_the_kept_provider_response() -> None:
    raw = json.loads(RUN.read_text())
    answers = [m for m in raw["messages"] if m["role"] == "assistant"]
    trace = open_trace(RUN)
    assert trace.format == "mini-swe-agent" and trace.problems == []
    llms = trace.llm_spans
    assert len(llms) == len(answers) == 1
    usage = answers[0]["extra"]["response"]["usage"]
    assert llms[0].usage is not None
    assert (llms[0].usage.input_tokens, llms[0].usage.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert llms[0].output["id"] == answers[0]["extra"]["response"]["id"]
    assert llms[0].started_at == answers[0]["extra"]["response"]["created"]


def test_a_run_longer_than_the_sniffed_head_is_detected(tmp_path: Path) -> None:
    raw = json.loads(RUN.read_text())
    raw["messages"] = (
        raw["messages"][:2] + raw["messages"][2:] * 40
    )  # a real run's length (the original: 115 KB)
    path = tmp_path / "long.traj.json"
    path.write_text(json.dumps(raw, indent=2))
    assert path.read_bytes().index(b'"trajectory_format"') > SNIFF_BYTES
    assert detect_format(path) == "mini-swe-agent"
    assert len(open_trace(path).llm_spans) == 40


def test_a_long_swe_agent_trajectory_is_detected(tmp_path: Path) -> None:
    """SWE-agent writes ``history`` and ``info`` after the trajectory: past the head of a long run."""
    raw = json.loads((CORPUS / "swe_agent" / "marshmallow-1867_function_calling_replace.traj").read_text())
    raw["trajectory"] = raw["trajectory"] * 8
    path = tmp_path / "long.traj"
    path.write_text(json.dumps(raw, indent=2))
    assert path.read_bytes().index(b'"history"') > SNIFF_BYTES
    assert detect_format(path) == "swe-agent"
    assert len([s for s in open_trace(path).spans if s.kind == "tool"]) == len(raw["trajectory"])
