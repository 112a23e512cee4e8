"""Where the real trace files live, and small helpers the importer tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

CORPUS = Path("/work/shared/corpus")
DATA = Path(__file__).parent / "data"

#: Every corpus file and the format its content must be detected as.
EXPECTED_FORMAT: dict[str, str] = {
    "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl": "claude-code",
    "claude_code/ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl": "claude-code",
    "codex/kvsankar_real_session-01_redacted.jsonl": "codex",
    "swe_agent/marshmallow-1867_function_calling_replace.traj": "swe-agent",
    "swe_agent/pydicom-1458_gpt4_default.traj": "swe-agent",
    "mini_swe_agent/github_issue.traj.json": "mini-swe-agent",
    "openhands/wrong_initial_state.json": "openhands",
    "inspect_ai/log_tool_call_error.json": "inspect-ai",
    "inspect_ai/2025-05-12T20-27-36-04-00_browser.json": "inspect-ai",
    "cassettes/pydantic-ai_anthropic_tool_with_thinking.yaml": "vcr",
    **{f"langfuse/{p.name}": "langfuse" for p in sorted((CORPUS / "langfuse").glob("*.json"))},
}


def corpus_files() -> list[Path]:
    """Every trace file in the corpus (documentation files excluded)."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv"))


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def errors(trace: Trace) -> list[Span]:
    return [span for span in trace.spans if span.error is not None]


def token_sums(trace: Trace) -> tuple[int, int]:
    totals = trace.totals()
    return totals["input_tokens"], totals["output_tokens"]


def descendants(trace: Trace, span: Span) -> list[Span]:
    out: list[Span] = []
    stack = list(trace.children_of(span))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(trace.children_of(child))
    return out
