"""list_steps rows are the one step summary: a foreign file and its import into our format list the same rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.mcp_server.queries import Queries
from agentdbg.mcp_server.roots import Roots
from agentdbg.mcp_server.runs import OpenRun
from agentdbg.model.span import StepSummary

SESSION = Path(__file__).resolve().parents[1] / "importers/data/claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl"


def test_foreign_rows_equal_the_rows_of_its_import(tmp_path: Path) -> None:
    """The foreign path listed input tokens without the cached prompt (3 where the index path said 15,553)."""
    foreign = tmp_path / "session.jsonl"
    shutil.copy(SESSION, foreign)
    ours = tmp_path / "ours.jsonl"
    result = CliRunner().invoke(app, ["import", str(foreign), "-o", str(ours)])
    assert result.exit_code == 0, result.output
    foreign_run, our_run = OpenRun(foreign), OpenRun(ours)
    assert foreign_run.format != "agentdbg" and our_run.format == "agentdbg"
    rows = foreign_run.rows()
    assert rows and all(isinstance(row, StepSummary) for row in rows)
    assert [row.to_json() for row in rows] == [row.to_json() for row in our_run.rows()]
    cached = [row for row in rows if row.kind == "llm" and (row.input_tokens or 0) > 1000]
    assert cached, "the session's llm steps read a cached prompt: their input counts it"
    queries = Queries(Roots.of([str(tmp_path)]))
    assert queries.list_steps("session.jsonl")["steps"] == queries.list_steps("ours.jsonl")["steps"]
