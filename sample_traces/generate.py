"""Regenerate the sample traces: scripted agents, real SDKs, our own recorder, a local fake LLM server.

    python sample_traces/generate.py            # all of them
    python sample_traces/generate.py 03 08      # only these

Each scenario is an ordinary agent loop (``sample_agents.py``) over a client wrapped with
``agentdbg.wrap_openai``/``wrap_anthropic``; the model's answers are scripted in
``FakeLLMServer``. 08 runs its agent in a child process and kills it with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scenarios_a import anthropic_research, bad_arguments, healthy_openai, tool_loop, wrong_tool  # noqa: E402
from scenarios_b import context_overflow, irrelevant_retrieval, nested_subagents  # noqa: E402

from agentdbg.testing.llm_server import FakeLLMServer, tool_call_reply  # noqa: E402


def crashed_run(server: FakeLLMServer, path: Path) -> None:
    """08: a coding agent (child process) is SIGKILLed while its test run hangs; then a torn last line."""
    server.enqueue(
        tool_call_reply(
            "read_file", {"path": "src/timeutil.py"}, usage={"input_tokens": 301, "output_tokens": 17}
        ),
        tool_call_reply(
            "run_tests",
            {"path": "tests/test_timeutil.py"},
            text="int('1.5') fails: use float() and round to seconds. Let me run the tests first.",
            usage={"input_tokens": 402, "output_tokens": 39},
        ),
    )
    child = subprocess.Popen([sys.executable, str(HERE / "crash_agent.py"), server.base_url, str(path)])
    try:
        deadline = time.monotonic() + 60
        while b'"name":"run_tests"' not in (path.read_bytes() if path.exists() else b""):
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the crash agent never reached run_tests")
            time.sleep(0.05)
        time.sleep(0.2)
        child.send_signal(signal.SIGKILL)  # the CI runner's timeout: no cleanup, no flush, no atexit
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # A real kill cannot split one os.write(); a full disk or a buffered writer can. Simulate that torn
    # write honestly: the first half of the line the tool step would have ended with, and no newline.
    last_start = [json.loads(line) for line in path.read_text().splitlines() if '"run_tests"' in line][-1]
    torn = json.dumps(
        {"type": "span_end", "id": last_start["id"], "ended_at": time.time(), "output": "=" * 20}
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write(torn[: len(torn) // 2])


SCENARIOS: dict[str, Callable[[FakeLLMServer, Path], None]] = {
    "01_healthy_openai.jsonl": healthy_openai,
    "02_anthropic_research.jsonl": anthropic_research,
    "03_tool_loop.jsonl": tool_loop,
    "04_wrong_tool.jsonl": wrong_tool,
    "05_bad_arguments.jsonl": bad_arguments,
    "06_context_overflow.jsonl": context_overflow,
    "07_irrelevant_retrieval.jsonl": irrelevant_retrieval,
    "08_crashed_run.jsonl": crashed_run,
    "09_nested_subagents.jsonl": nested_subagents,
}


def generate(names: list[str], out_dir: Path = HERE) -> list[Path]:
    """Run the chosen scenarios (all when ``names`` is empty) and return the files written."""
    os.environ["AGENTDBG_DIR"] = tempfile.mkdtemp(prefix="agentdbg-samples-")  # nothing stray in ./traces
    os.environ.pop("AGENTDBG_DISABLED", None)
    written = []
    for index, (file_name, scenario) in enumerate(SCENARIOS.items(), start=1):
        if names and not any(file_name.startswith(n) for n in names):
            continue
        path = out_dir / file_name
        path.unlink(missing_ok=True)
        with FakeLLMServer(seed=index) as server:
            scenario(server, path)
            if server.pending:
                raise RuntimeError(f"{file_name}: {server.pending} scripted replies were never used")
        print(f"wrote {path.relative_to(out_dir.parent)} ({path.stat().st_size:,} bytes)", file=sys.stderr)
        written.append(path)
    return written


if __name__ == "__main__":
    generate(sys.argv[1:])
