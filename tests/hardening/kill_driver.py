"""Fork a recording agent N times and SIGKILL each child at a random moment (driven by test_kill_during_capture).

The parent imports everything and runs the fake model server once; each forked child
runs an endless agent loop (plain and streamed LLM calls, tool calls) into its own
trace file and reports each finished step on a pipe. Prints one JSON line per kill.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time

import openai

import agentdbg
from agentdbg.testing.llm_server import FakeLLMServer, reply


def agent(client: openai.OpenAI, path: str, report_fd: int) -> None:
    @agentdbg.tool
    def lookup(query: str) -> str:
        return f"notes about {query} " * 20

    with agentdbg.trace("killed-agent", path=path), agentdbg.span("agent", kind="agent"):
        for step in range(10_000):
            messages = [{"role": "user", "content": f"question {step} " + "context " * 50}]
            if step % 2:
                stream = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
                for _ in stream:
                    pass
            else:
                client.chat.completions.create(model="gpt-4o", messages=messages)
            os.write(report_fd, b"llm\n")
            lookup(f"topic {step}")
            os.write(report_fd, b"tool\n")


def main() -> None:
    out_dir, runs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    with FakeLLMServer(
        default=reply("an answer streamed in several small chunks " * 3, chunk_delay=0.0003)
    ) as server:
        warm = openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key")
        warm.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "warm up"}])
        # Built once, never used by the parent: each forked child starts with an empty connection pool.
        client = agentdbg.wrap_openai(
            openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key", max_retries=0)
        )
        for run in range(runs):
            path = os.path.join(out_dir, f"run-{run:03d}.jsonl")
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: record until killed
                os.close(read_fd)
                try:
                    agent(client, path, write_fd)
                finally:
                    os._exit(0)
            os.close(write_fd)
            delay = rng.uniform(0.001, 0.15)
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            reported = b""
            while chunk := os.read(read_fd, 65536):
                reported += chunk
            os.close(read_fd)
            lines = reported.split()
            print(
                json.dumps(
                    {
                        "path": path,
                        "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                        "delay": delay,
                        "llm_done": lines.count(b"llm"),
                        "tool_done": lines.count(b"tool"),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
