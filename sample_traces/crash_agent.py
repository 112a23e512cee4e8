"""08's agent, run as its own process so it can be killed for real: a coding agent dies while running tests.

Usage: python crash_agent.py BASE_URL TRACE_PATH (the scripted server runs in the parent, generate.py).
"""

from __future__ import annotations

import sys
import time

import openai
from sample_agents import chat_agent, function_tool, tool

import agentdbg

TOOLS = [
    function_tool("read_file", "Read a file of the repository.", {"path": {"type": "string"}}, ["path"]),
    function_tool(
        "run_tests", "Run pytest on a path and return the report.", {"path": {"type": "string"}}, ["path"]
    ),
]


@tool
def read_file(path: str) -> str:
    return (
        "def parse_duration(text):\n"
        "    value, unit = text[:-1], text[-1]\n"
        "    return int(value) * {'s': 1, 'm': 60, 'h': 3600}[unit]\n"
    )


@tool
def run_tests(path: str) -> str:
    time.sleep(600)  # the test suite hangs (an infinite retry in a fixture); the CI runner kills the job
    return "never reached"


def main() -> None:
    client = agentdbg.wrap_openai(
        openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key="test-key", max_retries=0)
    )
    messages = [
        {"role": "system", "content": "You are a coding agent. Reproduce the bug, fix it, run the tests."},
        {"role": "user", "content": "parse_duration('1.5h') raises ValueError. Fix it in src/timeutil.py."},
    ]
    with (
        agentdbg.trace("coding-agent", path=sys.argv[2], metadata={"repo": "acme/timeutil", "ci_job": 88231}),
        agentdbg.span("coding-agent", kind="agent", input={"task": messages[-1]["content"]}),
    ):
        chat_agent(
            client,
            model="gpt-4.1",
            messages=messages,
            tools=TOOLS,
            impls={"read_file": read_file, "run_tests": run_tests},
        )


if __name__ == "__main__":
    main()
