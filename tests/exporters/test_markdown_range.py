"""``export -f md --from/--to``: the header describes the whole run, the range line the part exported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_range_keeps_the_runs_own_counts_in_the_header() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", "sample_traces/03_tool_loop.jsonl", "-f", "md",
         "--from", "step-3", "--to", "step-7"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # 13 steps are 1 agent step, 6 LLM calls and 6 tool calls; steps 3-7 alone are 2 and 3
    assert (
        "- 13 steps (6 LLM calls, 6 tool calls), 299ms, tokens 3310 in / 126 out, 1 error(s), 0 incomplete"
        in lines
    )
    assert "_(steps 3–7 of 13)_" in lines
    assert [line.split()[1] for line in lines if line.startswith("  - step-")] == [
        "step-3", "step-4", "step-5", "step-6", "step-7",
    ]  # fmt: skip
