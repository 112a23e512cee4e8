"""The README's offline replay example runs as printed (a new user's first replay, issue 18)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- offline-replay -->\n```bash\n(.*?)```\n<!-- /offline-replay -->", text, re.S)
    assert match, "the README lost its offline replay example"
    return match.group(1)


def test_the_readme_offline_replay_runs_as_printed(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sample_traces", tmp_path / "sample_traces")
    with socket.socket() as probe:  # the README's port, moved to a free one so parallel runs cannot collide
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    block = _readme_block()
    assert block.count("47821") == 2
    script = "set -euo pipefail\n" + block.replace("47821", str(port))
    bin_dir = str(Path(sys.executable).parent)  # `python` and `agentdbg` of this environment, as after pip install
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "from step-2: finished" in result.stdout
    assert "I could not find it, so I opened ticket INC-1042." in result.stdout
    assert (tmp_path / "03.fork.jsonl").exists()
    assert "Traceback" not in result.stderr


def test_a_system_patch_on_a_tool_step_says_it_is_a_tool_step_and_what_it_holds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentdbg", "replay", "sample_traces/03_tool_loop.jsonl", "--from", "step-3",
         "--patch", "sample_traces/fixes/03_tool_loop.json", "--dry-run"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 2
    assert "step-3 is a tool step (search_kb): its document is {name, arguments, result}" in result.stderr
    assert "/name, /arguments, /arguments/query, /result" in result.stderr
    assert "the one before it: step-2" in result.stderr and "Traceback" not in result.stderr
