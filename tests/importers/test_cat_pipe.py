"""``agentdbg cat /dev/stdin`` reads a pipe once and applies the rule regular files get: a foreign trace
(a real Codex rollout piped in) is exit 2 naming its format and ``agentdbg import``, not passed through as
if it were agentdbg JSONL; our own trace comes out byte for byte, with --expand too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.importers.corpus import CORPUS

ROLLOUT = CORPUS / "codex" / "kvsankar_real_session-01_redacted.jsonl"
OURS = Path(__file__).parents[2] / "sample_traces" / "03_tool_loop.jsonl"


def _cat_pipe(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # a real pipe: /dev/stdin is a FIFO here, not the file itself
    with subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE) as feeder:
        return subprocess.run(
            [sys.executable, "-m", "agentdbg", "cat", "/dev/stdin", *args],
            stdin=feeder.stdout,
            capture_output=True,
            timeout=120,
        )


def test_foreign_file_on_a_pipe_is_refused_like_a_regular_file() -> None:
    for args in ((), ("--expand",)):
        done = _cat_pipe(ROLLOUT, *args)
        assert done.returncode == 2 and done.stdout == b""
        assert b"is a codex file, not an agentdbg trace" in done.stderr
        assert b"agentdbg import" in done.stderr and b"Traceback" not in done.stderr


def test_our_trace_on_a_pipe_is_copied_exactly() -> None:
    done = _cat_pipe(OURS)
    assert done.returncode == 0 and done.stdout == OURS.read_bytes()
    expanded = _cat_pipe(OURS, "--expand")
    direct = subprocess.run(
        [sys.executable, "-m", "agentdbg", "cat", str(OURS), "--expand"], capture_output=True, timeout=120
    )
    assert expanded.returncode == 0 and expanded.stdout == direct.stdout
