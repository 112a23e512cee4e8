"""An imported llm step with no request (Cline's ui_messages.json) is refused with the importer's reason, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

UI_MESSAGES = (
    Path(__file__).resolve().parents[1] / "importers" / "data" / "cline" / "jeehunter" / "ui_messages.json"
)


def test_replay_names_why_an_imported_step_cannot_be_re_sent(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agentdbg", "replay", str(UI_MESSAGES), "--from", "last-llm", "--dry-run",
         "-o", str(tmp_path / "fork.jsonl")],
        capture_output=True, text=True, timeout=60, env={"NO_COLOR": "1", "PATH": ""}, check=False,
    )  # fmt: skip
    # it said "cannot replay API ''; supported: ..." with exit 1, as if agentdbg had failed
    assert done.returncode == 2, done.stderr
    assert "cannot be re-sent: ui_messages.json holds what the UI showed" in done.stderr
    assert "cannot replay API" not in done.stderr and "Traceback" not in done.stderr
